package file_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/file"
)

// sentinel stands for a secret value in malformed files; no error may quote it.
const sentinel = "hunter2-do-not-print"

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readAll(t *testing.T, p *file.Provider) map[string]string {
	t.Helper()
	out := map[string]string{}
	for m, err := range p.ListSecrets(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		s, err := p.GetSecret(context.Background(), m.Name, "")
		if err != nil {
			t.Fatal(err)
		}
		out[m.Name] = s.Value.Reveal()
	}
	return out
}

func TestFormatsParse(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		opts          *file.Options
		want          map[string]string
	}{
		{"s.yaml", "db:\n  password: pw\n  port: 5432\ndebug: true\nempty:\nquoted: \"a: b\"\n", nil,
			map[string]string{"db.password": "pw", "db.port": "5432", "debug": "true", "empty": "", "quoted": "a: b"}},
		{"s.yml", "db:\n  password: pw\n", &file.Options{Separator: "__"}, map[string]string{"db__password": "pw"}},
		{"s.yaml", "base: &b\n  user: u\ncopy: *b\n", nil, map[string]string{"base.user": "u", "copy.user": "u"}},
		{"shared.yaml", sharedBlock(50, 10), nil, nil},
		{"s.yaml", "", nil, map[string]string{}},
		{"s.yaml", "# only a comment\n", nil, map[string]string{}},
		{"s.yaml", "---\na: 1\n---\n...\n", nil, map[string]string{"a": "1"}},
		{"s.yaml", "bin: !!binary AP/+\nwrapped: !!binary |\n  aGVs\n  bG8=\n", nil, map[string]string{"bin": "\x00\xff\xfe", "wrapped": "hello"}},
		{"s.json", `{"db":{"password":"pw","port":5432.50},"on":false,"none":null,"u":"\u00e9"}`, nil,
			map[string]string{"db.password": "pw", "db.port": "5432.50", "on": "false", "none": "", "u": "é"}},
		{"s.json", "  \n", nil, map[string]string{}},
		{"app.env", "# comment\nexport A=1\nB = two words # trailing comment\nC='single $HOME \\n'\n" +
			"D=\"line1\\nline2 \\\"q\\\" \\$HOME\"\nE=\"multi\nline\"\nF=\nG=a#b\n", nil,
			map[string]string{"A": "1", "B": "two words", "C": "single $HOME \\n", "D": "line1\nline2 \"q\" $HOME",
				"E": "multi\nline", "F": "", "G": "a#b"}},
		{"secrets", "X=1\r\nY=\"2\"\r\n", &file.Options{Format: file.FormatDotenv}, map[string]string{"X": "1", "Y": "2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := file.New(writeFile(t, tc.name, tc.content), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := readAll(t, p)
			if tc.want == nil { // only checks that the file parses
				return
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestMalformedFilesNameFileAndLineButNoValue(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		line          int
		wantText      string
	}{
		{"dup.yaml", "a: " + sentinel + "\nb: x\na: y\n", 3, `duplicate key "a" (first defined on line 1)`},
		{"nested-dup.yaml", "db:\n  pw: " + sentinel + "\n  pw: y\n", 3, `duplicate key "pw"`},
		{"collide.yaml", "db.pw: " + sentinel + "\ndb:\n  pw: y\n", 3, `duplicate key "db.pw"`},
		{"syntax.yaml", "a: " + sentinel + "\n b: [unclosed\n", 2, "malformed YAML"},
		{"list.yaml", "a:\n  - " + sentinel + "\n", 2, "lists are not supported"},
		{"two-docs.yaml", "a: " + sentinel + "\n---\nb: y\n", 2, "a second YAML document starts here"},
		{"bad-second-doc.yaml", "a: " + sentinel + "\n---\nb: y\n c: z\n", 4, "malformed YAML"},
		{"top.yaml", "- " + sentinel + "\n", 1, "top level must be a mapping"},
		{"binary.yaml", "a: 1\nb: !!binary " + sentinel + "%\n", 2, `key "b": !!binary value is not valid base64`},
		{"cycle.yaml", "pw: " + sentinel + "\na: &x\n  b: *x\n", 3, `key "a.b": an alias refers to a mapping that contains it`},
		{"bomb.yaml", aliasBomb(sentinel, 12), 8, "aliases expand to too many names"},
		{"deep.json", "{\"pw\": \"" + sentinel + "\",\n" + strings.Repeat(`"a":{`, 100_000) + strings.Repeat("}", 100_001),
			2, "a name is longer than 1024 bytes"},
		{"long.yaml", "pw: " + sentinel + "\n" + strings.Repeat("k", 600) + ":\n  " + strings.Repeat("k", 600) + ": x\n",
			3, "a name is longer than 1024 bytes"},
		{"long.env", "A=" + sentinel + "\n" + strings.Repeat("K", 1025) + "=x\n", 2, "a name is longer than 1024 bytes"},
		{"dup.json", "{\n\"a\": \"" + sentinel + "\",\n\"a\": \"y\"\n}", 3, `duplicate key "a" (first defined on line 2)`},
		{"syntax.json", "{\n\"a\": " + sentinel + "\n}", 2, "malformed JSON"},
		{"trunc.json", "{\"a\": \"" + sentinel, 1, "malformed JSON"},
		{"array.json", "{\"a\": [\"" + sentinel + "\"]}", 1, "arrays are not supported"},
		{"top.json", "[\"" + sentinel + "\"]", 1, "top level must be an object"},
		{"trailing.json", "{}\n{\"a\":\"" + sentinel + "\"}", 2, "unexpected data after"},
		{"dup.env", "A=" + sentinel + "\nA=y\n", 2, `duplicate key "A" (first defined on line 1)`},
		{"noeq.env", "A=1\n" + sentinel + "\n", 2, "expected KEY=VALUE"},
		{"unterminated.env", "A=1\nB=\"" + sentinel + "\n", 2, "unterminated quoted value"},
		{"escape.env", "A=\"" + sentinel + "\\q\"\n", 1, "unknown escape sequence"},
		{"after.env", "A=\"x\nmore\" " + sentinel + "\n", 2, "unexpected text after the closing quote"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.name, tc.content)
			_, err := file.New(path, nil)
			var perr *file.ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v; want a *file.ParseError", err)
			}
			if perr.Path != path || perr.Line != tc.line {
				t.Errorf("ParseError at %s:%d; want %s:%d", perr.Path, perr.Line, path, tc.line)
			}
			if !strings.Contains(err.Error(), tc.wantText) || !strings.Contains(err.Error(), fmt.Sprintf("%s:%d:", path, tc.line)) {
				t.Errorf("err = %q; want %q at line %d", err, tc.wantText, tc.line)
			}
			if strings.Contains(fmt.Sprintf("%+v %#v", err, err), sentinel) {
				t.Errorf("err quotes the value: %v", err)
			}
			for _, kind := range []error{provider.ErrNotFound, provider.ErrPermissionDenied, provider.ErrUnavailable} {
				if errors.Is(err, kind) {
					t.Errorf("a malformed file is classified as %v", kind)
				}
			}
		})
	}
}

