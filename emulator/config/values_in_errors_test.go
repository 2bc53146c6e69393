package config

import (
	"errors"
	"strings"
	"testing"
)

// Mistakes around a seeded secret's value are errors that name the line
// and the problem, never the value.
func TestValueMistakesAreErrorsWithoutTheValue(t *testing.T) {
	vault := "vaults:\n  - name: kv1\n    secrets:\n"
	for _, tc := range []struct {
		name, src string
		line      int
		want      string
		hide      string
	}{
		{"unquoted alias", vault + "      - {name: db, value: *Xk9secretA}\n", 4, "refers to an anchor that is not defined", "Xk9secretA"},
		{"unquoted alias in block", vault + "      - name: db\n        value: *Xk9secretA\n", 5, "refers to an anchor that is not defined", "Xk9secretA"},
		{"missing colon", vault + "      - {name: db, value hunter2}\n", 4, "unknown key (not shown: it may be a value; is a ':' missing?)", "hunter2"},
		{"missing key", vault + "      - {name: db, hunter2}\n", 4, "unknown key (not shown", "hunter2"},
		{"unquoted tag", vault + "      - name: db\n        value: !pw\n", 5, "has a YAML tag (!...); quote a value that starts with '!'", "pw"},
		{"tag eats a word", vault + "      - {name: db, value: !Xk9 secretA}\n", 4, "quote a value that starts with '!'", "Xk9"},
		{"unquoted anchor", vault + "      - {name: db, value: &pw}\n", 4, "needs a value", "pw"},
		{"tag on a tag value", vault + "      - name: db\n        value: x\n        tags:\n          env: !prod\n", 7, "quote a value that starts with '!'", "prod"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("emulator.yaml", []byte(tc.src))
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Parse = %v; want a *config.Error", err)
			}
			if ce.Line != tc.line || !strings.Contains(ce.Msg, tc.want) || strings.Contains(err.Error(), tc.hide) {
				t.Errorf("error %q; want line %d with %q and without %q", err, tc.line, tc.want, tc.hide)
			}
		})
	}
	// A misspelt key with a value is still named, so it can be found.
	_, err := Parse("emulator.yaml", []byte(vault+"      - {name: db, valeu: x}\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown key "valeu" in secret "db" of vault "kv1"`) {
		t.Errorf("misspelt key: %v", err)
	}
}
