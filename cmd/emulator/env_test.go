package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// "emulator env" refuses what cannot work before asking anyone, with a
// usage error naming the flag or variable to change.
func TestEnvSubcommandUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown format", nil, []string{"-format", "yaml"}, `-format "yaml": want sh or dotenv`},
		{"port 0 flag", nil, []string{"-identity-addr", "127.0.0.1:0"}, `-identity-addr="127.0.0.1:0": want host:port with a fixed port`},
		{"port 0 from env", map[string]string{"EMULATOR_IDENTITY_ADDR": "127.0.0.1:0"}, nil, `EMULATOR_IDENTITY_ADDR="127.0.0.1:0": want host:port with a fixed port`},
		{"flag wins over env", map[string]string{"EMULATOR_IDENTITY_ADDR": "127.0.0.1:8080"}, []string{"-identity-addr", "nohost"}, `-identity-addr="nohost": want host:port`},
		{"bad flavour flag", nil, []string{"-flavour", "mainframe"}, `-flavour: `},
		{"argument", nil, []string{"extra"}, `env: unexpected argument "extra"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string { return tc.env[k] }
			err := run(context.Background(), append([]string{"env"}, tc.args...), getenv, io.Discard, io.Discard)
			if exitCode(err) != exitUsage || err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v (exit %d), want exit %d and an error starting %q", err, exitCode(err), exitUsage, tc.want)
			}
		})
	}
}

// Something other than an emulator at the address is a runtime failure
// naming what answered, not an environment printed for eval.
func TestEnvSubcommandRefusesAnotherServer(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"error status", http.StatusNotFound, "no such page\n", "answered 404 Not Found: no such page"},
		{"not KEY=VALUE", http.StatusOK, "<html>hello</html>\n", `answered a line that is not KEY=VALUE: "<html>hello</html>" (not an emulator?)`},
		{"a key with a space", http.StatusOK, "A B=1\n", `answered a line that is not KEY=VALUE: "A B=1"`},
		{"empty", http.StatusOK, "", "answered no environment (not an emulator?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			var stdout strings.Builder
			err := run(context.Background(), []string{"env", "-identity-addr", strings.TrimPrefix(srv.URL, "http://")}, func(string) string { return "" }, &stdout, io.Discard)
			if exitCode(err) != exitFailure || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v (exit %d), want exit %d and an error containing %q", err, exitCode(err), exitFailure, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q for a failed fetch", stdout.String())
			}
		})
	}
}
