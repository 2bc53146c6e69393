package azurekv_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/provider"
)

// Opening sends no request, so these tests name real-looking vaults that
// are never contacted.
func TestOpenURI(t *testing.T) {
	ctx := context.Background()
	for _, uri := range []string{
		"azurekv://myvault.vault.azure.net",
		"azurekv://myvault.vault.azure.net/",
		"AZUREKV://myvault.vault.azure.net?identity=system",
		"azurekv://myvault.vault.azure.net?identity=client:6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90",
		"azurekv://myvault.vault.azure.net?identity=object:6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90",
		"azurekv://127.0.0.1:8443?identity=system&disableChallengeResourceVerification=true",
	} {
		p, err := provider.Open(ctx, uri)
		if err != nil {
			t.Errorf("Open(%q): %v", uri, err)
			continue
		}
		if _, ok := p.(*azurekv.Provider); !ok {
			t.Errorf("Open(%q) = %T; want *azurekv.Provider", uri, p)
		}
	}
}

func TestOpenURIRejects(t *testing.T) {
	ctx := context.Background()
	for _, uri := range []string{
		"azurekv:myvault.vault.azure.net",
		"azurekv:///no-host",
		"azurekv://user@myvault.vault.azure.net",
		"azurekv://myvault.vault.azure.net/secrets",
		"azurekv://myvault.vault.azure.net?identity=",
		"azurekv://myvault.vault.azure.net?identity=client:not-a-guid",
		"azurekv://myvault.vault.azure.net?identity=system&identity=system",
		"azurekv://myvault.vault.azure.net?idenity=system",
		"azurekv://myvault.vault.azure.net?disableChallengeResourceVerification=maybe",
	} {
		p, err := provider.Open(ctx, uri)
		if p != nil || !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("Open(%q) = %v, %v; want ErrInvalidArgument", uri, p, err)
		}
		if testing.Verbose() {
			t.Log(err)
		}
	}
}

// Without identity=, the identity comes from AZURE_CLIENT_ID (mi.FromEnv),
// which mi.NewCredential validates. Not parallel: it sets the environment.
func TestOpenURIIdentityFromEnvironment(t *testing.T) {
	ctx := context.Background()
	t.Setenv("AZURE_CLIENT_ID", "not-a-guid")
	if _, err := provider.Open(ctx, "azurekv://myvault.vault.azure.net"); !errors.Is(err, provider.ErrInvalidArgument) {
		t.Errorf("Open with AZURE_CLIENT_ID=not-a-guid: %v; want ErrInvalidArgument", err)
	}
	// An explicit identity wins over the environment.
	if _, err := provider.Open(ctx, "azurekv://myvault.vault.azure.net?identity=system"); err != nil {
		t.Errorf("Open with identity=system: %v", err)
	}
	t.Setenv("AZURE_CLIENT_ID", "6f1a4c2e-0b7d-4e58-9a3c-2d8e5f7b1c90")
	if _, err := provider.Open(ctx, "azurekv://myvault.vault.azure.net"); err != nil {
		t.Errorf("Open with a GUID in AZURE_CLIENT_ID: %v", err)
	}
}

// A configured URLOpener's credential and transport reach the vault: the
// reader identity may not get, the system one may, through the same URI.
func TestURLOpenerConfigured(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.admin(t, "myvault")
	value := "configured-opener"
	if _, err := admin.SetSecret(ctx, "opener-test", azsecrets.SetSecretParameters{Value: &value}, nil); err != nil {
		t.Fatal(err)
	}
	network := azcore.ClientOptions{Transport: f.e.Client()}
	const uri = "azurekv://myvault.vault.azure.net/opener-test"
	for _, tc := range []struct {
		name string
		cred azcore.TokenCredential
		kind error
	}{
		{"system", f.systemCred, nil},
		{"reader", f.readerCred, provider.ErrPermissionDenied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mux := new(provider.URLMux)
			mux.RegisterProvider(azurekv.Scheme, &azurekv.URLOpener{Credential: tc.cred, ClientOptions: network})
			sec, err := mux.GetSecret(ctx, uri)
			if tc.kind != nil {
				if !errors.Is(err, tc.kind) {
					t.Fatalf("err = %v; want %v", err, tc.kind)
				}
				return
			}
			if err != nil || sec.Value.Reveal() != value {
				t.Fatalf("GetSecret = %v, %v", sec.Value, err)
			}
		})
	}
	t.Run("identity= with a credential is refused", func(t *testing.T) {
		mux := new(provider.URLMux)
		mux.RegisterProvider(azurekv.Scheme, &azurekv.URLOpener{Credential: f.systemCred, ClientOptions: network})
		_, err := mux.GetSecret(ctx, uri+"?identity=system")
		if !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), "configured credential") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("pinned version through the URI", func(t *testing.T) {
		mux := new(provider.URLMux)
		mux.RegisterProvider(azurekv.Scheme, &azurekv.URLOpener{ClientOptions: network})
		latest, err := mux.GetSecret(ctx, uri+"?identity=system")
		if err != nil {
			t.Fatal(err)
		}
		pinned, err := mux.GetSecret(ctx, uri+"?identity=system&version="+latest.Version)
		if err != nil || pinned.Version != latest.Version {
			t.Fatalf("pinned = %q, %v; want %q", pinned.Version, err, latest.Version)
		}
		_, err = mux.GetSecret(ctx, uri+"?identity=system&version="+strings.Repeat("0", 32))
		if !errors.Is(err, provider.ErrNotFound) || errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("missing version: err = %v; want only ErrNotFound", err)
		}
	})
}
