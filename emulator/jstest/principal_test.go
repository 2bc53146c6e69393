package jstest

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/internal/testutil"
)

// principalSecret is the client secret of the ci-secret service principal
// in testConfig.
const principalSecret = "js-ci-secret-0123456789"

// The ci-cert principal's certificate and key, made once per test binary.
var principalCert struct {
	once sync.Once
	dir  string
	path string
}

// principalCertFile returns the PEM file (certificate + key) of ci-cert.
// A failure to make it panics: testConfig cannot report errors, and the
// whole package needs the file.
func principalCertFile() string {
	principalCert.once.Do(func() {
		dir, err := os.MkdirTemp("", "jstest-principal-")
		if err != nil {
			panic(err)
		}
		now := time.Now()
		path := filepath.Join(dir, "ci-cert.pem")
		if err := testutil.WriteSelfSignedCert(path, "ci-cert", now.Add(-time.Hour), now.Add(365*24*time.Hour)); err != nil {
			panic(err)
		}
		principalCert.dir, principalCert.path = dir, path
	})
	return principalCert.path
}

func removePrincipalCert() {
	if principalCert.dir != "" {
		os.RemoveAll(principalCert.dir)
	}
}

// principalFlavour is the environment Env(identity.ServicePrincipal)
// prints (the ci-secret principal), with no managed-identity source, so a
// pass proves the Entra token endpoint issued the token. certificate
// switches it to ci-cert and its certificate file.
func (h *harness) principalFlavour(t *testing.T, certificate bool, secret string) flavour {
	t.Helper()
	lines, err := h.emu.Server.Env(identity.ServicePrincipal)
	if err != nil {
		t.Fatal(err)
	}
	f := flavour{name: "serviceprincipal", set: map[string]string{},
		drop: []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_POD_IDENTITY_AUTHORITY_HOST"}}
	for _, kv := range lines {
		f.set[kv.Key] = kv.Value
	}
	if f.set["AZURE_CLIENT_SECRET"] != principalSecret || f.set["AZURE_AUTHORITY_HOST"] == "" {
		t.Fatalf("Env(serviceprincipal) = %v, want ci-secret's secret and the authority", lines)
	}
	if secret != "" {
		f.set["AZURE_CLIENT_SECRET"] = secret
	}
	if certificate {
		delete(f.set, "AZURE_CLIENT_SECRET")
		f.set["AZURE_CLIENT_ID"] = h.emu.Identity(t, "ci-cert").ClientID
		f.set["AZURE_CLIENT_CERTIFICATE_PATH"] = principalCertFile()
	}
	return f
}

// TestServicePrincipal reads a secret with the JS SDK's ClientSecretCredential,
// ClientCertificateCredential, EnvironmentCredential and
// DefaultAzureCredential from the printed service-principal lines, and
// checks a wrong secret is refused with AADSTS7000215.
func TestServicePrincipal(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		credential  string
		certificate bool
		who         string
	}{
		{"secret", false, "ci-secret"},
		{"environment", false, "ci-secret"},
		{"default", false, "ci-secret"},
		{"certificate", true, "ci-cert"},
		{"environment", true, "ci-cert"},
	} {
		name := tc.credential + "/" + tc.who
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := useHarness(t)
			before := h.log.count()
			out, _ := h.run(t, h.principalFlavour(t, tc.certificate, ""), 0, "--credential", tc.credential, "--reveal", "db-password")
			got := decode[getResult](t, out)
			if got.Name != "db-password" || got.Value == nil || *got.Value != dbPassword {
				t.Errorf("got %+v, want db-password with its value", got)
			}
			want := []tokenEvent{{flavour: "entra", identity: tc.who}}
			if issued := h.log.since(before); !slices.Equal(issued, want) {
				t.Errorf("emulator issued %v, want %v", issued, want)
			}
		})
	}
	t.Run("wrong secret", func(t *testing.T) {
		t.Parallel()
		h := useHarness(t)
		before := h.log.count()
		out, stderr := h.run(t, h.principalFlavour(t, false, "not-the-secret"), 1, "--credential", "secret", "db-password")
		got := decode[errorResult](t, out)
		if got.Error.Code == "" || got.Error.StatusCode != 0 {
			t.Errorf("error = %+v, want a credential error before any vault call", got.Error)
		}
		if !bytes.Contains(stderr, []byte("AADSTS7000215")) {
			t.Errorf("stderr lacks AADSTS7000215:\n%s", stderr)
		}
		want := []tokenEvent{{flavour: "entra", status: 401}}
		if events := h.log.since(before); !slices.Equal(events, want) {
			t.Errorf("identity endpoints answered %v, want %v", events, want)
		}
	})
}
