package vault_test

import (
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
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
	for i := 0; i < versions; i++ {
		if _, err := f.client.SetSecret(ctx, "big", azsecrets.SetSecretParameters{Value: &value}, nil); err != nil {
			t.Fatal(err)
		}
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
