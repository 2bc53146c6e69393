package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const renderYAML = `# app
db: &db
  host: db.internal
  password: ${secret:env://RENDER_PW} # monthly
replica: *db
pin: ${secret:env://RENDER_PIN}
`

func TestRender(t *testing.T) {
	t.Setenv("RENDER_PW", "hunter2")
	t.Setenv("RENDER_PIN", "0042")
	dir := t.TempDir()
	yamlPath := writeFile(t, dir, "app.yaml", renderYAML)
	want := "# app\ndb: &db\n  host: db.internal\n  password: hunter2 # monthly\nreplica: *db\npin: \"0042\"\n"

	t.Run("yaml to stdout", func(t *testing.T) {
		r := runCLI(t, "render", yamlPath)
		r.want(t, exitOK)
		if r.stdout != want {
			t.Errorf("stdout =\n%s\nwant\n%s", r.stdout, want)
		}
	})
	t.Run("to a 0600 file, replacing a wider one", func(t *testing.T) {
		out := writeFile(t, dir, "out.yaml", "old")
		if err := os.Chmod(out, 0o644); err != nil {
			t.Fatal(err)
		}
		r := runCLI(t, "render", "-o", out, yamlPath)
		r.want(t, exitOK)
		if r.stdout != "" {
			t.Errorf("stdout = %q; want nothing", r.stdout)
		}
		got, err := os.ReadFile(out)
		if err != nil || string(got) != want {
			t.Fatalf("file = %q, %v", got, err)
		}
		info, err := os.Stat(out)
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("mode = %v, %v; want 0600", info.Mode().Perm(), err)
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, ".out.yaml.*"))
		if len(leftovers) != 0 {
			t.Errorf("temporary files left: %v", leftovers)
		}
	})
	t.Run("json and dotenv", func(t *testing.T) {
		jsonPath := writeFile(t, dir, "app.json", `{"z": 1, "pw": "${secret:env://RENDER_PW}"}`)
		r := runCLI(t, "render", jsonPath)
		r.want(t, exitOK)
		if r.stdout != `{"z": 1, "pw": "hunter2"}` {
			t.Errorf("json = %q", r.stdout)
		}
		envPath := writeFile(t, dir, "app.env", "# c\nPW=${secret:env://RENDER_PW}\nX=1\n")
		r = runCLI(t, "render", envPath)
		r.want(t, exitOK)
		if r.stdout != "# c\nPW=hunter2\nX=1\n" {
			t.Errorf("dotenv = %q", r.stdout)
		}
		r = runCLI(t, "render", "--format", "dotenv", writeFile(t, dir, "noext", "PW=${secret:env://RENDER_PW}\n"))
		r.want(t, exitOK)
		if r.stdout != "PW=hunter2\n" {
			t.Errorf("--format dotenv = %q", r.stdout)
		}
	})
	t.Run("missing secret names file, line and reference", func(t *testing.T) {
		path := writeFile(t, dir, "missing.yaml", "a: ${secret:env://RENDER_PW}\nb: ${secret:env://RENDER_NOT_SET_42}\n")
		r := runCLI(t, "render", path)
		r.want(t, exitNotFound)
		if !strings.Contains(r.stderr, path+":2: ${secret:env://RENDER_NOT_SET_42}: env: get") || strings.Contains(r.stderr, "hunter2") {
			t.Errorf("stderr = %q", r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("stdout = %q; want nothing on failure", r.stdout)
		}
	})
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"render", writeFile(t, dir, "x.txt", "a")}, exitUsage, "give --format yaml, json or dotenv"},
		{[]string{"render", "--format", "toml", yamlPath}, exitUsage, `--format "toml"`},
		{[]string{"render", filepath.Join(dir, "absent.yaml")}, exitError, "no such file"},
		{[]string{"render", writeFile(t, dir, "bad.yaml", "a: ${secret:env://X\n")}, exitError, "bad.yaml:1: malformed secret reference"},
		{[]string{"render", writeFile(t, dir, "scheme.yaml", "a: ${secret:nosuch://x/y}\n")}, exitUsage, `no provider registered for scheme "nosuch"`},
		{[]string{"render"}, exitUsage, "missing <file>"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runCLI(t, tc.args...)
			r.want(t, tc.code)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr = %q; want %q", r.stderr, tc.want)
			}
		})
	}
}

