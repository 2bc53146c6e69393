package main

import (
	"crypto/x509"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/internal/refusing"
	"github.com/secretkit/secretkit/provider"
)

// TestMisconfigurationFailsFast: deterministic misconfigurations end the
// command at once with the cause and what to change. Each run has
// --timeout 2s and the SDK's default retries (8 to 10 s of back-off): a
// retried failure would end in "timed out", so the exact error proves the
// command returned within the bound without a timed assertion.
func TestMisconfigurationFailsFast(t *testing.T) {
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: kvConfig})
	run := func(t *testing.T, c cli, uri string) result {
		t.Helper()
		r := runWith(t, c, nil, "", "get", "--timeout", "2s", uri)
		r.want(t, exitError)
		if strings.Contains(r.stderr, "timed out") {
			t.Fatalf("stderr = %q; the failure was retried until the timeout", r.stderr)
		}
		return r
	}
	wantAll := func(t *testing.T, r result, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("stderr = %q; want %q", r.stderr, w)
			}
		}
	}

	t.Run("untrusted certificate", func(t *testing.T) {
		untrusting := e.Client().Transport.(*http.Transport).Clone()
		untrusting.TLSClientConfig.RootCAs = x509.NewCertPool()
		m := new(provider.URLMux)
		m.RegisterProvider(azurekv.Scheme, &azurekv.URLOpener{
			ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: untrusting}}})
		r := run(t, cli{mux: m}, "azurekv://myvault.vault.azure.net/db-password?identity=system")
		wantAll(t, r, "x509: certificate signed by unknown authority", "set SSL_CERT_FILE to the ca.pem")
	})
	t.Run("vault port refused on loopback", func(t *testing.T) {
		addr := refusing.Addr(t)
		_, port, _ := strings.Cut(addr, ":")
		r := run(t, cli{mux: emulatorMux(e)}, "azurekv://"+addr+"/db-password?identity=system&disableChallengeResourceVerification=true")
		wantAll(t, r, "connect: connection refused", "nothing listens on port "+port+" of this machine")
	})
	t.Run("identity endpoint refused on loopback", func(t *testing.T) {
		t.Setenv("IDENTITY_ENDPOINT", "http://"+refusing.Addr(t)+"/msi/token")
		t.Setenv("IDENTITY_HEADER", "header")
		r := run(t, cli{mux: emulatorMux(e)}, "azurekv://myvault.vault.azure.net/db-password?identity=system")
		wantAll(t, r, "connection refused", "nothing listens at the managed-identity endpoint", "IDENTITY_ENDPOINT")
	})
	t.Run("challenge mismatch names the URI parameter", func(t *testing.T) {
		r := run(t, cli{mux: emulatorMux(e)}, "azurekv://"+e.Server.VaultAddr().String()+"/db-password?identity=system")
		wantAll(t, r, `the vault's authentication challenge names the resource "https://vault.azure.net"`,
			"add ?disableChallengeResourceVerification=true to the URI")
		if strings.Contains(r.stderr, "DisableChallengeResourceVerification to true in your client options") {
			t.Errorf("stderr = %q; quotes the SDK's option", r.stderr)
		}
	})
}
