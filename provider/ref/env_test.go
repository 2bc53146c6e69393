package ref_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/ref"
)

func TestJSONKeepsOrderAndSpacing(t *testing.T) {
	r := &ref.Resolver{Mux: newCounting("pw", "a\"b\n<c>").mux()}
	src := []byte("{\n  \"z\": 1,\n  \"${secret:count://vault/pw}\":   \"${secret:count://vault/pw}\",\n  \"a\": [true, null, 1.50e3]\n}\n")
	out, err := r.JSON(context.Background(), src, "x.json")
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"z\": 1,\n  \"${secret:count://vault/pw}\":   \"a\\\"b\\n<c>\",\n  \"a\": [true, null, 1.50e3]\n}\n"
	if string(out) != want {
		t.Errorf("got  %q\nwant %q", out, want)
	}
	if _, err := r.JSON(context.Background(), []byte("{\n\"a\": ,}"), "bad.json"); err == nil || !strings.HasPrefix(err.Error(), "bad.json:2: ") {
		t.Errorf("malformed JSON: err = %v", err)
	}
	plain := []byte(`{"b":1, "a":2}`)
	if out, err := r.JSON(context.Background(), plain, "p.json"); err != nil || !bytes.Equal(out, plain) {
		t.Errorf("no references: %q, %v", out, err)
	}
}

func TestEnviron(t *testing.T) {
	r := &ref.Resolver{Mux: newCounting("pw", "s3cr3t", "nul", "a\x00b").mux()}
	env := []string{"PATH=/bin", "DSN=postgres://app:${secret:count://vault/pw}@db/app", "ODD", "LIT=$${secret:x}"}
	got, err := r.Environ(context.Background(), env, "environment")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"PATH=/bin", "DSN=postgres://app:s3cr3t@db/app", "ODD", "LIT=${secret:x}"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
	if env[1] != "DSN=postgres://app:${secret:count://vault/pw}@db/app" {
		t.Errorf("the input was modified")
	}
	_, err = r.Environ(context.Background(), []string{"X=${secret:count://vault/nul}"}, "environment")
	if err == nil || !strings.Contains(err.Error(), "environment: X: ${secret:count://vault/nul}: the expanded value (3 bytes) holds a NUL byte") {
		t.Errorf("NUL: err = %v", err)
	}
	_, err = r.Environ(context.Background(), []string{"X=${secret:count://vault/none}"}, "environment")
	if !errors.Is(err, provider.ErrNotFound) || !strings.HasPrefix(err.Error(), "environment: X: ${secret:count://vault/none}: ") {
		t.Errorf("missing: err = %v", err)
	}

	m, err := r.Map(context.Background(), map[string]string{"A": "${secret:count://vault/pw}", "B": "b"}, "map")
	if err != nil || m["A"] != "s3cr3t" || m["B"] != "b" {
		t.Errorf("Map = %v, %v", m, err)
	}
}

const appEnv = `# database
export DB_PASSWORD=${secret:count://vault/pw}
DSN="postgres://app:${secret:count://vault/pw}@db/app"   # quoted
PLAIN=value # comment
SINGLE='$${secret:literal}'
TOKEN=${secret:count://vault/token}
`

