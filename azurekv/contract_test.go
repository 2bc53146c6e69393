package azurekv_test

import (
	"context"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/providertest"
)

// harness drives one vault of a shared emulator. Seeding, updating and
// deleting go through a raw azsecrets client with the identity that may do
// everything; the unauthorised provider uses the "reader" identity, which
// may list but not get.
type harness struct {
	f     *fixture
	vault string
	admin *azsecrets.Client
}

func (h *harness) MakeProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	return h.f.provider(t, h.f.systemCred, h.vault), nil
}

func (h *harness) MakeUnauthorizedProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	return h.f.provider(t, h.f.readerCred, h.vault), nil
}

func (h *harness) SetSecret(ctx context.Context, t *testing.T, name, value string) error {
	_, err := h.admin.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: &value}, nil)
	return err
}

func (h *harness) DeleteSecret(ctx context.Context, t *testing.T, name string) error {
	_, err := h.admin.DeleteSecret(ctx, name, nil)
	return err
}

func (h *harness) Rules() providertest.Rules {
	return providertest.Rules{
		Capabilities: provider.Capabilities{List: true, ListVersions: true, GetMany: true, Set: true, Delete: true,
			Recover: true, Purge: true, ListDeleted: true, Update: true},
		Versioned: true,
		InvalidNames: []string{"", "db_password", "db.password", "has space", "ünïcode", "a/b",
			strings.Repeat("a", 128)},
		// Values travel as JSON strings: invalid UTF-8 does not survive.
		BinarySafe:    false,
		EmptyValues:   true,
		MaxValueBytes: providertest.LargeValueBytes,
		Parallel:      true,
	}
}

func TestContract(t *testing.T) {
	f := newFixture(t)
	for _, vault := range []string{"myvault", "rbacvault"} {
		t.Run(vault, func(t *testing.T) {
			// The vaults share nothing but the emulator, whose cases
			// already run in parallel within each vault.
			t.Parallel()
			admin := f.admin(t, vault)
			providertest.Run(t, func(ctx context.Context, t *testing.T) (providertest.Harness, error) {
				return &harness{f: f, vault: vault, admin: admin}, nil
			})
		})
	}
}