// sharedBlock is a YAML file of one block of keys settings long, shared
// by aliases: legitimate, even where the names expand well past the
// file's own size.
func sharedBlock(users, keys int) string {
	var b strings.Builder
	b.WriteString("defaults: &d\n")
	for i := range keys {
		fmt.Fprintf(&b, "  setting-number-%d: value\n", i)
	}
	for i := range users {
		fmt.Fprintf(&b, "service-%d: *d\n", i)
	}
	return b.String()
}

// aliasBomb is a YAML file of levels mappings, each holding four aliases
// of the one before: 4^levels names from a few hundred bytes.
func aliasBomb(value string, levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "l0: &l0 {a: %s, b: x, c: x, d: x}\n", value)
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d {a: *l%d, b: *l%d, c: *l%d, d: *l%d}\n", i, i, i-1, i-1, i-1, i-1)
	}
	return b.String()
}

// TestDotenvEscapeErrorHidesTheCharacter: the character after a backslash
// belongs to the value, so the error must not quote it.
func TestDotenvEscapeErrorHidesTheCharacter(t *testing.T) {
	_, err := file.New(writeFile(t, "s.env", "A=\"ab\\Zcd\"\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "unknown escape sequence") {
		t.Fatalf("err = %v; want an unknown escape sequence error", err)
	}
	if strings.Contains(err.Error(), "Z") {
		t.Errorf("err quotes a character of the value: %v", err)
	}
}

func TestFileBecomingMalformedFailsReads(t *testing.T) {
	path := writeFile(t, "s.yaml", "a: 1\n")
	p, err := file.New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("a: 1\na: "+sentinel+"\n"), 0o600)
	_, err = p.GetSecret(context.Background(), "a", "")
	var perr *file.ParseError
	if !errors.As(err, &perr) || perr.Line != 2 || strings.Contains(err.Error(), sentinel) {
		t.Errorf("err = %v; want a ParseError at line 2", err)
	}
	results, err := p.GetSecrets(context.Background(), []string{"a", "b"})
	if err != nil || len(results) != 2 || !errors.As(results[1].Err, &perr) {
		t.Errorf("GetSecrets = %v, %v", results, err)
	}
	// A removed secrets file is not a missing secret: the file may come
	// back, and a wrong path must not read as "no such key".
	os.Remove(path)
	if _, err := p.GetSecret(context.Background(), "a", ""); !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), path) {
		t.Errorf("deleted file: err = %v; want ErrUnavailable naming %s", err, path)
	}
}

