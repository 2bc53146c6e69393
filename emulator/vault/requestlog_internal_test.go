package vault

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/emulator/store"
)

// At debug level the request line names the api-version, both for a
// request refused before its query is parsed (no token) and for one
// served after.
func TestRequestLogNamesAPIVersion(t *testing.T) {
	var logs bytes.Buffer
	a, err := New(Options{Store: store.NewMemory(),
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, auth, version string
		status              int
	}{
		{"refused", "", "7.5", http.StatusUnauthorized},
		{"served", "Bearer t", "7.6", http.StatusOK},
	} {
		logs.Reset()
		r := httptest.NewRequest(http.MethodGet, "/secrets?api-version="+tc.version, nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if w.Code != tc.status {
			t.Fatalf("%s: status %d, want %d", tc.name, w.Code, tc.status)
		}
		if want := "apiVersion=" + tc.version; !strings.Contains(logs.String(), want) {
			t.Errorf("%s: log lacks %s:\n%s", tc.name, want, logs.String())
		}
	}
}
