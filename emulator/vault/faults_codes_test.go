package vault_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/emulator/faults"
	"github.com/secretkit/secretkit/emulator/vault"
	"github.com/secretkit/secretkit/kv"
)

// An injected fault answers with the status the rule names and Key Vault's
// error code for it, with Retry-After when the rule sets one; operations
// no rule matches are served.
func TestInjectedFaultStatusAndCode(t *testing.T) {
	set := &faults.Set{}
	if err := set.Replace([]faults.Rule{
		{Operation: kv.OpGet, Status: http.StatusInternalServerError},
		{Operation: kv.OpDelete, Status: http.StatusServiceUnavailable, RetryAfter: 2},
		{Operation: kv.OpList, Status: http.StatusTooManyRequests, RetryAfter: 5},
	}); err != nil {
		t.Fatal(err)
	}
	f := start(t, vault.Options{Faults: set})
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
		retryAfter   string
		message      string
	}{
		{http.MethodGet, "/secrets/s", 500, "InternalServerError", "", "injected fault"},
		{http.MethodDelete, "/secrets/s", 503, "ServiceUnavailable", "2", "injected fault"},
		{http.MethodGet, "/secrets", 429, "Throttled", "5", ""},
	} {
		r := f.raw(t, tc.method, "", tc.path+"?api-version=7.6", "", nil)
		msg := wantError(t, r, tc.status, tc.code, "")
		if got := r.header.Get("Retry-After"); got != tc.retryAfter {
			t.Errorf("%s %s: Retry-After %q, want %q", tc.method, tc.path, got, tc.retryAfter)
		}
		if !strings.Contains(msg, tc.message) {
			t.Errorf("%s %s: message %q lacks %q", tc.method, tc.path, msg, tc.message)
		}
	}
	if r := f.raw(t, http.MethodPut, "", "/secrets/s?api-version=7.6", `{"value":"v"}`, nil); r.status != http.StatusOK {
		t.Errorf("set, which no rule matches: %d %s", r.status, r.body)
	}
}
