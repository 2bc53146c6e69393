package vault_test

import (
	"fmt"
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/vault"
)

// A backup holds every version, so it can be far larger than any other
// request body; whatever backup produces, restore must take back.
func TestLargeBackupRestores(t *testing.T) {
	f := start(t, vault.Options{})
	ctx := t.Context()
	// '<' is the worst case for JSON escaping (six bytes as \u003c).
	value := strings.Repeat("<", 25600)
	const versions = 60
	// The first version goes through the API; the others are copies of it
	// written straight to the store, which saves 59 round trips of 150 KB
	// JSON each way (most of this test's time under -race) and yields the
	// record those round trips would: the API stores each version as is.
	if _, err := f.client.SetSecret(ctx, "big", azsecrets.SetSecretParameters{Value: &value}, nil); err != nil {
		t.Fatal(err)
	}
	vaults, err := f.store.Vaults(ctx)
	if err != nil || len(vaults) != 1 {
		t.Fatalf("store vaults %v, %v; want the one vault written", vaults, err)
	}
	rec, _, err := f.store.Update(ctx, vaults[0], "big", func(r store.Record, exists bool) (*store.Record, error) {
		if !exists || len(r.Versions) != 1 {
			return nil, fmt.Errorf("stored record %+v, want one version", r.Name)
		}
		for i := 1; i < versions; i++ {
			v := r.Versions[0]
			v.ID = fmt.Sprintf("%032x", i)
			r.Versions = append(r.Versions, v)
		}
		return &r, nil
	})
	if err != nil || len(rec.Versions) != versions || rec.Versions[0].Value != value {
		t.Fatalf("seeding versions: %v (have %d)", err, len(rec.Versions))
	}
	backup, err := f.client.BackupSecret(ctx, "big", nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(backup.Value); n > 2*versions*len(value) {
		t.Errorf("backup of %d×%d bytes is %d bytes: values are escaped", versions, len(value), n)
	}
	if _, err := f.client.DeleteSecret(ctx, "big", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.PurgeDeletedSecret(ctx, "big", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.RestoreSecret(ctx, azsecrets.RestoreSecretParameters{SecretBackup: backup.Value}, nil); err != nil {
		t.Fatalf("restore of a %d-byte backup: %v", len(backup.Value), err)
	}
	count := 0
	for pager := f.client.NewListSecretPropertiesVersionsPager("big", nil); pager.More(); {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		count += len(page.Value)
	}
	if count != versions {
		t.Errorf("restored %d versions, want %d", count, versions)
	}
}
