package main

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runBinary runs the emulator to completion with extra environment and
// returns its exit status and stderr.
func runBinary(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stderr.String()
	}
	t.Fatalf("running emulator: %v", err)
	return 0, ""
}

// lastLine is the "emulator: ..." error line main prints last.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// A port held by another process (an emulator left running) is a runtime
// failure, status 1, and the message names the address and the way out;
// the env file of whatever holds the port is left alone.
func TestPortInUseExitsOneAndKeepsTheOtherEnvFile(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	envFile := filepath.Join(t.TempDir(), "emulator.env")
	const live = "IDENTITY_HEADER=of-the-emulator-holding-the-port\n"
	os.WriteFile(envFile, []byte(live), 0o644)

	code, stderr := runBinary(t, nil, "-vault-addr", held.Addr().String(), "-identity-addr", "127.0.0.1:0",
		"-tls-dir", t.TempDir(), "-env-file", envFile)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d; stderr:\n%s", code, exitFailure, stderr)
	}
	msg := lastLine(stderr)
	for _, want := range []string{"vault listener", held.Addr().String(), "already in use", "-vault-addr"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
	if data, _ := os.ReadFile(envFile); string(data) != live {
		t.Errorf("env file of the running emulator changed to %q", data)
	}
}

func TestExitStatusSeparatesUsageFromRuntimeFailures(t *testing.T) {
	dir := t.TempDir()
	ports := []string{"-vault-addr", "127.0.0.1:0", "-identity-addr", "127.0.0.1:0", "-tls-dir", t.TempDir()}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		code int
		want []string // in the error line
	}{
		{"unknown flag", nil, []string{"-no-such-flag"}, exitUsage, []string{"no-such-flag"}},
		{"bad log level in env", []string{"EMULATOR_LOG_LEVEL=loud"}, ports, exitUsage, []string{"EMULATOR_LOG_LEVEL", `"loud"`}},
		{"bad log level flag", nil, append([]string{"-log-level", "loud"}, ports...), exitUsage, []string{"-log-level", `"loud"`}},
		{"bad log format in env", []string{"EMULATOR_LOG_FORMAT=xml"}, ports, exitUsage, []string{"EMULATOR_LOG_FORMAT", `"xml"`}},
		{"bad flavour in env", []string{"EMULATOR_FLAVOUR=mainframe"}, ports, exitUsage, []string{"EMULATOR_FLAVOUR", "mainframe"}},
		{"malformed address in env", []string{"EMULATOR_VAULT_ADDR=nonsense"}, []string{"-tls-dir", t.TempDir()}, exitUsage,
			[]string{"EMULATOR_VAULT_ADDR", "nonsense"}},
		{"missing config in env", []string{"EMULATOR_CONFIG=" + filepath.Join(dir, "nope.yaml")}, ports, exitUsage,
			[]string{"EMULATOR_CONFIG", "nope.yaml"}},
		{"data file is a directory, from env", []string{"EMULATOR_DATA=" + dir}, ports, exitFailure, []string{"EMULATOR_DATA", dir}},
		{"data file is a directory, flag", nil, append([]string{"-data", dir}, ports...), exitFailure, []string{"-data", dir}},
	} {
		code, stderr := runBinary(t, tc.env, tc.args...)
		if code != tc.code {
			t.Errorf("%s: exit %d, want %d; stderr:\n%s", tc.name, code, tc.code, stderr)
			continue
		}
		msg := lastLine(stderr)
		if !strings.HasPrefix(msg, "emulator: ") {
			t.Errorf("%s: last line %q is not the error", tc.name, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error %q does not mention %q", tc.name, msg, w)
			}
		}
	}
}

// The env file exists exactly while the emulator serves: a signal, either
// one, removes it, so a shell waiting for the file never loads the
// IDENTITY_HEADER of a stopped emulator.
func TestEnvFileRemovedOnExit(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		envFile := filepath.Join(t.TempDir(), "emulator.env")
		p := startBinary(t, t.TempDir(), "-env-file", envFile)
		data, err := os.ReadFile(envFile)
		if err != nil || !strings.Contains(string(data), "IDENTITY_HEADER="+p.env["IDENTITY_HEADER"]+"\n") {
			t.Fatalf("%v: env file while serving: %q, %v", sig, data, err)
		}
		p.cmd.Process.Signal(sig)
		if err := waitExit(p, 20*time.Second); err != nil {
			t.Fatalf("%v: %v; stderr:\n%s", sig, err, p.stderr)
		}
		if _, err := os.Stat(envFile); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: env file still there after exit (stat: %v)", sig, err)
		}
	}
}

