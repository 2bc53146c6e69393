package main

import (
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/internal/testutil"
)

// TestBinaryExitCodes builds the command and runs it as a process, so the
// exit statuses scripts see are the ones documented, and azurekv:// URIs
// work through the real opener with nothing but the environment the
// emulator prints (App Service managed identity, SSL_CERT_FILE).
func TestBinaryExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bins, err := testutil.Binaries(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(bins, "secrets")

	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: kvConfig})
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "DB_PASSWORD=from-env"}
	clientEnv, err := e.Server.Env(identity.AppService)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range clientEnv {
		env = append(env, kv.String())
	}
	vaultURL, err := url.Parse(e.VaultURL)
	if err != nil {
		t.Fatal(err)
	}
	// The loopback vault URL does not end in .vault.azure.net, so the
	// challenge's resource cannot be verified against it.
	kvURI := func(name string) string {
		return "azurekv://" + vaultURL.Host + "/" + name + "?disableChallengeResourceVerification=true"
	}
	badYAML := writeFile(t, dir, "bad.yaml", "password: [unterminated\n")

	cases := []struct {
		name       string
		args       []string
		extraEnv   []string
		code       int
		stdout     string // exact, when not empty
		stderrHas  string
		stderrOmit string
	}{
		{name: "0 env", args: []string{"get", "env://DB_PASSWORD"}, code: 0, stdout: "from-env\n"},
		{name: "0 azurekv", args: []string{"get", kvURI("db-password")}, code: 0, stdout: "hunter2\n"},
		{name: "1 malformed file", args: []string{"get", fileURI(badYAML) + "#password"}, code: 1, stderrHas: "bad.yaml"},
		{name: "2 no arguments", args: nil, code: 2, stderrHas: "Usage: secrets"},
		{name: "2 unknown flag", args: []string{"get", "--bogus", "env://DB_PASSWORD"}, code: 2, stderrHas: "-bogus"},
		{name: "3 env", args: []string{"get", "env://NOT_SET_ANYWHERE_42"}, code: 3, stderrHas: "not found"},
		{name: "3 azurekv", args: []string{"get", kvURI("no-such-secret")}, code: 3, stderrHas: "SecretNotFound"},
		{
			name: "0 run passes a reference's value in the environment", args: []string{"run", "--", "sh", "-c", `printf %s "$REF"`},
			extraEnv: []string{"REF=${secret:env://DB_PASSWORD}"}, code: 0, stdout: "from-env",
		},
		{name: "5 run exits with the command's status", args: []string{"run", "--", "sh", "-c", "exit 5"}, code: 5},
		{
			name: "3 run with a missing reference", args: []string{"run", "--", "true"},
			extraEnv: []string{"REF=${secret:env://NOT_SET_ANYWHERE_42}"}, code: 3, stderrHas: "environment: REF: ${secret:env://NOT_SET_ANYWHERE_42}",
		},
		{
			name: "4 azurekv identity without get", args: []string{"get", kvURI("db-password")},
			extraEnv: []string{"AZURE_CLIENT_ID=" + e.Identity(t, "lister").ClientID},
			code:     4, stderrHas: "does not have secrets get permission", stderrOmit: "hunter2",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, tc.args...)
			cmd.Env = append(append([]string{}, env...), tc.extraEnv...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var exitErr *exec.ExitError
			if errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			if tc.stdout != "" && stdout.String() != tc.stdout {
				t.Errorf("stdout = %q, want %q", stdout.String(), tc.stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderrHas) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tc.stderrHas)
			}
			if tc.stderrOmit != "" && strings.Contains(stdout.String()+stderr.String(), tc.stderrOmit) {
				t.Errorf("output contains %q: stdout %q stderr %q", tc.stderrOmit, stdout.String(), stderr.String())
			}
		})
	}
}
