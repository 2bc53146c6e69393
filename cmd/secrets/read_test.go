package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// secretsYAML is a structured secrets file; db.password is nested.
const secretsYAML = "db:\n  password: s3cret-yaml\napi-key: key-from-yaml\n"

func TestGetEnv(t *testing.T) {
	t.Setenv("DB_PASSWORD", "hunter2")
	t.Setenv("APP_DB_PASSWORD", "prefixed-value")

	t.Run("text prints the value and a newline", func(t *testing.T) {
		r := runCLI(t, "get", "env://DB_PASSWORD")
		r.want(t, exitOK)
		if r.stdout != "hunter2\n" {
			t.Errorf("stdout = %q, want %q", r.stdout, "hunter2\n")
		}
	})
	t.Run("no-newline writes the exact bytes", func(t *testing.T) {
		r := runCLI(t, "get", "--no-newline", "env://DB_PASSWORD")
		r.want(t, exitOK)
		if r.stdout != "hunter2" {
			t.Errorf("stdout = %q, want %q", r.stdout, "hunter2")
		}
	})
	t.Run("mapped name and prefix", func(t *testing.T) {
		r := runCLI(t, "get", "env://db-password?prefix=APP_")
		r.want(t, exitOK)
		if r.stdout != "prefixed-value\n" {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	t.Run("fragment names the secret too", func(t *testing.T) {
		r := runCLI(t, "get", "env://#DB_PASSWORD")
		r.want(t, exitOK)
		if r.stdout != "hunter2\n" {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	t.Run("json without reveal has no value", func(t *testing.T) {
		r := runCLI(t, "get", "--output", "json", "env://DB_PASSWORD")
		r.want(t, exitOK)
		var got map[string]any
		r.decode(t, &got)
		if got["name"] != "db-password" || got["enabled"] != true {
			t.Errorf("json = %v, want name db-password, enabled", got)
		}
		if _, ok := got["value"]; ok || strings.Contains(r.stdout, "hunter2") {
			t.Errorf("json without --reveal shows the value: %s", r.stdout)
		}
	})
	t.Run("json with reveal has the value", func(t *testing.T) {
		// Flags after the URI are accepted, as in most CLIs.
		r := runCLI(t, "get", "env://DB_PASSWORD", "-o", "json", "--reveal")
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.Value == nil || *got.Value != "hunter2" || got.ValueEncoding != "" {
			t.Errorf("json = %s, want value hunter2 as text", r.stdout)
		}
	})
	t.Run("reveal without json changes nothing", func(t *testing.T) {
		r := runCLI(t, "get", "--reveal", "env://DB_PASSWORD")
		r.want(t, exitOK)
		if r.stdout != "hunter2\n" {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	t.Run("empty value is a value", func(t *testing.T) {
		t.Setenv("EMPTY_ONE", "")
		r := runCLI(t, "get", "-o", "json", "--reveal", "env://EMPTY_ONE")
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.Value == nil || *got.Value != "" {
			t.Errorf("json = %s, want an empty value present", r.stdout)
		}
	})
	t.Run("missing variable is not found", func(t *testing.T) {
		r := runCLI(t, "get", "env://NOT_SET_ANYWHERE_42")
		r.want(t, exitNotFound)
		if !strings.Contains(r.stderr, "NOT_SET_ANYWHERE_42") {
			t.Errorf("stderr does not name the variable: %q", r.stderr)
		}
	})
	t.Run("any version is not found", func(t *testing.T) {
		runCLI(t, "get", "--version", "1", "env://DB_PASSWORD").want(t, exitNotFound)
	})
	t.Run("output from the environment", func(t *testing.T) {
		r := runWith(t, cli{}, map[string]string{outputEnv: "json"}, "", "get", "env://DB_PASSWORD")
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.Name != "db-password" || got.Value != nil {
			t.Errorf("json = %s", r.stdout)
		}
	})
}

func TestGetFile(t *testing.T) {
	dir := t.TempDir()
	yamlPath := writeFile(t, dir, "x.yaml", secretsYAML)
	secretDir := filepath.Join(dir, "app")
	if err := os.Mkdir(secretDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, secretDir, "db-password", "from-dir\n")
	writeFile(t, secretDir, "binary", "\xff\x00\xfe")

	cases := []struct {
		name, uri, want string
	}{
		{"yaml fragment", fileURI(yamlPath) + "#db.password", "s3cret-yaml\n"},
		{"yaml top-level key", fileURI(yamlPath) + "#api-key", "key-from-yaml\n"},
		{"directory fragment", fileURI(secretDir) + "/#db-password", "from-dir\n\n"},
		{"directory trailing segment", fileURI(secretDir) + "/db-password", "from-dir\n\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "get", tc.uri)
			r.want(t, exitOK)
			if r.stdout != tc.want {
				t.Errorf("stdout = %q, want %q", r.stdout, tc.want)
			}
		})
	}
	t.Run("relative path", func(t *testing.T) {
		t.Chdir(dir)
		r := runCLI(t, "get", "--no-newline", "file:app/db-password")
		r.want(t, exitOK)
		if r.stdout != "from-dir\n" {
			t.Errorf("stdout = %q", r.stdout)
		}
	})
	t.Run("json with metadata, no value", func(t *testing.T) {
		r := runCLI(t, "get", "-o", "json", fileURI(yamlPath)+"#db.password")
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.Name != "db.password" || !got.Enabled || got.Updated == nil || got.Value != nil {
			t.Errorf("json = %s, want name, enabled, updated and no value", r.stdout)
		}
		if strings.Contains(r.stdout, "s3cret-yaml") {
			t.Errorf("json shows the value: %s", r.stdout)
		}
	})
	t.Run("binary value revealed as base64", func(t *testing.T) {
		r := runCLI(t, "get", "-o", "json", "--reveal", fileURI(secretDir)+"/binary")
		r.want(t, exitOK)
		var got secretJSON
		r.decode(t, &got)
		if got.ValueEncoding != "base64" || got.Value == nil {
			t.Fatalf("json = %s, want base64 value", r.stdout)
		}
		if raw, _ := base64.StdEncoding.DecodeString(*got.Value); string(raw) != "\xff\x00\xfe" {
			t.Errorf("decoded value = %q", raw)
		}
	})
	t.Run("missing key is not found", func(t *testing.T) {
		runCLI(t, "get", fileURI(yamlPath)+"#db.user").want(t, exitNotFound)
	})
	t.Run("a missing file is not a missing secret", func(t *testing.T) {
		// A path typo must not read as "no such key": exit 1, naming the file.
		absent := filepath.Join(dir, "absent.yaml")
		r := runCLI(t, "get", fileURI(absent)+"#x")
		r.want(t, exitError)
		if want := "secrets get: file: open: backend unavailable: stat " + absent + ": no such file or directory\n"; r.stderr != want {
			t.Errorf("stderr = %q; want %q", r.stderr, want)
		}
		r = runCLI(t, "get", fileURI(filepath.Join(dir, "absent-dir"))+"/x")
		r.want(t, exitError)
		if !strings.Contains(r.stderr, filepath.Join(dir, "absent-dir")) {
			t.Errorf("stderr = %q; want the directory named", r.stderr)
		}
	})
	t.Run("missing file in a directory is not found", func(t *testing.T) {
		runCLI(t, "get", fileURI(secretDir)+"/absent").want(t, exitNotFound)
	})
	for _, uri := range []string{fileURI(yamlPath), fileURI(secretDir), fileURI(secretDir) + "/"} {
		t.Run("whole provider needs a fragment: "+filepath.Base(uri), func(t *testing.T) {
			r := runCLI(t, "get", uri)
			r.want(t, exitUsage)
			if !strings.Contains(r.stderr, "#<name>") {
				t.Errorf("stderr does not say how to name the secret: %q", r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "s3cret") || strings.Contains(r.stdout+r.stderr, "from-dir") {
				t.Errorf("a value leaked: stdout %q stderr %q", r.stdout, r.stderr)
			}
		})
	}
	t.Run("malformed file is another error", func(t *testing.T) {
		bad := writeFile(t, dir, "bad.yaml", "password: [unterminated\n")
		r := runCLI(t, "get", fileURI(bad)+"#password")
		r.want(t, exitError)
		if !strings.Contains(r.stderr, "bad.yaml") {
			t.Errorf("stderr does not name the file: %q", r.stderr)
		}
	})
}

func TestListEnv(t *testing.T) {
	t.Setenv("CLITEST_DB_PASSWORD", "hunter2")
	t.Setenv("CLITEST_API_KEY", "k3y")
	uri := "env://?prefix=CLITEST_"

	t.Run("text", func(t *testing.T) {
		r := runCLI(t, "list", uri)
		r.want(t, exitOK)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") ||
			!strings.HasPrefix(lines[1], "api-key ") || !strings.HasPrefix(lines[2], "db-password ") {
			t.Errorf("stdout =\n%s\nwant a header and api-key, db-password in order", r.stdout)
		}
		if strings.Contains(r.stdout, "hunter2") || strings.Contains(r.stdout, "k3y") {
			t.Errorf("list shows values:\n%s", r.stdout)
		}
	})
	t.Run("json", func(t *testing.T) {
		r := runCLI(t, "list", "-o", "json", uri)
		r.want(t, exitOK)
		var got []secretJSON
		r.decode(t, &got)
		if len(got) != 2 || got[0].Name != "api-key" || got[1].Name != "db-password" {
			t.Errorf("json = %s", r.stdout)
		}
		if strings.Contains(r.stdout, "hunter2") || strings.Contains(r.stdout, `"value"`) {
			t.Errorf("list shows values: %s", r.stdout)
		}
	})
	t.Run("reveal is not a list flag", func(t *testing.T) {
		runCLI(t, "list", "--reveal", "-o", "json", uri).want(t, exitUsage)
	})
	t.Run("empty listing is an empty array", func(t *testing.T) {
		r := runCLI(t, "list", "-o", "json", "env://?prefix=NOTHING_HAS_THIS_PREFIX_")
		r.want(t, exitOK)
		if strings.TrimSpace(r.stdout) != "[]" {
			t.Errorf("stdout = %q, want []", r.stdout)
		}
	})
	t.Run("a secret URI is a usage error", func(t *testing.T) {
		runCLI(t, "list", "env://#DB_PASSWORD").want(t, exitUsage)
	})
	t.Run("a host is a usage error", func(t *testing.T) {
		runCLI(t, "list", "env://DB_PASSWORD").want(t, exitUsage)
	})
}

func TestListFile(t *testing.T) {
	dir := t.TempDir()
	yamlPath := writeFile(t, dir, "x.yaml", secretsYAML)

	t.Run("text", func(t *testing.T) {
		r := runCLI(t, "list", fileURI(yamlPath))
		r.want(t, exitOK)
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[1], "api-key ") || !strings.HasPrefix(lines[2], "db.password ") {
			t.Errorf("stdout =\n%s", r.stdout)
		}
		if strings.Contains(r.stdout, "s3cret") {
			t.Errorf("list shows a value:\n%s", r.stdout)
		}
	})
	t.Run("json", func(t *testing.T) {
		r := runCLI(t, "list", "--output=json", fileURI(yamlPath))
		r.want(t, exitOK)
		var got []secretJSON
		r.decode(t, &got)
		if len(got) != 2 || got[0].Name != "api-key" || got[1].Name != "db.password" || got[1].Updated == nil {
			t.Errorf("json = %s", r.stdout)
		}
	})
	t.Run("a missing file is not a missing secret", func(t *testing.T) {
		r := runCLI(t, "list", fileURI(filepath.Join(dir, "absent.yaml")))
		r.want(t, exitError)
		if !strings.Contains(r.stderr, filepath.Join(dir, "absent.yaml")) {
			t.Errorf("stderr = %q; want the file named", r.stderr)
		}
	})
}

func TestVersions(t *testing.T) {
	t.Setenv("DB_PASSWORD", "hunter2")
	dir := t.TempDir()
	yamlPath := writeFile(t, dir, "x.yaml", secretsYAML)

	for _, tc := range []struct{ provider, uri, name string }{
		{"env", "env://DB_PASSWORD", "db-password"},
		{"file", fileURI(yamlPath) + "#db.password", "db.password"},
	} {
		t.Run(tc.provider+"/text", func(t *testing.T) {
			r := runCLI(t, "versions", tc.uri)
			r.want(t, exitOK)
			lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "VERSION") || !strings.HasPrefix(lines[1], "-  ") {
				t.Errorf("stdout =\n%s\nwant a header and one unnamed version", r.stdout)
			}
			if strings.Contains(r.stdout, "hunter2") || strings.Contains(r.stdout, "s3cret") {
				t.Errorf("versions shows a value:\n%s", r.stdout)
			}
		})
		t.Run(tc.provider+"/json", func(t *testing.T) {
			r := runCLI(t, "versions", "-o", "json", tc.uri)
			r.want(t, exitOK)
			var got []secretJSON
			r.decode(t, &got)
			if len(got) != 1 || got[0].Name != tc.name || got[0].Version != "" || got[0].Value != nil {
				t.Errorf("json = %s", r.stdout)
			}
		})
	}
	t.Run("env/not found", func(t *testing.T) {
		runCLI(t, "versions", "env://NOT_SET_ANYWHERE_42").want(t, exitNotFound)
	})
	t.Run("file/not found", func(t *testing.T) {
		runCLI(t, "versions", "-o", "json", fileURI(yamlPath)+"#nope").want(t, exitNotFound)
	})
}

// TestWritesNeedAWritableProvider checks that set and delete refuse the
// read-only providers before reading any value.
func TestWritesNeedAWritableProvider(t *testing.T) {
	t.Setenv("DB_PASSWORD", "hunter2")
	yamlPath := writeFile(t, t.TempDir(), "x.yaml", secretsYAML)
	for _, args := range [][]string{
		{"set", "env://DB_PASSWORD"},
		{"set", "-o", "json", fileURI(yamlPath) + "#db.password"},
		{"delete", "env://DB_PASSWORD"},
		{"delete", "-o", "json", fileURI(yamlPath) + "#db.password"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := runWith(t, cli{}, nil, "new-value", args...)
			r.want(t, exitUsage)
			if !strings.Contains(r.stderr, "read-only") || strings.Contains(r.stderr, "new-value") {
				t.Errorf("stderr = %q, want it to say read-only and not show the value", r.stderr)
			}
		})
	}
	if got := os.Getenv("DB_PASSWORD"); got != "hunter2" {
		t.Errorf("DB_PASSWORD changed to %q", got)
	}
}

// The command parses the grammar package provider owns: ?version= pins a
// version, a chain URI lists providers, and --version must agree with the
// URI.
func TestOneGrammar(t *testing.T) {
	t.Setenv("DB_PASSWORD", "hunter2")
	yamlPath := writeFile(t, t.TempDir(), "x.yaml", secretsYAML)
	chain := "chain:env://?prefix=NOT_THERE_ " + fileURI(yamlPath)

	r := runCLI(t, "get", chain+"#db.password")
	r.want(t, exitOK)
	if r.stdout != "s3cret-yaml\n" {
		t.Errorf("chain get = %q", r.stdout)
	}
	r = runCLI(t, "list", "-o", "json", chain)
	r.want(t, exitOK)
	var listed []secretJSON
	r.decode(t, &listed)
	if len(listed) != 2 || listed[0].Name != "api-key" || listed[1].Name != "db.password" {
		t.Errorf("chain list = %s", r.stdout)
	}
	r = runCLI(t, "get", chain+"#absent")
	r.want(t, exitNotFound)
	if !strings.Contains(r.stderr, "chain") {
		t.Errorf("stderr = %q", r.stderr)
	}
	runCLI(t, "get", "env://DB_PASSWORD?version=1").want(t, exitNotFound)
	runCLI(t, "get", "--version", "1", "env://DB_PASSWORD?version=1").want(t, exitNotFound)
	r = runCLI(t, "get", "--version", "2", "env://DB_PASSWORD?version=1")
	r.want(t, exitUsage)
	if !strings.Contains(r.stderr, `--version "2" and the URI's version "1" differ`) {
		t.Errorf("stderr = %q", r.stderr)
	}
	for _, cmd := range []string{"versions", "set", "delete"} {
		r := runCLI(t, cmd, "env://DB_PASSWORD?version=1")
		r.want(t, exitUsage)
		if !strings.Contains(r.stderr, "drop ?version=") {
			t.Errorf("%s: stderr = %q", cmd, r.stderr)
		}
	}
}
