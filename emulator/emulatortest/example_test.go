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
	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
)

// The examples run the production path: mi.NewCredential picks IMDS when
// no other managed-identity source is configured, so they clear the
// variables that would select another source before they run.
func TestMain(m *testing.M) {
	for _, v := range []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT",
		"MSI_ENDPOINT", "MSI_SECRET", "IMDS_ENDPOINT"} {
		os.Unsetenv(v)
	}
	os.Exit(m.Run())
}

// Reading a secret as production code does: the system-assigned managed
// identity through IMDS, and the vault's real URL with challenge-resource
// verification on. Only the transport differs, and it is the one option an
// application has to let a test supply.
func ExampleStart() {
	tb := &exampleTB{}
	defer tb.finish()
	e := emulatortest.Start(tb, &emulatortest.Options{ConfigYAML: `
vaults:
  - name: myvault
    secrets:
      - {name: db-password, value: hunter2}
`})
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
func ExampleStart_deniedByAccessPolicy() {
	tb := &exampleTB{}
	defer tb.finish()
	e := emulatortest.Start(tb, &emulatortest.Options{ConfigYAML: `
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
	network := azcore.ClientOptions{Transport: e.Client()}

	batch := mi.Selector{Kind: mi.ClientID, Value: e.Identity(tb, "batch").ClientID}
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

// exampleTB lets examples, which have no *testing.T, call Start (which
// takes a testing.TB): it records cleanups, makes temporary directories,
// and turns a fatal failure into a panic, which fails the example loudly.
type exampleTB struct {
	testing.TB // nil: calling a method not defined below panics

	cleanups []func()
	dirs     []string
}

func (tb *exampleTB) Helper() {}

func (tb *exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

func (tb *exampleTB) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

func (tb *exampleTB) Cleanup(f func()) { tb.cleanups = append(tb.cleanups, f) }

func (tb *exampleTB) TempDir() string {
	dir, err := os.MkdirTemp("", "emulatortest-example-")
	if err != nil {
		panic(err)
	}
	tb.dirs = append(tb.dirs, dir)
	return dir
}

// finish runs the cleanups last-registered first, as testing does, then
// removes the temporary directories.
func (tb *exampleTB) finish() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
	for _, d := range tb.dirs {
		os.RemoveAll(d)
	}
}
