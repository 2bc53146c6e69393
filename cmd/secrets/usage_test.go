package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/provider"
)

func TestHelp(t *testing.T) {
	for _, cmd := range commands {
		forms := [][]string{{cmd.name, "--help"}, {cmd.name, "-h"}, {"help", cmd.name}, {cmd.name, "env://X", "--help"}}
		wants := []string{"Usage: secrets " + cmd.name + " [flags] " + cmd.operand,
			"-timeout", "Exit status:", "3  the secret", "4  permission denied"}
		if !cmd.ownOutput {
			wants = append(wants, "-output")
		}
		if cmd.commandLine {
			// After the command, --help is the command's own flag.
			forms = forms[:3]
			wants = append(wants, "${secret:URI}", "never its arguments")
		}
		for _, args := range forms {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := runCLI(t, args...)
				r.want(t, exitOK)
				for _, want := range wants {
					if !strings.Contains(r.stdout, want) {
						t.Errorf("help lacks %q:\n%s", want, r.stdout)
					}
				}
			})
		}
	}
	wantFlags := map[string][]string{
		"get":    {"-version", "-reveal", "-no-newline"},
		"set":    {"-value-file", "-value string", "INSECURE", "-content-type", "-tag key=value", "-allow-empty"},
		"run":    {"-env-file file", "${secret:URI}"},
		"render": {"-output file", "0600", "-format"},
	}
	for name, flags := range wantFlags {
		r := runCLI(t, name, "--help")
		for _, f := range flags {
			if !strings.Contains(r.stdout, f) {
				t.Errorf("%s --help lacks %q", name, f)
			}
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := runCLI(t, args...)
		r.want(t, exitOK)
		for _, cmd := range commands {
			if !strings.Contains(r.stdout, "  "+cmd.name+" ") {
				t.Errorf("%v does not list %s:\n%s", args, cmd.name, r.stdout)
			}
		}
		if !strings.Contains(r.stdout, "Exit status:") {
			t.Errorf("%v lacks the exit status list", args)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	valueFile := writeFile(t, t.TempDir(), "v", "x")
	cases := []struct {
		args []string
		want string // in stderr
	}{
		{nil, "Usage: secrets <command>"},
		{[]string{"fetch", "env://X"}, `unknown command "fetch"`},
		{[]string{"help", "fetch"}, `unknown command "fetch"`},
		{[]string{"get"}, "missing <secret-uri>"},
		{[]string{"list"}, "missing <provider-uri>"},
		{[]string{"get", "env://A", "env://B"}, "got 2 arguments"},
		{[]string{"get", "--bogus", "env://A"}, "-bogus"},
		{[]string{"get", "--output", "yaml", "env://A"}, `output format "yaml": want text or json`},
		{[]string{"get", "--timeout", "soon", "env://A"}, "-timeout"},
		{[]string{"get", "--timeout", "-1s", "env://A"}, "positive duration"},
		{[]string{"set", "--value", "v", "--value-file", valueFile, "azurekv://v.vault.azure.net/x"}, "mutually exclusive"},
		{[]string{"set", "--tag", "novalue", "azurekv://v.vault.azure.net/x"}, "key=value"},
		{[]string{"set", "--tag", "a=1", "--tag", "a=2", "azurekv://v.vault.azure.net/x"}, `tag "a" given twice`},
		{[]string{"get", "nosuchscheme://x#y"}, `no provider registered for scheme "nosuchscheme"`},
		{[]string{"get", "env://%zz"}, "malformed URI"},
		{[]string{"get", "env://A?prefx=B"}, `unknown query parameter "prefx"`},
		{[]string{"get", "env://?exact=true#BAD=NAME"}, "invalid argument"},
		{[]string{"get", "azurekv://v.vault.azure.net/bad_name"}, "invalid argument"},
		{[]string{"get", "--", "-o", "env://A"}, "got 2 arguments"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runCLI(t, tc.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, exitUsage, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr = %q, want it to contain %q", r.stderr, tc.want)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			if len(tc.args) > 0 && strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line: %q", r.stderr)
			}
		})
	}
}