func TestDotenv(t *testing.T) {
	r := &ref.Resolver{Mux: newCounting("pw", "p w\"$x", "token", "abc123").mux()}
	out, err := r.Dotenv(context.Background(), []byte(appEnv), "app.env")
	if err != nil {
		t.Fatal(err)
	}
	want := `# database
export DB_PASSWORD="p w\"\$x"
DSN="postgres://app:p w\"\$x@db/app"   # quoted
PLAIN=value # comment
SINGLE="\${secret:literal}"
TOKEN=abc123
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	// The rendered file reads back as the resolved values.
	vars, err := ref.ParseDotenv(out, "out.env")
	if err != nil || len(vars) != 5 || vars[0].Value != "p w\"$x" || vars[1].Value != "postgres://app:p w\"$x@db/app" {
		t.Errorf("ParseDotenv(rendered) = %+v, %v", vars, err)
	}

	// An unterminated reference is a syntax error naming the line.
	_, err = r.DotenvVars(context.Background(), []byte(appEnv+"SINGLE='${secret:x'\n"), "app.env")
	var re *ref.Error
	if !errors.As(err, &re) || re.Line != 7 || re.Key != "SINGLE" || !errors.Is(err, ref.ErrSyntax) {
		t.Errorf("DotenvVars err = %v; want a syntax error on line 7", err)
	}
	got, err := r.DotenvVars(context.Background(), []byte("A=1\nB=${secret:count://vault/token}\n"), "x.env")
	if err != nil || strings.Join(got, "|") != "A=1|B=abc123" {
		t.Errorf("DotenvVars = %q, %v", got, err)
	}
	for _, bad := range []string{"NOEQUALS\n", "A='open\n", "A=\"x\" trailing\n", "A=\"\\q\"\n", "bad key=1\n"} {
		if _, err := ref.ParseDotenv([]byte(bad), "bad.env"); err == nil || !strings.HasPrefix(err.Error(), "bad.env:1: ") {
			t.Errorf("ParseDotenv(%q) err = %v", bad, err)
		}
	}
}

// EnvironLayered lays each file over the environment as exec would see the
// result, and reads only what survives: a replaced variable's broken
// reference neither fails nor is fetched, and a secret named in two
// sources is read once.
func TestEnvironLayered(t *testing.T) {
	c := newCounting("pw", "s3cr3t", "api", "k-1")
	r := &ref.Resolver{Mux: c.mux()}
	env := []string{
		"PATH=/bin",
		"DSN=postgres://app:${secret:count://vault/pw}@db/app",
		"API_KEY=${secret:count://vault/none}", // replaced by app.env
		"ODD",
	}
	files := []ref.DotenvFile{
		{Name: "app.env", Data: []byte("API_KEY=${secret:count://vault/api}\nEXTRA=${secret:count://vault/gone}\nPW=${secret:count://vault/pw}\n")},
		{Name: "local.env", Data: []byte("EXTRA=local\n")},
	}
	got, err := r.EnvironLayered(context.Background(), env, "environment", files...)
	if err != nil {
		t.Fatalf("a replaced variable's reference failed the call: %v", err)
	}
	want := []string{"PATH=/bin", "DSN=postgres://app:s3cr3t@db/app", "API_KEY=k-1", "ODD", "EXTRA=local", "PW=s3cr3t"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	c.mu.Lock()
	opens, bulks, bulkLen, gets := c.opens, c.bulks, c.bulkLen, c.gets
	c.mu.Unlock()
	if opens != 1 || bulks != 1 || gets != 0 || len(bulkLen) != 1 || bulkLen[0] != 2 {
		t.Errorf("opens %d, bulk reads %d of %v names, single reads %d; want 1 open and one bulk read of the 2 surviving secrets (pw once, api)",
			opens, bulks, bulkLen, gets)
	}

	// A failure in a file names the file and line.
	_, err = r.EnvironLayered(context.Background(), []string{"A=a"}, "environment",
		ref.DotenvFile{Name: "bad.env", Data: []byte("B=b\nC=${secret:count://vault/none}\n")})
	var re *ref.Error
	if !errors.As(err, &re) || !errors.Is(err, provider.ErrNotFound) || re.File != "bad.env" || re.Line != 2 || re.Key != "C" {
		t.Errorf("err = %v; want a not-found ref.Error at bad.env:2, key C", err)
	}
	// A malformed file is refused before anything is read.
	if _, err := r.EnvironLayered(context.Background(), nil, "environment",
		ref.DotenvFile{Name: "broken.env", Data: []byte("NOEQUALS\n")}); err == nil || !strings.HasPrefix(err.Error(), "broken.env:1: ") {
		t.Errorf("malformed file: err = %v; want one naming broken.env:1", err)
	}
}
