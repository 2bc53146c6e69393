package faults

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzRule fuzzes the two untrusted forms of a rule: the admin route's JSON
// body and the config's YAML. An accepted rule is valid, survives its own
// JSON form unchanged, and the YAML and JSON readers agree on it; a refused
// one gets a one-line error.
func FuzzRule(f *testing.F) {
	for _, seed := range []string{
		`{"operation":"get","vault":"myvault","status":503,"retryAfter":1,"count":2}`,
		`{"target":"identity","identity":"web","status":500,"probability":0.5}`,
		`{"delay":"2s"}`, `{"drop":true,"count":1}`, `{"status":429,"retryAfter":30}`,
		`{"delay":"-1s"}`, `{"delay":"9999999999h"}`, `{"status":200}`, `{"probability":1.5}`,
		`{"operation":"teleport"}`, `{"target":"vault","identity":"x"}`, `{"unknown":1}`,
		`{"count":-1}`, `{"status":503,"drop":true}`, `[]`, `null`, `{"delay":"2s"} {}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var r Rule
		jsonErr := json.Unmarshal([]byte(src), &r)
		if jsonErr != nil {
			if strings.ContainsAny(jsonErr.Error(), "\r\n") {
				t.Fatalf("JSON error is not one line: %q", jsonErr)
			}
		} else {
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted %q as %+v, which Validate refuses: %v", src, r, err)
			}
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("accepted %q as %+v, which does not encode: %v", src, r, err)
			}
			var again Rule
			if err := json.Unmarshal(out, &again); err != nil || again != r {
				t.Fatalf("%q -> %+v -> %s -> %+v (%v)", src, r, out, again, err)
			}
		}
		// JSON is YAML: where the YAML reader accepts the text as a rule,
		// it must read the same rule as the JSON reader.
		var node yaml.Node
		if yaml.Unmarshal([]byte(src), &node) != nil || len(node.Content) == 0 {
			return
		}
		var fromYAML Rule
		yamlErr := fromYAML.UnmarshalYAML(node.Content[0])
		if yamlErr != nil && strings.ContainsAny(yamlErr.Error(), "\r\n") {
			t.Fatalf("YAML error is not one line: %q", yamlErr)
		}
		if jsonErr == nil && yamlErr == nil && fromYAML != r {
			t.Fatalf("%q reads as %+v from JSON but %+v from YAML", src, r, fromYAML)
		}
	})
}
