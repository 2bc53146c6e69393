package main

import (
	"crypto/x509"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/internal/refusing"
)

// TestMisconfigurationPagesAreQuick: with the SDK's default retries (8 to
// 10 s of back-off for a retried failure), a misconfiguration's page still
// comes back within the 2 s the client allows, because the azurekv and mi
// transports do not retry what retrying cannot fix.
func TestMisconfigurationPagesAreQuick(t *testing.T) {
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: errorsConfig})
	untrusted := e.Client().Transport.(*http.Transport).Clone()
	untrusted.TLSClientConfig.RootCAs = x509.NewCertPool()
	client := &http.Client{Timeout: 2 * time.Second}

	for _, c := range []struct {
		name string
		cfg  config
		opts azcore.ClientOptions
		kind problemKind
		env  bool // the identity endpoint refuses
	}{
		{name: "vault port refused on loopback",
			cfg:  config{VaultURL: "https://" + refusing.Addr(t) + "/", Identity: "system", SecretName: "greeting", DisableChallengeResourceVerification: true},
			opts: azcore.ClientOptions{Transport: e.Client()}, kind: kindUnreachable},
		{name: "certificate not trusted",
			cfg:  config{VaultURL: e.VaultURLFor("myvault"), Identity: "system", SecretName: "greeting"},
			opts: azcore.ClientOptions{Transport: &http.Client{Transport: untrusted}}, kind: kindUntrusted},
		{name: "identity endpoint refused on loopback",
			cfg:  config{VaultURL: e.VaultURLFor("myvault"), Identity: "system", SecretName: "greeting"},
			opts: azcore.ClientOptions{Transport: e.Client()}, kind: kindIdentityFailed, env: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.env {
				t.Setenv("IDENTITY_ENDPOINT", "http://"+refusing.Addr(t)+"/msi/token")
				t.Setenv("IDENTITY_HEADER", "header")
			}
			app := startApp(t, c.cfg, c.opts)
			resp, err := client.Get(app.URL + "/secret")
			if err != nil {
				t.Fatalf("the page did not come back within the client's 2 s: %v", err)
			}
			r := read(t, resp)
			if r.status != http.StatusBadGateway || !strings.Contains(r.body, `data-kind="`+string(c.kind)+`"`) {
				t.Errorf("status %d; want 502 and the %s page:\n%s", r.status, c.kind, r.body)
			}
		})
	}
}
