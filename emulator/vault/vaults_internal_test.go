package vault

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/secretkit/secretkit/emulator/store"
)

// Requests must not add a vault per Host header: anyone who can reach the
// listener (and get a token from IMDS) could grow the table without bound
// (issue 11, item 5: 1 M hosts held 400 MB). On-demand vaults have the
// default settings, so nothing about them needs remembering; the purge
// loop finds them through the store, only while they hold data.
func TestUnauthenticatedHostsCreateNoVaults(t *testing.T) {
	a, err := New(Options{Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	count := func() int { return len(a.vaults) }
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
	for i := range 2000 {
		r := httptest.NewRequest(http.MethodGet, "/secrets?api-version=7.6", nil)
		r.Host = "known" + strconv.Itoa(i) + ".vault.azure.net"
		r.Header.Set("Authorization", "Bearer t")
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			t.Fatalf("authenticated list: %d %s", w.Code, w.Body)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("after 2000 authenticated hosts: %d vaults in the table, want 1 (the configured one)", n)
	}
}
