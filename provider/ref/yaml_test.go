package ref_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/provider/ref"
)

const configYAML = `# app configuration
server:
  port: 8080 # inline comment
  name: "quoted ${secret:count://vault/name}"
defaults: &db
  host: db.internal
  password: ${secret:count://vault/db-password}
primary:
  <<: *db
replica: *db
pin: ${secret:count://vault/pin}
multi: ${secret:count://vault/cert}
flags: [a, "${secret:count://vault/flag}"]
${secret:count://vault/key-not-expanded}: literal key
escaped: $${secret:count://vault/db-password}
list:
  - plain
  - ${secret:count://vault/db-password} # trailing
`

func TestYAMLRoundTrip(t *testing.T) {
	c := newCounting("name", "svc", "db-password", "p@ss: #word", "pin", "0123",
		"cert", "-----BEGIN-----\nline2\n", "flag", "true")
	r := &ref.Resolver{Mux: c.mux()}
	out, err := r.YAML(context.Background(), []byte(configYAML), "app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	if strings.Contains(text, "!!merge") {
		t.Errorf("the merge key gained an explicit tag:\n%s", text)
	}
	for _, want := range []string{
		"# app configuration", "# inline comment", "# trailing", "defaults: &db", "replica: *db", "\n  <<: *db",
		"${secret:count://vault/key-not-expanded}: literal key",
		"escaped: ${secret:count://vault/db-password}",
		"\n  port: 8080", // the source's two-space indentation
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	var got struct {
		Server struct {
			Port int
			Name string
		}
		Defaults struct{ Host, Password string }
		Primary  map[string]string
		Replica  map[string]string
		Pin      any
		Multi    string
		Flags    []any
		Escaped  string
		List     []string
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatalf("output does not parse: %v\n%s", err, text)
	}
	if got.Server.Port != 8080 || got.Server.Name != "quoted svc" || got.Defaults.Password != "p@ss: #word" ||
		got.Primary["password"] != "p@ss: #word" || got.Replica["password"] != "p@ss: #word" ||
		got.Multi != "-----BEGIN-----\nline2\n" || got.Escaped != "${secret:count://vault/db-password}" ||
		len(got.List) != 2 || got.List[1] != "p@ss: #word" {
		t.Errorf("decoded output = %+v\n%s", got, text)
	}
	// Secrets that look like numbers or booleans stay strings.
	if got.Pin != "0123" || len(got.Flags) != 2 || got.Flags[1] != "true" {
		t.Errorf("pin = %#v, flags = %#v; want strings", got.Pin, got.Flags)
	}
	// The anchored node is expanded once, not once per alias.
	if c.bulks != 1 || c.opens != 1 {
		t.Errorf("opens %d, bulk reads %d; want 1, 1", c.opens, c.bulks)
	}
}

// A file without references comes back byte for byte, even when its
// formatting is one the encoder would change.
func TestYAMLWithoutReferencesUnchanged(t *testing.T) {
	src := []byte("a:    1   # odd spacing\nb: {x: 1,   y: 2}\n${secret:count://vault/k}: key only\n")
	out, err := (&ref.Resolver{Mux: newCounting().mux()}).YAML(context.Background(), src, "x.yaml")
	if err != nil || !bytes.Equal(out, src) {
		t.Errorf("YAML = %q, %v; want the input unchanged", out, err)
	}
}

func TestYAMLNodeInPlace(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("# head\nk: ${secret:count://vault/a} # tail\n"), &doc); err != nil {
		t.Fatal(err)
	}
	r := &ref.Resolver{Mux: newCounting("a", "A").mux()}
	if err := r.YAMLNode(context.Background(), &doc, "inline"); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "# head\nk: A # tail\n" {
		t.Errorf("got %q", out)
	}
}

func TestYAMLRejectsBinaryValues(t *testing.T) {
	r := &ref.Resolver{Mux: newCounting("bin", "\xff\xfe").mux()}
	_, err := r.YAML(context.Background(), []byte("k: ${secret:count://vault/bin}\n"), "x.yaml")
	if err == nil || !strings.Contains(err.Error(), "x.yaml:1: ${secret:count://vault/bin}: the expanded value (2 bytes) is not UTF-8") {
		t.Errorf("err = %v", err)
	}
	_, err = r.YAML(context.Background(), []byte("k: [unterminated\n"), "bad.yaml")
	if err == nil || err.Error() != "bad.yaml:1: malformed YAML: did not find expected ',' or ']'" {
		t.Errorf("malformed YAML: err = %v", err)
	}
	// An unquoted *value is read as an alias; the error does not name it.
	_, err = r.YAML(context.Background(), []byte("a: b\npassword: *Xk9secretA\n"), "bad.yaml")
	if err == nil || err.Error() != "bad.yaml:2: malformed YAML: an alias (*name) refers to an anchor that is not defined; quote a value that starts with '*'" {
		t.Errorf("unknown alias: err = %v", err)
	}
}

// yaml.v3 writes a plain scalar that starts with a line break as a literal
// block, and reads that block back without the line break; an expanded
// value must come back from the rendered file exactly as the backend had it.
func TestYAMLKeepsLeadingLineBreaks(t *testing.T) {
	for _, value := range []string{"\n0", "\n\nkey\n", "\n-----BEGIN X-----\nabc\n-----END X-----\n", "plain", "two\nlines\n"} {
		for _, site := range []string{"k: ${secret:count://vault/v}\n", "k: '${secret:count://vault/v}'\n", "k: |\n  ${secret:count://vault/v}\n"} {
			r := &ref.Resolver{Mux: newCounting("v", value).mux()}
			out, err := r.YAML(context.Background(), []byte(site), "x.yaml")
			if err != nil {
				t.Fatalf("%q in %q: %v", value, site, err)
			}
			var got map[string]string
			if err := yaml.Unmarshal(out, &got); err != nil {
				t.Fatalf("%q in %q: rendered %q does not parse: %v", value, site, out, err)
			}
			want := value
			if strings.HasPrefix(site, "k: |") {
				want += "\n" // the line break after the reference is the block's own
			}
			if got["k"] != want {
				t.Errorf("%q in %q: rendered %q reads back as %q", value, site, out, got["k"])
			}
		}
	}
}