// TestFlagsAroundTheOperand checks that flags are read before and after the
// URI, and that "--" ends them.
func TestMalformedEnvironmentDefaults(t *testing.T) {
	for env, want := range map[string]string{
		outputEnv:  `output format "yml": want text or json`,
		timeoutEnv: timeoutEnv + `="soon": want a positive duration`,
	} {
		value := map[string]string{outputEnv: "yml", timeoutEnv: "soon"}[env]
		r := runWith(t, cli{}, map[string]string{env: value}, "", "get", "env://A")
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, want) {
			t.Errorf("%s=%s: stderr = %q, want %q", env, value, r.stderr, want)
		}
		runWith(t, cli{}, map[string]string{env: value}, "", "get", "--help").want(t, exitOK)
	}
}

func TestFlagsAroundTheOperand(t *testing.T) {
	t.Setenv("DB_PASSWORD", "hunter2")
	for _, args := range [][]string{
		{"get", "-o", "json", "env://DB_PASSWORD"},
		{"get", "env://DB_PASSWORD", "-o", "json"},
		{"get", "-o", "json", "--", "env://DB_PASSWORD"},
	} {
		r := runCLI(t, args...)
		r.want(t, exitOK)
		if !strings.HasPrefix(r.stdout, "{") {
			t.Errorf("%v: stdout %q is not JSON", args, r.stdout)
		}
	}
}

// TestExitCodeOfEachErrorKind maps every provider error kind, wrapped the
// ways the command meets them, to its exit status.
func TestExitCodeOfEachErrorKind(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{provider.NewError("p", "get", "n", provider.ErrNotFound, nil), exitNotFound},
		{provider.NewError("p", "get", "n", provider.ErrPermissionDenied, nil), exitDenied},
		{provider.NewError("p", "get", "n", provider.ErrInvalidArgument, nil), exitUsage},
		{provider.NewError("p", "get", "n", provider.ErrUnavailable, nil), exitError},
		{provider.NewError("p", "get", "n", nil, errors.New("parse error")), exitError},
		{fmt.Errorf("closing the provider: %w", provider.NewError("p", "close", "", provider.ErrPermissionDenied, nil)), exitDenied},
		{usagef("bad flag"), exitUsage},
		{errors.New("plain"), exitError},
		// A chain's not-found error also unwraps to what each provider
		// said; its own kind decides.
		{provider.NewError("chain", "get", "n", provider.ErrNotFound,
			errors.Join(provider.NewError("a", "get", "n", provider.ErrInvalidArgument, nil),
				provider.NewError("b", "get", "n", provider.ErrNotFound, nil))), exitNotFound},
	}
	for _, tc := range cases {
		if got := exitCode(tc.err); got != tc.want {
			t.Errorf("exitCode(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

// TestTimeout points the real azurekv opener at a listener that accepts
// connections and never answers, so only --timeout ends the command.
func TestTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		var held []net.Conn // kept open and silent until the test ends
		for {
			c, err := ln.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	uri := "azurekv://" + ln.Addr().String() + "/db-password?identity=system&disableChallengeResourceVerification=true"
	start := time.Now()
	r := runCLI(t, "get", "--timeout", "200ms", uri)
	r.want(t, exitError)
	if !strings.Contains(r.stderr, "timed out after 200ms") {
		t.Errorf("stderr = %q, want it to name the timeout", r.stderr)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("took %s with --timeout 200ms", elapsed)
	}

	t.Run("from the environment", func(t *testing.T) {
		r := runWith(t, cli{}, map[string]string{timeoutEnv: "150ms"}, "", "get", uri)
		r.want(t, exitError)
		if !strings.Contains(r.stderr, "timed out after 150ms") {
			t.Errorf("stderr = %q", r.stderr)
		}
	})
}

func TestIsTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	regular, err := os.Open(writeFile(t, t.TempDir(), "f", "x"))
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	for name, r := range map[string]io.Reader{"null device": null, "regular file": regular, "buffer": strings.NewReader("x")} {
		if isTerminal(r) {
			t.Errorf("isTerminal(%s) = true", name)
		}
	}
}
