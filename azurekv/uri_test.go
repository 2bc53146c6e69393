package azurekv_test

import (
	"context"
	"errors"
	"testing"

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