func TestSizeLimit(t *testing.T) {
	big := "a: \"" + strings.Repeat("x", 2000) + "\"\n"
	path := writeFile(t, "big.yaml", big)
	if _, err := file.New(path, &file.Options{MaxBytes: 1000}); err == nil || !strings.Contains(err.Error(), "file too large") {
		t.Errorf("oversized file: err = %v", err)
	}
	if _, err := file.New(path, nil); err != nil {
		t.Errorf("default limit refused a 2 KB file: %v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "big"), []byte(strings.Repeat("x", 2000)), 0o600)
	p, err := file.New(dir, &file.Options{MaxBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.GetSecret(context.Background(), "big", "")
	if err == nil || !strings.Contains(err.Error(), "file too large") || strings.Contains(err.Error(), "xxxx") {
		t.Errorf("oversized secret file: err = %v", err)
	}
}

func TestKubernetesVolumeLayout(t *testing.T) {
	dir := t.TempDir()
	gen := 0
	if err := writeKubernetesVolume(dir, &gen, map[string]string{"db-password": "v1", "api-key": "k"}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("h"), 0o600)
	os.Mkdir(filepath.Join(dir, "subdir"), 0o700)
	os.Symlink("nowhere", filepath.Join(dir, "dangling"))
	p, err := file.New(dir+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readAll(t, p)); got != "map[api-key:k db-password:v1]" {
		t.Errorf("listing = %s", got)
	}
	if err := writeKubernetesVolume(dir, &gen, map[string]string{"db-password": "v2"}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readAll(t, p)); got != "map[db-password:v2]" {
		t.Errorf("after the ..data swap: %s", got)
	}
	for _, name := range []string{"subdir", "dangling", "api-key"} {
		if _, err := p.GetSecret(context.Background(), name, ""); !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetSecret(%q) err = %v; want ErrNotFound", name, err)
		}
	}
	for _, name := range []string{"..data", ".hidden", "../" + filepath.Base(dir), "a/b"} {
		if _, err := p.GetSecret(context.Background(), name, ""); !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("GetSecret(%q) err = %v; want ErrInvalidArgument", name, err)
		}
	}
}

func TestOpen(t *testing.T) {
	yamlPath := writeFile(t, "s.yaml", "db-password: y\n")
	noExt := writeFile(t, "secrets", "{\"db-password\": \"j\"}")
	dir := filepath.Dir(writeFile(t, "db-password", "d"))
	ctx := context.Background()
	for uri, want := range map[string]string{
		"file://" + yamlPath:                    "y",
		"file://localhost" + yamlPath:           "y",
		"file://" + noExt + "?format=json":      "j",
		"file://" + dir + "/":                   "d",
		"file://" + dir:                         "d",
		"file://" + dir + "?format=dir":         "d",
		"file://" + yamlPath + "?separator=__":  "y",
		"file://" + yamlPath + "?maxbytes=4096": "y",
	} {
		p, err := provider.Open(ctx, uri)
		if err != nil {
			t.Errorf("Open(%q): %v", uri, err)
			continue
		}
		if s, err := p.GetSecret(ctx, "db-password", ""); err != nil || s.Value.Reveal() != want {
			t.Errorf("Open(%q) read %q, %v; want %q", uri, s.Value.Reveal(), err, want)
		}
	}
	for _, tc := range []struct {
		uri, wantText string
		kind          error
	}{
		{"file://" + noExt, "cannot tell the format", provider.ErrInvalidArgument},
		{"file://" + yamlPath + "?format=toml", `unknown format "toml"`, provider.ErrInvalidArgument},
		{"file://" + yamlPath + "?format=dir", "is not a directory", provider.ErrInvalidArgument},
		{"file://" + dir + "?format=yaml", "is a directory", provider.ErrInvalidArgument},
		{"file://" + yamlPath + "/", "not a directory", provider.ErrUnavailable},
		{"file://" + yamlPath + "?colour=blue", `unknown query parameter "colour"`, provider.ErrInvalidArgument},
		{"file://" + yamlPath + "?maxbytes=-1", "not a positive integer", provider.ErrInvalidArgument},
		{"file://remotehost/etc/secrets.yaml", `host "remotehost" is not allowed`, provider.ErrInvalidArgument},
		{"file://" + filepath.Join(dir, "missing.yaml"), filepath.Join(dir, "missing.yaml") + ": no such file", provider.ErrUnavailable},
		{"file://" + filepath.Join(dir, "missing") + "/", filepath.Join(dir, "missing") + "/: no such file", provider.ErrUnavailable},
	} {
		_, err := provider.Open(ctx, tc.uri)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.wantText) {
			t.Errorf("Open(%q) err = %v; want %v mentioning %q", tc.uri, err, tc.kind, tc.wantText)
		}
	}
}

func TestSecretURIFragment(t *testing.T) {
	path := writeFile(t, "s.yaml", "db:\n  password: pw\n")
	s, err := provider.GetSecretByURI(context.Background(), "file://"+path+"#db.password")
	if err != nil || s.Value.Reveal() != "pw" || s.Name != "db.password" {
		t.Errorf("GetSecretByURI = %+v, %v", s.Metadata, err)
	}
}

func TestIOErrorsAreClassified(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	os.WriteFile(path, []byte("a: 1\n"), 0o600)
	p, err := file.New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Replaced by a directory: an I/O failure of no known kind, which may
	// clear up (as a later rename would), so unavailable.
	os.Remove(path)
	os.Mkdir(path, 0o700)
	if _, err := p.GetSecret(context.Background(), "a", ""); !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("read error: err = %v; want ErrUnavailable", err)
	}
	for _, err := range p.ListSecrets(context.Background()) {
		if !errors.Is(err, provider.ErrUnavailable) {
			t.Errorf("list err = %v; want ErrUnavailable", err)
		}
	}

	vol := filepath.Join(dir, "vol")
	os.Mkdir(vol, 0o700)
	dp, err := file.New(vol, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(vol, "present"), []byte("v"), 0o600)
	if _, err := dp.GetSecret(context.Background(), "absent", ""); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a missing file in the directory: err = %v; want ErrNotFound", err)
	}
	// The directory itself gone is the source missing, not a secret.
	os.RemoveAll(vol)
	for _, err := range dp.ListSecrets(context.Background()) {
		if !errors.Is(err, provider.ErrUnavailable) {
			t.Errorf("list of a removed directory: err = %v; want ErrUnavailable", err)
		}
	}
	if _, err := dp.GetSecret(context.Background(), "present", ""); !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), vol) {
		t.Errorf("get from a removed directory: err = %v; want ErrUnavailable naming %s", err, vol)
	}
}

func TestParseErrorWithoutLine(t *testing.T) {
	err := &file.ParseError{Path: "/etc/s.yaml", Msg: "malformed YAML: something"}
	if got, want := err.Error(), "/etc/s.yaml: malformed YAML: something"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}
