package azurekv_test

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
)

// A watch of a Key Vault secret sees the version a rotation adds. Each
// check lists the secret's version properties; the value crosses the
// network only when a version changed.
func ExampleProvider_WatchSecret() {
	e, err := emulatortest.New(&emulatortest.Options{ConfigYAML: `
vaults:
  - name: myvault
    secrets:
      - {name: db-password, value: first}
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
	p, err := azurekv.New(e.VaultURLFor("myvault"), cred, &azurekv.Options{ClientOptions: network})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()

	// In production the default interval (a minute, ±10%) suits.
	w, err := provider.Watch(ctx, p, "db-password", &provider.WatchOptions{Interval: 20 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()
	first, _ := w.Next(ctx)
	fmt.Println(first.Value.Reveal())

	rotated, err := p.Set(ctx, "db-password", provider.NewValue("second"), nil) // the rotation
	if err != nil {
		fmt.Println(err)
		return
	}
	s, _ := w.Next(ctx)
	fmt.Println(s.Value.Reveal(), s.Version == rotated.Version, s.Version != first.Version)
	// Output:
	// first
	// second true true
}
