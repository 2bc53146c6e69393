package azurekv_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
)

// exampleVault starts an emulator with config and opens its myvault with
// the system identity, as [Example] does step by step; stop ends the
// emulator.
func exampleVault(config string) (kv *azurekv.Provider, stop func() error, err error) {
	e, err := emulatortest.New(&emulatortest.Options{ConfigYAML: config})
	if err != nil {
		return nil, nil, err
	}
	network := azcore.ClientOptions{Transport: e.Client()}
	cred, err := mi.NewCredential(mi.Selector{Kind: mi.System}, &mi.Options{ClientOptions: network})
	if err == nil {
		kv, err = azurekv.New("https://myvault.vault.azure.net/", cred, &azurekv.Options{ClientOptions: network})
	}
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	return kv, e.Close, nil
}

// Soft delete through the portable abilities: a deleted secret keeps its
// name taken until it is recovered or purged. Code that may meet other
// backends asks for provider.Recoverer and provider.Purger rather than
// for *azurekv.Provider.
func ExampleProvider_RecoverSecret() {
	kv, stop, err := exampleVault(`
vaults:
  - name: myvault
    retentionDays: 7
    secrets:
      - {name: db-password, value: hunter2}
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	ctx := context.Background()
	var p provider.SecretProvider = kv

	p.(provider.Deleter).DeleteSecret(ctx, "db-password")
	_, err = p.(provider.Setter).SetSecret(ctx, "db-password", provider.NewValue("new"), nil)
	fmt.Println("set after delete:", azurekv.ErrorCode(err))

	d, _ := p.(provider.DeletedLister).GetDeletedSecret(ctx, "db-password")
	fmt.Println("purged after:", d.ScheduledPurge.Sub(d.Deleted))

	md, err := p.(provider.Recoverer).RecoverSecret(ctx, "db-password")
	fmt.Println("recovered:", md.Name, err)

	p.(provider.Deleter).DeleteSecret(ctx, "db-password")
	err = p.(provider.Purger).PurgeSecret(ctx, "db-password")
	fmt.Println("purged:", err)
	_, err = p.(provider.Recoverer).RecoverSecret(ctx, "db-password")
	fmt.Println("recover after purge:", errors.Is(err, provider.ErrNotFound))
	// Output:
	// set after delete: ObjectIsDeletedButRecoverable
	// purged after: 168h0m0s
	// recovered: db-password <nil>
	// purged: <nil>
	// recover after purge: true
}

// A backup is an opaque blob only a vault can read; restoring it brings
// back every version under the secret's name, which must be free.
func ExampleProvider_BackupSecret() {
	kv, stop, err := exampleVault(`
vaults:
  - name: myvault
    secrets:
      - {name: db-password, value: hunter2}
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	ctx := context.Background()
	blob, err := kv.BackupSecret(ctx, "db-password")
	fmt.Println("backed up:", len(blob) > 0, err)

	_, err = kv.RestoreSecret(ctx, blob)
	fmt.Println("restore over the live secret:", azurekv.ErrorCode(err))

	kv.Delete(ctx, "db-password")
	kv.PurgeSecret(ctx, "db-password")
	md, err := kv.RestoreSecret(ctx, blob)
	fmt.Println("restored:", md.Name, err)

	_, err = kv.RestoreSecret(ctx, []byte("not a backup"))
	fmt.Println("malformed:", errors.Is(err, provider.ErrInvalidArgument), azurekv.ErrorMessage(err))
	// Output:
	// backed up: true <nil>
	// restore over the live secret: Conflict
	// restored: db-password <nil>
	// malformed: true Backup blob is corrupt.
}

// Properties change without a new version: here the latest version is
// disabled, which Key Vault reports on read as permission denied.
func ExampleProvider_UpdateSecretProperties() {
	kv, stop, err := exampleVault(`
vaults:
  - name: myvault
    secrets:
      - {name: db-password, value: hunter2, tags: {env: dev}}
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer stop()
	ctx := context.Background()
	disabled, contentType := false, "text/plain"
	md, err := kv.UpdateSecretProperties(ctx, "db-password", "", provider.PropertiesUpdate{
		Enabled: &disabled, ContentType: &contentType, Tags: map[string]string{"owner": "ops"}})
	fmt.Println(md.Enabled, md.ContentType, md.Tags, err)
	_, err = kv.GetSecret(ctx, "db-password", "")
	fmt.Println(errors.Is(err, provider.ErrPermissionDenied), azurekv.ErrorCode(err))
	// Output:
	// false text/plain map[owner:ops] <nil>
	// true SecretDisabled
}
