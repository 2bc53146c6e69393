package emulator

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/secretkit/secretkit/emulator/config"
)

// discardWriter is the cheapest ResponseWriter: the benchmark measures the
// handler, not a recorder's buffer.
type discardWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *discardWriter) Header() http.Header  { return w.h }
func (w *discardWriter) WriteHeader(code int) { w.status = code }
func (w *discardWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

// BenchmarkVaultHandler runs a GET of a secret through the vault listener's
// handler in-process, with a real token from the identity endpoint
// validated on every request (the validator's cache warm, as for an SDK
// reusing its token): the emulator's own cost per request, without TLS
// or the network.
func BenchmarkVaultHandler(b *testing.B) {
	cfg, err := config.Parse("bench", []byte(`
vaults:
  - name: bench
    secrets:
      - {name: db-password, value: hunter2, contentType: text/plain, tags: {env: dev}}
`))
	if err != nil {
		b.Fatal(err)
	}
	s, err := newServer(context.Background(), Options{Config: cfg, TLSDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	tokReq := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/msi/token?resource=https://vault.azure.net&api-version=2019-08-01", nil)
	tokReq.Header.Set("X-IDENTITY-HEADER", s.IdentityHeader())
	rec := httptest.NewRecorder()
	s.identityHandler().ServeHTTP(rec, tokReq)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	h := s.vaultHandler()
	req := httptest.NewRequest(http.MethodGet, "https://127.0.0.1:8443/secrets/db-password?api-version=7.5", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	w := &discardWriter{h: http.Header{}}
	h.ServeHTTP(w, req)
	if w.status != http.StatusOK {
		b.Fatalf("GET answered %d", w.status)
	}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		w.status = 0
		h.ServeHTTP(w, req)
	}
	if w.status != http.StatusOK {
		b.Fatalf("GET answered %d", w.status)
	}
}
