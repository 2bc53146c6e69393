package file_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider/file"
)

// Mistakes in a YAML value are errors that name the line and the kind of
// problem, never the value: an unquoted *value (read as an alias), a flow
// mapping missing its ':' (which would make the value a listed name), and
// an unquoted !value or &value (read as a tag or anchor, leaving the
// secret empty or without its first word).
func TestYAMLValueMistakesAreErrorsWithoutTheValue(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		line          int
		want, hide    string
	}{
		{"alias.yaml", "a: b\ndb: *Xk9secretA\n", 2, "alias (*name) refers to an anchor that is not defined", "Xk9secretA"},
		{"alias-in-flow.yaml", "db: {password: *Xk9secretA}\n", 1, "anchor that is not defined", "Xk9secretA"},
		{"flow-typo.yaml", "a: b\ndb: {password hunter2}\n", 2, "is a ':' missing?", "hunter2"},
		{"flow-typo-second.yaml", "db: {user: app, password hunter2}\n", 1, "is a ':' missing?", "hunter2"},
		{"tag-empty.yaml", "db: !pw\n", 1, "quote a value that starts with '!'", "pw"},
		{"tag-eats-word.yaml", "db: !Xk9 secretA\n", 1, "quote a value that starts with '!'", "Xk9"},
		{"anchor-empty.yaml", "a: b\ndb: &pw\n", 2, "quote a value that starts with '&'", "pw"},
		{"dup-odd-key.yaml", "a b c: x\na b c: y\n", 2, "duplicate a key (not shown", "a b c"},
		// yaml.v3 would decode UTF-16 and count U+0085 as a line break.
		{"utf16.yaml", "\xfe\xff\x00\x85db: hunter2", 1, "UTF-16; save it as UTF-8", "hunter2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.name, tc.content)
			_, err := file.New(path, nil)
			var perr *file.ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("err = %v; want a *file.ParseError", err)
			}
			if perr.Line != tc.line || !strings.Contains(perr.Msg, tc.want) {
				t.Errorf("error at line %d %q; want line %d with %q", perr.Line, perr.Msg, tc.line, tc.want)
			}
			if strings.Contains(err.Error(), tc.hide) {
				t.Errorf("error %q shows %q", err, tc.hide)
			}
		})
	}
}

// What the rules leave alone: anchors on values, explicit standard tags,
// quoted values starting with the special characters, keys with spaces
// that have a value.
func TestYAMLValuesTheRulesAccept(t *testing.T) {
	path := writeFile(t, "ok.yaml", "base: &b x1\ncopy: *b\nn: !!str 42\nbin: !!binary aGk=\n"+
		"q1: '*Xk9'\nq2: '!pw'\nq3: '&pw'\nflow: {user: app, password: p w}\n\"a b\": v\nflow2: {a b: c}\n")
	p, err := file.New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"base": "x1", "copy": "x1", "n": "42", "bin": "hi", "q1": "*Xk9",
		"q2": "!pw", "q3": "&pw", "flow.user": "app", "flow.password": "p w", "a b": "v", "flow2.a b": "c"} {
		s, err := p.GetSecret(t.Context(), name, "")
		if err != nil || s.Value.Reveal() != want {
			t.Errorf("%s: %d bytes, %v", name, s.Value.Len(), err)
		}
	}
}
