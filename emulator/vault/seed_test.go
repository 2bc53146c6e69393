package vault_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/secretkit/secretkit/emulator/vault"
)

func TestSeedNeverOverwrites(t *testing.T) {
	f := start(t, vault.Options{Vaults: []vault.Settings{{Name: "main"}}})
	ctx := t.Context()
	if _, err := f.client.SetSecret(ctx, "changed", azsecrets.SetSecretParameters{Value: ptr("by-api")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.SetSecret(ctx, "gone", azsecrets.SetSecretParameters{Value: ptr("x")}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.DeleteSecret(ctx, "gone", nil); err != nil {
		t.Fatal(err)
	}
	err := f.api.Seed(ctx, "MAIN", []vault.SeedSecret{
		{Name: "changed", Value: "from-config"},
		{Name: "gone", Value: "from-config"},
		{Name: "fresh", Value: "seeded", ContentType: "text/plain", Tags: map[string]string{"a": "b"}},
		{Name: "off", Value: "hidden", Enabled: ptr(false)},
	})
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if got, _ := f.client.GetSecret(ctx, "changed", "", nil); *got.Value != "by-api" {
		t.Errorf("Seed overwrote an existing secret: %q", *got.Value)
	}
	_, err = f.client.GetSecret(ctx, "gone", "", nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
	got, err := f.client.GetSecret(ctx, "fresh", "", nil)
	if err != nil || *got.Value != "seeded" || *got.ContentType != "text/plain" || *got.Tags["a"] != "b" {
		t.Errorf("fresh = %+v, %v", got.Secret, err)
	}
	_, err = f.client.GetSecret(ctx, "off", "", nil)
	wantSDKError(t, err, 403, "Forbidden", "SecretDisabled")

	// Seeding again is a no-op.
	if err := f.api.Seed(ctx, "main", []vault.SeedSecret{{Name: "fresh", Value: "again"}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.client.GetSecret(ctx, "fresh", "", nil); *got.Value != "seeded" {
		t.Errorf("reseed overwrote: %q", *got.Value)
	}
	// An unconfigured vault is created on demand and reachable by host.
	if err := f.api.Seed(ctx, "extra", []vault.SeedSecret{{Name: "e", Value: "v"}}); err != nil {
		t.Fatal(err)
	}
	if r := f.raw(t, http.MethodGet, "extra.vault.azure.net", "/secrets/e?api-version=7.6", "", nil); r.status != 200 {
		t.Errorf("seeded secret in vault extra: %d %s", r.status, r.body)
	}
}

func TestSeedValidatesWithoutLeakingValues(t *testing.T) {
	f := start(t, vault.Options{})
	for _, s := range []vault.SeedSecret{
		{Name: "bad_name", Value: "v"},
		{Name: "big", Value: strings.Repeat("Z", 25601)},
		{Name: "ct", Value: "v", ContentType: strings.Repeat("c", 256)},
	} {
		err := f.api.Seed(t.Context(), "emulator", []vault.SeedSecret{{Name: "ok", Value: "v"}, s})
		if err == nil {
			t.Errorf("Seed(%s) succeeded", s.Name)
			continue
		}
		if strings.Contains(err.Error(), "ZZZZ") {
			t.Errorf("error leaks the value: %v", err)
		}
	}
	// Validation happens before any write.
	_, err := f.client.GetSecret(t.Context(), "ok", "", nil)
	wantSDKError(t, err, 404, "SecretNotFound", "")
}
