package config

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary files to Parse: it never panics, every error
// is a one-line *Error naming the file and a line inside it, and every accepted file yields a complete
// configuration whose access entries point at declared identities.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", docExample,
		"vaults: [{name: kv1, access: {roles: [{identity: system, role: 4633458b-17de-408a-b874-0445c86b69e6}]}}]\n",
		"vaults: [{name: kv1, access: {policies: [{identity: system, secrets: [all]}]}}]\n",
		"identities:\n  - &a {name: a, kind: user}\n  - *a\n",
		"vaults:\n  - name: kv1\n    throttle: {creates: 2}\n    secrets: [{name: a, value: 1, tags: {k: }}]\n",
		"tenant: [x]\n", "- a\n", "a: b: c\n", "vaults: \x01\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := Parse("fuzz.yaml", []byte(src))
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "fuzz.yaml" {
				t.Fatalf("error %#v is not a config *Error for the file", err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || ce.Msg == "" {
				t.Fatalf("error is not one line: %q", msg)
			}
			if lines := yamlLines(src); ce.Line < 0 || ce.Line > lines {
				t.Fatalf("error %q names line %d of a %d-line file", err, ce.Line, lines)
			}
			return
		}
		if len(c.Identities) == 0 || len(c.Vaults) == 0 {
			t.Fatalf("accepted config without identities or vaults: %+v", c)
		}
		objectIDs := map[string]bool{}
		for _, id := range c.Identities {
			if id.ClientID == "" || id.ObjectID == "" || id.ResourceID == "" {
				t.Fatalf("identity %+v lacks an id", id)
			}
			objectIDs[id.ObjectID] = true
		}
		for _, v := range c.Vaults {
			if v.Access == nil {
				continue
			}
			for _, p := range v.Access.Policies {
				if !objectIDs[p.ObjectID] {
					t.Fatalf("policy %+v names no declared identity", p)
				}
			}
			for _, r := range v.Access.Roles {
				if !objectIDs[r.ObjectID] || r.Role.ID() == "" {
					t.Fatalf("role assignment %+v names no declared identity or built-in role", r)
				}
			}
		}
	})
}

// yamlLines counts lines as YAML does: CR, LF, CRLF, NEL, LS and PS all
// end one.
func yamlLines(src string) int {
	s := strings.ReplaceAll(src, "\r\n", "\n")
	n := 1
	for _, br := range []string{"\r", "\n", "\u0085", "\u2028", "\u2029"} {
		n += strings.Count(s, br)
	}
	return n
}