func TestRun(t *testing.T) {
	t.Setenv("RUN_REAL_PW", "hunter2")
	dir := t.TempDir()
	environ := func(extra ...string) cli {
		return cli{environ: func() []string {
			return append([]string{"PATH=" + os.Getenv("PATH"), "KEEP=kept $${secret:literal}"}, extra...)
		}}
	}
	t.Run("values reach the environment, never argv", func(t *testing.T) {
		envFile := writeFile(t, dir, "app.env", "FROM_FILE=${secret:env://RUN_REAL_PW}\nKEEP=overridden\n")
		c := environ("DB_PASSWORD=pw:${secret:env://RUN_REAL_PW}")
		r := runWith(t, c, nil, "", "run", "--env-file", envFile, "--",
			"sh", "-c", `printf '%s|%s|%s|' "$DB_PASSWORD" "$FROM_FILE" "$KEEP"; tr '\0' ' ' < /proc/$$/cmdline`)
		r.want(t, exitOK)
		fields := strings.SplitN(r.stdout, "|", 4)
		if len(fields) != 4 || fields[0] != "pw:hunter2" || fields[1] != "hunter2" || fields[2] != "overridden" {
			t.Fatalf("stdout = %q", r.stdout)
		}
		if strings.Contains(fields[3], "hunter2") || !strings.Contains(fields[3], "sh -c") {
			t.Errorf("the command line is %q; want it without the value", fields[3])
		}
	})
	t.Run("a variable an env-file replaces is never read", func(t *testing.T) {
		envFile := writeFile(t, dir, "override.env", "API_KEY=from-file\n")
		r := runWith(t, environ("API_KEY=${secret:env://RUN_NOT_SET_43}"), nil, "", "run", "--env-file", envFile, "--",
			"sh", "-c", `printf %s "$API_KEY"`)
		r.want(t, exitOK)
		if r.stdout != "from-file" {
			t.Errorf("stdout = %q; want the env-file's value", r.stdout)
		}
	})
	t.Run("escaped references stay literal", func(t *testing.T) {
		r := runWith(t, environ(), nil, "", "run", "sh", "-c", `printf %s "$KEEP"`)
		r.want(t, exitOK)
		if r.stdout != "kept ${secret:literal}" {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	t.Run("flags after the command are the command's", func(t *testing.T) {
		r := runWith(t, environ(), nil, "", "run", "--timeout", "5s", "sh", "-c", `printf %s "$*"`, "sh", "--timeout", "-o", "json")
		r.want(t, exitOK)
		if r.stdout != "--timeout -o json" {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	t.Run("the command's status is run's", func(t *testing.T) {
		r := runWith(t, environ(), nil, "", "run", "--", "sh", "-c", "echo oops >&2; exit 7")
		if r.code != 7 || r.stderr != "oops\n" {
			t.Errorf("exit %d, stderr %q; want 7 and only the command's stderr", r.code, r.stderr)
		}
		r = runWith(t, environ(), nil, "", "run", "--", "sh", "-c", "kill -TERM $$")
		if r.code != 128+15 {
			t.Errorf("killed by SIGTERM: exit %d; want 143", r.code)
		}
	})
	t.Run("a missing secret stops run before the command", func(t *testing.T) {
		marker := filepath.Join(dir, "started")
		r := runWith(t, environ("API_KEY=${secret:env://RUN_NOT_SET_42}"), nil, "", "run", "--", "touch", marker)
		r.want(t, exitNotFound)
		if !strings.Contains(r.stderr, "environment: API_KEY: ${secret:env://RUN_NOT_SET_42}: env: get") {
			t.Errorf("stderr = %q", r.stderr)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("the command ran")
		}
	})
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run"}, exitUsage, "missing -- <command>"},
		{[]string{"run", "--"}, exitUsage, "missing -- <command>"},
		{[]string{"run", "--env-file", filepath.Join(dir, "absent.env"), "--", "true"}, exitError, "--env-file: open"},
		{[]string{"run", "--env-file", writeFile(t, dir, "bad.env", "A=1\nnot a line\n"), "--", "true"}, exitError, "bad.env:2: expected KEY=VALUE"},
		{[]string{"run", "--", "/nonexistent/command-42"}, exitError, "/nonexistent/command-42"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runWith(t, environ(), nil, "", tc.args...)
			r.want(t, tc.code)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr = %q; want %q", r.stderr, tc.want)
			}
		})
	}
}

// readyWriter closes ready when the output contains "ready".
type readyWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	ready chan struct{}
	once  sync.Once
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "ready") {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func (w *readyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// Ending run (its context, as SIGINT/SIGTERM do in main) asks the command
// to stop with SIGTERM, and run reports the command's own status.
func TestRunForwardsTermination(t *testing.T) {
	c := cli{environ: func() []string { return []string{"PATH=" + os.Getenv("PATH")} }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &readyWriter{ready: make(chan struct{})}
	var errOut strings.Builder
	done := make(chan int)
	go func() {
		done <- c.run(ctx, []string{"run", "--", "sh", "-c",
			`trap 'echo got-term; exit 3' TERM; echo ready; while :; do sleep 0.05; done`},
			strings.NewReader(""), out, &errOut, func(string) string { return "" })
	}()
	select {
	case <-out.ready:
	case code := <-done:
		t.Fatalf("run ended early with %d: %q %q", code, out.String(), errOut.String())
	}
	cancel()
	if code := <-done; code != 3 || !strings.Contains(out.String(), "got-term") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 3 after the command's TERM trap", code, out.String(), errOut.String())
	}
}

// --timeout bounds the reading of secrets, not the command: one that runs
// longer than the timeout completes.
func TestRunTimeoutDoesNotEndTheCommand(t *testing.T) {
	c := cli{environ: func() []string { return []string{"PATH=" + os.Getenv("PATH")} }}
	r := runWith(t, c, nil, "", "run", "--timeout", "100ms", "--", "sh", "-c", "sleep 0.3; echo done")
	r.want(t, exitOK)
	if r.stdout != "done\n" {
		t.Errorf("stdout = %q", r.stdout)
	}
}
