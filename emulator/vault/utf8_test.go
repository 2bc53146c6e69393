package vault_test

import (
	"net/http"
	"testing"

	"github.com/secretkit/secretkit/emulator/vault"
)

// JSON text must be UTF-8 (RFC 8259 §8.1). Go's decoder would turn bad
// bytes (and lone surrogate escapes) into U+FFFD and the secret would be
// stored changed; the emulator refuses them instead and stores nothing
// (issue 11, item 10).
func TestInvalidUTF8Refused(t *testing.T) {
	f := start(t, vault.Options{})
	const want = "The request body is not valid UTF-8 JSON text."
	for _, tc := range []struct{ name, method, path, body string }{
		{"value bad byte", http.MethodPut, "/secrets/u1", "{\"value\":\"a\xffb\"}"},
		{"value truncated sequence", http.MethodPut, "/secrets/u2", "{\"value\":\"\xe2\x82\"}"},
		{"value lone high surrogate escape", http.MethodPut, "/secrets/u3", `{"value":"a\ud800b"}`},
		{"value lone low surrogate escape", http.MethodPut, "/secrets/u4", `{"value":"\udc00"}`},
		{"tag value", http.MethodPut, "/secrets/u5", "{\"value\":\"v\",\"tags\":{\"k\":\"\xc3\"}}"},
		{"tag key", http.MethodPut, "/secrets/u6", "{\"value\":\"v\",\"tags\":{\"\xfe\":\"v\"}}"},
		{"content type", http.MethodPut, "/secrets/u7", "{\"value\":\"v\",\"contentType\":\"\xff\"}"},
	} {
		r := f.raw(t, tc.method, "", tc.path+"?api-version=7.6", tc.body, nil)
		if msg := wantError(t, r, 400, "BadParameter", ""); msg != want {
			t.Errorf("%s: message %q, want %q", tc.name, msg, want)
		}
		if g := f.raw(t, http.MethodGet, "", tc.path+"?api-version=7.6", "", nil); g.status != 404 {
			t.Errorf("%s: refused secret is stored: GET %d %s", tc.name, g.status, g.body)
		}
	}
	// Tags on update too, and the stored tags stay as they were.
	if r := f.raw(t, http.MethodPut, "", "/secrets/ok?api-version=7.6", `{"value":"v","tags":{"k":"v"}}`, nil); r.status != 200 {
		t.Fatalf("set: %d %s", r.status, r.body)
	}
	r := f.raw(t, http.MethodPatch, "", "/secrets/ok?api-version=7.6", "{\"tags\":{\"k\":\"\xff\"}}", nil)
	if msg := wantError(t, r, 400, "BadParameter", ""); msg != want {
		t.Errorf("update: message %q", msg)
	}
	if g := f.raw(t, http.MethodGet, "", "/secrets/ok?api-version=7.6", "", nil).json(t); g["tags"].(map[string]any)["k"] != "v" {
		t.Errorf("tags after a refused update: %v", g["tags"])
	}
	// Valid non-ASCII text and escaped surrogate pairs are kept exactly.
	r = f.raw(t, http.MethodPut, "", "/secrets/fine?api-version=7.6", `{"value":"é€😀\ud83d\ude00\ufffd"}`, nil)
	if r.status != 200 || r.json(t)["value"] != "é€😀😀\ufffd" {
		t.Errorf("valid text: %d %s", r.status, r.body)
	}
}

// A duplicated api-version must not be settled silently by taking the
// first (issue 11, item 12).
func TestDuplicateAPIVersionRefused(t *testing.T) {
	f := start(t, vault.Options{})
	for _, q := range []string{"api-version=7.6&api-version=7.6", "api-version=7.6&api-version=bogus", "api-version=bogus&api%2Dversion=7.6"} {
		r := f.raw(t, http.MethodGet, "", "/secrets?"+q, "", nil)
		if msg := wantError(t, r, 400, "BadParameter", ""); msg != "The api-version query parameter must be given once." {
			t.Errorf("%s: message %q", q, msg)
		}
	}
}
