package vault_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/secretkit/secretkit/emulator/vault"
)

// BenchmarkGet compares a Get through the real azsecrets client against
// the API with one against a bare TLS handler that returns a fixed
// SecretBundle, so the emulator's own overhead can be read as a ratio.
func BenchmarkGet(b *testing.B) {
	b.Run("api", func(b *testing.B) {
		f := start(b, vault.Options{})
		if _, err := f.client.SetSecret(b.Context(), "bench", azsecrets.SetSecretParameters{Value: ptr("value")}, nil); err != nil {
			b.Fatal(err)
		}
		benchGet(b, f.client)
	})
	b.Run("fixed", func(b *testing.B) {
		body := []byte(`{"value":"value","id":"https://127.0.0.1/secrets/bench/0123456789abcdef0123456789abcdef","attributes":{"enabled":true,"created":1767323045,"updated":1767323045,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}}`)
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") == "" {
				w.Header().Set("WWW-Authenticate", `Bearer authorization="https://login.microsoftonline.com/common", resource="https://vault.azure.net"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(body)
		}))
		b.Cleanup(srv.Close)
		f := &fixture{srv: srv}
		benchGet(b, f.newClient(b, srv.URL, srv.Client(), true))
	})
}

func benchGet(b *testing.B, c *azsecrets.Client) {
	ctx := b.Context()
	if _, err := c.GetSecret(ctx, "bench", "", nil); err != nil { // settle the challenge
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.GetSecret(ctx, "bench", "", nil); err != nil {
			b.Fatal(err)
		}
	}
}
