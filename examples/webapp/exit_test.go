package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/internal/testutil"
)

// The exit statuses the package documentation promises, from the built
// binary: 2 for a flag or variable the app cannot work with, 1 when it
// cannot serve.
func TestExitStatus(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bins, err := testutil.Binaries(".")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(bins, "webapp")
	for _, c := range []struct {
		name   string
		args   []string
		env    []string
		code   int
		stderr string
	}{
		{name: "unknown flag", args: []string{"-vault", "x"}, code: 2, stderr: "webapp: flag provided but not defined: -vault"},
		{name: "malformed variable", env: []string{"AZURE_KEYVAULT_URL=https://v.vault.azure.net/", "WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION=yes please"},
			code: 2, stderr: `WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION="yes please": want true or false`},
		{name: "cannot listen", args: []string{"-provider", "env://", "-addr", "127.0.0.1:no-such-port"}, code: 1, stderr: "webapp: listen tcp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, c.args...)
			cmd.Env = c.env // nothing else: no WEBAPP_* or Azure variable of this process
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || exitErr.ExitCode() != c.code {
				t.Fatalf("webapp %q: %v; want exit status %d\nstderr: %s", c.args, err, c.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr = %q; want it to contain %q", stderr.String(), c.stderr)
			}
		})
	}
}
