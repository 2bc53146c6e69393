package azurekv_test

import (
	"os"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/testutil"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/mi"
)

// testConfig has two vaults, one per access model. "system" may do
// everything in both; "reader" may list but not get: by access policy in
// myvault, by the Key Vault Reader role in rbacvault; "getter" may get but
// not list in myvault.
const testConfig = `
identities:
  - {name: system, kind: system}
  - {name: reader, kind: user}
  - {name: getter, kind: user}
vaults:
  - name: myvault
    retentionDays: 7
    access:
      policies:
        - {identity: system, secrets: [all]}
        - {identity: reader, secrets: [list]}
        - {identity: getter, secrets: [get]}
  - name: rbacvault
    access:
      roles:
        - {identity: system, role: Key Vault Secrets Officer}
        - {identity: reader, role: Key Vault Reader}
`

// TestMain removes the managed-identity variables that would make the SDK
// (and mi.NewCredential) pick a source other than IMDS, which the
// emulator's client routes to its identity listener. It runs before any
// test, so parallel tests never see the environment change. The contract's
// watch cases and the watch tests spend their time in poll intervals and
// quiet periods, so more parallel tests run than the two cores.
func TestMain(m *testing.M) {
	testutil.PoolSigningKeys()
	testutil.WaitersInParallel(8)
	testutil.UnsetAzureCredentialEnv()
	os.Exit(m.Run())
}

// fixture is one emulator with credentials made the production way:
// mi.NewCredential (azidentity's IMDS flavour) over the emulator's client.
type fixture struct {
	e          *emulatortest.Emulator
	systemCred azcore.TokenCredential
	readerCred azcore.TokenCredential
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: testConfig})
	f := &fixture{e: e}
	f.systemCred = f.credential(t, mi.Selector{Kind: mi.System})
	f.readerCred = f.credential(t, mi.Selector{Kind: mi.ClientID, Value: e.Identity(t, "reader").ClientID})
	return f
}

func (f *fixture) credential(t testing.TB, sel mi.Selector) azcore.TokenCredential {
	t.Helper()
	cred, err := mi.NewCredential(sel, &mi.Options{ClientOptions: azcore.ClientOptions{Transport: f.e.Client()}})
	if err != nil {
		t.Fatalf("mi.NewCredential(%s): %v", sel, err)
	}
	return cred
}

// provider returns a provider for the named vault at its production URL,
// challenge verification on.
func (f *fixture) provider(t testing.TB, cred azcore.TokenCredential, vault string) *azurekv.Provider {
	t.Helper()
	p, err := azurekv.New(f.e.VaultURLFor(vault), cred, &azurekv.Options{
		ClientOptions: azcore.ClientOptions{Transport: f.e.Client()},
	})
	if err != nil {
		t.Fatalf("azurekv.New: %v", err)
	}
	return p
}

// admin returns a raw azsecrets client for the named vault with the
// identity that may do everything; tests seed and change state with it so
// that the provider under test is checked against the SDK, not itself.
func (f *fixture) admin(t testing.TB, vault string) *azsecrets.Client {
	t.Helper()
	c, err := azsecrets.NewClient(f.e.VaultURLFor(vault), f.systemCred, &azsecrets.ClientOptions{
		ClientOptions: azcore.ClientOptions{Transport: f.e.Client()},
	})
	if err != nil {
		t.Fatalf("azsecrets.NewClient: %v", err)
	}
	return c
}
