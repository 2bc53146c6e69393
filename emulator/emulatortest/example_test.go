package emulatortest_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/internal/testutil"
	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
)

// The examples run the production path: mi.NewCredential picks IMDS when
// no other managed-identity source is configured, so they clear the
// variables that would select another source before they run.
func TestMain(m *testing.M) {
	testutil.PoolSigningKeys()
	testutil.UnsetAzureCredentialEnv()
	os.Exit(m.Run())
}

// Reading a secret as production code does (in a test, Start(t, opts) does
// the same and registers Close with t.Cleanup): the system-assigned managed
// identity through IMDS, and the vault's real URL with challenge-resource
// verification on. Only the transport differs, and it is the one option an
// application has to let a test supply.
func ExampleNew() {
	e, err := emulatortest.New(&emulatortest.Options{ConfigYAML: `
vaults:
  - name: myvault
    secrets:
      - {name: db-password, value: hunter2}
`})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	network := azcore.ClientOptions{Transport: e.Client()}

	cred, err := mi.NewCredential(mi.Selector{Kind: mi.System}, &mi.Options{ClientOptions: network})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := azurekv.New("https://myvault.vault.azure.net/", cred, &azurekv.Options{ClientOptions: network})
	if err != nil {
		fmt.Println(err)
		return
	}
	sec, err := p.GetSecret(context.Background(), "db-password", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sec.Name, "=", sec.Value.Reveal())
	// Output:
	// db-password = hunter2
}

// A user-assigned identity whose access policy lacks "get" is refused with
// Key Vault's 403, which the provider reports as ErrPermissionDenied.
func ExampleNew_deniedByAccessPolicy() {
	e, err := emulatortest.New(&emulatortest.Options{ConfigYAML: `
identities:
  - {name: app, kind: system}
  - {name: batch, kind: user}
vaults:
  - name: myvault
    access:
      policies:
        - {identity: app, secrets: [get, list]}
        - {identity: batch, secrets: [list]}
    secrets:
      - {name: db-password, value: hunter2}
`})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	network := azcore.ClientOptions{Transport: e.Client()}

	id, _ := e.Config.IdentityByName("batch")
	batch := mi.Selector{Kind: mi.ClientID, Value: id.ClientID}
	cred, err := mi.NewCredential(batch, &mi.Options{ClientOptions: network})
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := azurekv.New(e.VaultURLFor("myvault"), cred, &azurekv.Options{ClientOptions: network})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = p.GetSecret(context.Background(), "db-password", "")
	fmt.Println("permission denied:", errors.Is(err, provider.ErrPermissionDenied))
	fmt.Println("Key Vault code:", azurekv.ErrorCode(err))
	// Output:
	// permission denied: true
	// Key Vault code: AccessDenied
}
