package vault

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/secretkit/secretkit/emulator/store"
)

// Requests refused before authentication must not add a vault per Host
// header: anyone who can reach the listener could grow the table without
// bound. An authenticated request does make its vault known.
func TestUnauthenticatedHostsCreateNoVaults(t *testing.T) {
	a, err := New(Options{Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.vaults)
	}
	for i := range 50 {
		r := httptest.NewRequest(http.MethodGet, "/secrets?api-version=7.6", nil)
		r.Host = "vault" + strconv.Itoa(i) + ".vault.azure.net"
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", w.Code)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("after 50 unauthenticated hosts: %d vaults, want 1 (the default)", n)
	}
	r := httptest.NewRequest(http.MethodGet, "/secrets?api-version=7.6", nil)
	r.Host = "known.vault.azure.net"
	r.Header.Set("Authorization", "Bearer t")
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Fatalf("authenticated list: %d %s", w.Code, w.Body)
	}
	if n := count(); n != 2 {
		t.Errorf("after an authenticated request: %d vaults, want 2", n)
	}
}