// A file left by an earlier run (killed with -9, so never cleaned up) is
// gone as soon as the new emulator has its ports, before the slow part of
// starting: here that part fails, and still no stale file is left.
func TestStaleEnvFileRemovedAtStart(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "emulator.env")
	os.WriteFile(envFile, []byte("IDENTITY_HEADER=from-a-run-that-was-killed\n"), 0o644)
	code, stderr := runBinary(t, nil, "-vault-addr", "127.0.0.1:0", "-identity-addr", "127.0.0.1:0",
		"-tls-dir", t.TempDir(), "-env-file", envFile, "-data", t.TempDir())
	if code != exitFailure {
		t.Fatalf("exit %d, want %d (the data file is a directory); stderr:\n%s", code, exitFailure, stderr)
	}
	if _, err := os.Stat(envFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale env file survived a new start (stat: %v)", err)
	}

	// And when the start succeeds, the file holds this run's lines only.
	os.WriteFile(envFile, []byte("IDENTITY_HEADER=from-a-run-that-was-killed\n"), 0o644)
	p := startBinary(t, t.TempDir(), "-env-file", envFile)
	data, _ := os.ReadFile(envFile)
	if strings.Contains(string(data), "killed") || !strings.Contains(string(data), "IDENTITY_HEADER="+p.env["IDENTITY_HEADER"]) {
		t.Errorf("env file after start: %q", data)
	}
	p.stop(t)
}

func waitExit(p *proc, timeout time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(timeout):
		return errors.New("did not exit in time")
	}
}

// "emulator env" prints what the running emulator printed, as export
// lines a shell can eval.
func TestEnvSubcommandLoadsIntoAShell(t *testing.T) {
	p := startBinary(t, t.TempDir(), "-identity-header", "it's-fixed")
	addr := strings.TrimPrefix(p.env["AZURE_POD_IDENTITY_AUTHORITY_HOST"], "http://")
	script := `eval "$("$0" env -identity-addr "$1")" && printf '%s\n%s\n%s\n' "$IDENTITY_HEADER" "$AZURE_KEYVAULT_URL" "$SSL_CERT_FILE"`
	out, err := exec.Command("sh", "-c", script, binary, addr).CombinedOutput()
	if err != nil {
		t.Fatalf("eval \"$(emulator env)\": %v\n%s", err, out)
	}
	want := p.env["IDENTITY_HEADER"] + "\n" + p.env["AZURE_KEYVAULT_URL"] + "\n" + p.env["SSL_CERT_FILE"] + "\n"
	if string(out) != want || p.env["IDENTITY_HEADER"] != "it's-fixed" {
		t.Errorf("shell got:\n%s\nwant:\n%s", out, want)
	}

	// dotenv and another flavour: the -env-file format, in printed order.
	cmd := exec.Command(binary, "env", "-format", "dotenv", "-flavour", "cloudshell")
	cmd.Env = append(os.Environ(), "EMULATOR_IDENTITY_ADDR="+addr)
	dotenv, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(dotenv), "AZURE_KEYVAULT_URL=") || !strings.Contains(string(dotenv), "\nMSI_ENDPOINT=http://"+addr+"/cloudshell/token\n") {
		t.Errorf("dotenv cloudshell env:\n%s", dotenv)
	}
	p.stop(t)
}

func TestEnvSubcommandGivesUpWhenNothingAnswers(t *testing.T) {
	// Port 1 (tcpmux) is closed on any machine that runs these tests.
	code, stderr := runBinary(t, nil, "env", "-identity-addr", "127.0.0.1:1", "-wait", "300ms")
	if code != exitFailure || !strings.Contains(stderr, "no emulator answered at http://127.0.0.1:1/_emulator/env within 300ms") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, stderr = runBinary(t, []string{"EMULATOR_FLAVOUR=mainframe"}, "env")
	if code != exitUsage || !strings.Contains(stderr, "EMULATOR_FLAVOUR") {
		t.Errorf("bad flavour: exit %d, stderr %q", code, stderr)
	}
}
