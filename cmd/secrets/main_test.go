package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/testutil"
)

// TestMain removes the managed-identity variables that would make the SDK
// (and mi.NewCredential) pick a source other than IMDS, which the
// emulator's client routes to its identity listener. It runs before any
// test, so no test sees the environment change under it.
func TestMain(m *testing.M) {
	testutil.PoolSigningKeys()
	testutil.UnsetAzureCredentialEnv()
	os.Unsetenv(outputEnv)
	os.Unsetenv(timeoutEnv)
	os.Exit(m.Run())
}

// result is what one run of the command produced.
type result struct {
	code           int
	stdout, stderr string
}

// runWith runs the command in-process with c's mux, stdin as standard
// input and env as the only environment run may read.
func runWith(t *testing.T, c cli, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := c.run(context.Background(), args, strings.NewReader(stdin), &out, &errOut,
		func(k string) string { return env[k] })
	return result{code, out.String(), errOut.String()}
}

// runCLI runs the command as production does (run, the default mux), with no
// stdin and an empty environment for run's own settings.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	return result{code, out.String(), errOut.String()}
}

// want fails the test unless r exited with code; on success it also
// requires an empty stderr, and on failure exactly one stderr line.
func (r result) want(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	if code == exitOK && r.stderr != "" {
		t.Errorf("stderr on success: %q", r.stderr)
	}
	if code != exitOK && (strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n")) {
		t.Errorf("stderr is not exactly one line: %q", r.stderr)
	}
}

// decode parses r's stdout as JSON into v.
func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileURI returns the file:// URI of an absolute path.
func fileURI(path string) string {
	return "file://" + filepath.ToSlash(path)
}
