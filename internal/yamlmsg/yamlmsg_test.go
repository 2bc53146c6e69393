package yamlmsg

import (
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"gopkg.in/yaml.v3"
)

// Every yaml.v3 failure becomes a line and a message that quotes nothing
// of the document: the anchor an unquoted *value names least of all.
func TestSyntaxQuotesNothingOfTheDocument(t *testing.T) {
	for _, tc := range []struct {
		doc      string
		line     int // 0: yaml.v3 says none (its first line, or a reader error)
		msg      string
		mustHide string
	}{
		{"a: b\ndb: *Xk9secretA\n", 2, MsgUnknownAnchor, "Xk9secretA"},
		{"db: [*Xk9secretA]\n", 1, MsgUnknownAnchor, "Xk9secretA"},
		{"a: &Xk9secretAB v\nb: *Xk9secretAB\nc: *Xk9secretA\n", 3, MsgUnknownAnchor, "Xk9secretA"},
		{"a: b\nc: 'unterminated hunter2\n", 2, "", "hunter2"},
		{"a: \"x\\qhunter2\"\n", 0, "found unknown escape character", "hunter2"},
		{"a: b\n  c: hunter2\n", 2, "mapping values are not allowed in this context", "hunter2"},
		{"a:\thunter2: x\n", 0, "mapping values are not allowed in this context", "hunter2"},
		{"a: b\nc: [d\n", 1, "did not find expected ',' or ']'", "hunter2"},
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tc.doc), &n)
		if err == nil {
			t.Errorf("%q parsed", tc.doc)
			continue
		}
		line, msg := Syntax(err, []byte(tc.doc))
		if strings.Contains(msg, tc.mustHide) || strings.ContainsAny(msg, "\n") || strings.HasPrefix(msg, "yaml:") {
			t.Errorf("%q: message %q (from %q)", tc.doc, msg, err)
		}
		if line != tc.line || (tc.msg != "" && msg != tc.msg) {
			t.Errorf("%q: line %d %q, want %d %q", tc.doc, line, msg, tc.line, tc.msg)
		}
	}
}

// Messages that quote more than a character are replaced whole.
func TestSyntaxReplacesUnknownQuotingMessages(t *testing.T) {
	for _, raw := range []string{"yaml: line 3: cannot unmarshal !!str `hunter2` into int", `yaml: invalid map key: "hunter2"`, "yaml: line 2: found 'hunter2'"} {
		line, msg := Syntax(errorString(raw), nil)
		if msg != MsgInvalid || strings.Contains(msg, "hunter2") {
			t.Errorf("%q: %d %q", raw, line, msg)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }
