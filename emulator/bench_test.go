package emulator_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator/emulatortest"
)

// BenchmarkGetSecret compares one GetSecret through the real SDK against the
// whole emulator (routing, token validation, access check, store, JSON)
// with the same call against a bare TLS server that answers the challenge
// and then a fixed SecretBundle: the ratio is the emulator's own cost.
//
//	go test -run '^$' -bench GetSecret -count 6 ./emulator/ | tee new.txt; benchstat new.txt
func BenchmarkGetSecret(b *testing.B) {
	e := emulatortest.Start(b, &emulatortest.Options{ConfigYAML: `
vaults:
  - name: myvault
    access:
      policies:
        - {identity: system, secrets: [get]}
    secrets:
      - {name: db-password, value: hunter2, contentType: text/plain, tags: {env: dev}}
`})
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: e.Client()},
	})
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, transport *http.Client) {
		client, err := azsecrets.NewClient(e.VaultURLFor("myvault"), cred,
			&azsecrets.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: transport}})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if _, err := client.GetSecret(ctx, "db-password", "", nil); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			resp, err := client.GetSecret(ctx, "db-password", "", nil)
			if err != nil || *resp.Value != "hunter2" {
				b.Fatalf("GetSecret: %v", err)
			}
		}
	}
	b.Run("emulator", func(b *testing.B) { run(b, e.Client()) })
	b.Run("bare-tls", func(b *testing.B) { run(b, bareVault(b, e)) })
}

// bareVault starts a TLS server with the emulator's certificate that does
// the least a vault can: challenge token-less requests, answer the rest
// with one fixed bundle. It returns a client routing the vault host to it.
func bareVault(b *testing.B, e *emulatortest.Emulator) *http.Client {
	body := []byte(`{"value":"hunter2","id":"https://myvault.vault.azure.net/secrets/db-password/0123456789abcdef0123456789abcdef","contentType":"text/plain","attributes":{"enabled":true,"created":1700000000,"updated":1700000000,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90},"tags":{"env":"dev"}}`)
	challenge := `Bearer authorization="https://login.windows.net/` + e.Config.Tenant + `", resource="https://vault.azure.net"`
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &http.Server{
		TLSConfig: e.Server.Authority().TLSConfig(),
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
				w.Header().Set("WWW-Authenticate", challenge)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(body)
		}),
	}
	go srv.ServeTLS(ln, "", "")
	b.Cleanup(func() { srv.Close() })
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, ln.Addr().String())
		},
		TLSClientConfig:   &tls.Config{RootCAs: e.CAPool},
		ForceAttemptHTTP2: true,
	}}
	b.Cleanup(client.CloseIdleConnections)
	return client
}
