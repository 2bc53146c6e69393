package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A connection string or DSN pasted where a URI belongs is echoed in the
// error without its credential; other arguments are echoed as they are.
func TestErrorsDoNotEchoCredentialsInArguments(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		secret string
		code   int
	}{
		{[]string{"list", "user:hunter2@tcp(db:3306)/app"}, "hunter2", exitUsage},
		{[]string{"get", "user:hunter2@tcp(db:3306)/app"}, "hunter2", exitUsage},
		{[]string{"list", "db password=hunter2"}, "hunter2", exitUsage},
		{[]string{"list", "Server=db;User Id=app;Password=Pa55;Encrypt=true"}, "Pa55", exitUsage},
		{[]string{"Server=db;Password=hunter2;"}, "hunter2", exitUsage},
		{[]string{"help", "api_key=sk-123456"}, "sk-123456", exitUsage},
		{[]string{"list", "me:xq@host"}, "xq", exitUsage},
		{[]string{"list", `odd:"q"uoted@host`}, "uoted", exitUsage},
	} {
		r := runCLI(t, tc.args...)
		r.want(t, tc.code)
		if strings.Contains(r.stderr, tc.secret) {
			t.Errorf("secrets %q: stderr %q shows the credential", tc.args, r.stderr)
		}
		// Where the argument is echoed at all (an error about a URI with
		// no scheme leaves it out), the line says what was left out.
		arg := tc.args[len(tc.args)-1]
		before, _, _ := strings.Cut(arg, tc.secret)
		if len(before) >= 4 && strings.Contains(r.stderr, before) && !strings.Contains(r.stderr, redactedText) {
			t.Errorf("secrets %q: stderr %q echoes the argument without saying what was redacted", tc.args, r.stderr)
		}
	}
	// A URL's query is left out whole, as before.
	r := runCLI(t, "get", "https://acct.blob.core.windows.net/c?sv=1&sig=AbC%2Fdef")
	r.want(t, exitUsage)
	if strings.Contains(r.stderr, "AbC") {
		t.Errorf("stderr %q shows the signature", r.stderr)
	}
	r = runCLI(t, "list", "nope://host/path")
	r.want(t, exitUsage)
	if !strings.Contains(r.stderr, `"nope://host/path"`) || strings.Contains(r.stderr, redactedText) {
		t.Errorf("an argument without a credential is not echoed as is: %q", r.stderr)
	}
}

// A flow mapping missing its ':' used to turn the value into a secret name
// that list printed; now the file is refused and nothing of it is shown.
func TestListDoesNotPrintAValueMadeIntoAName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(path, []byte("db: {user: app, password hunter2}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "list", "file://"+path)
	r.want(t, exitError) // a malformed secrets file
	if strings.Contains(r.stdout+r.stderr, "hunter2") || !strings.Contains(r.stderr, "is a ':' missing?") {
		t.Errorf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}
