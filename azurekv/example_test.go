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

// The production setup: a managed identity from package mi and the vault's
// real URL. Here the emulator's client stands in for the network, routing
// the IMDS address and myvault.vault.azure.net to the in-process emulator;
// in production, leave ClientOptions empty.
func Example() {
	e, err := emulatortest.New(&emulatortest.Options{ConfigYAML: `
vaults:
  - name: myvault
    secrets:
      - {name: db-password, value: hunter2, contentType: text/plain, tags: {env: dev}}
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
	ctx := context.Background()
	sec, err := p.GetSecret(ctx, "DB-Password", "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sec.Name, sec.ContentType, sec.Tags["env"], len(sec.Version))
	fmt.Println("printed:", sec.Value, "length:", sec.Value.Len())

	_, err = p.GetSecret(ctx, "no-such-secret", "")
	fmt.Println(errors.Is(err, provider.ErrNotFound), azurekv.ErrorCode(err))
	// Output:
	// db-password text/plain dev 32
	// printed: [REDACTED] length: 7
	// true SecretNotFound
}

// Writing a version and reading an older one by its version id.
func ExampleProvider_Set() {
	e, err := emulatortest.New(&emulatortest.Options{ConfigYAML: `vaults: [{name: myvault}]`})
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
	first, err := p.Set(ctx, "api-key", provider.NewValue("one"), &azurekv.SetOptions{ContentType: "text/plain"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := p.Set(ctx, "api-key", provider.NewValue("two"), nil); err != nil {
		fmt.Println(err)
		return
	}
	latest, _ := p.GetSecret(ctx, "api-key", "")
	old, _ := p.GetSecret(ctx, "api-key", first.Version)
	fmt.Println(latest.Value.Reveal(), old.Value.Reveal(), old.ContentType)

	versions := 0
	for _, err := range p.ListSecretVersions(ctx, "api-key") {
		if err != nil {
			fmt.Println(err)
			return
		}
		versions++
	}
	fmt.Println(versions, "versions")

	if err := p.Delete(ctx, "api-key"); err != nil {
		fmt.Println(err)
		return
	}
	_, err = p.GetSecret(ctx, "api-key", "")
	fmt.Println(errors.Is(err, provider.ErrNotFound))
	// Output:
	// two one text/plain
	// 2 versions
	// true
}

// A configured URLOpener in a private URLMux: the program parses the same
// URIs as everywhere else, while the opener supplies the transport (here
// the emulator's; in production, a proxy or retry policy) that a URI cannot
// carry.
func ExampleURLOpener() {
	e, err := emulatortest.New(&emulatortest.Options{ConfigYAML: `
vaults:
  - name: myvault
    secrets: [{name: db-password, value: hunter2}]
`})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	mux := new(provider.URLMux)
	mux.RegisterProvider(azurekv.Scheme, &azurekv.URLOpener{
		ClientOptions: azcore.ClientOptions{Transport: e.Client()},
	})
	ctx := context.Background()
	sec, err := mux.GetSecret(ctx, "azurekv://myvault.vault.azure.net/db-password?identity=system")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sec.Name, sec.Value.Reveal())
	// Output: db-password hunter2
}

// Writing through the provider.Setter and provider.Deleter abilities, as
// code that does not know which backend it holds does.
func Example_setter() {
	e, err := emulatortest.New(&emulatortest.Options{ConfigYAML: `vaults: [{name: myvault}]`})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	mux := new(provider.URLMux)
	mux.RegisterProvider(azurekv.Scheme, &azurekv.URLOpener{ClientOptions: azcore.ClientOptions{Transport: e.Client()}})
	ctx := context.Background()
	p, err := mux.OpenProvider(ctx, "azurekv://myvault.vault.azure.net?identity=system")
	if err != nil {
		fmt.Println(err)
		return
	}
	caps := provider.CapabilitiesOf(p)
	fmt.Println("set:", caps.Set, "delete:", caps.Delete)
	setter, ok := p.(provider.Setter)
	if !ok {
		fmt.Println("read-only provider")
		return
	}
	sec, err := setter.SetSecret(ctx, "api-key", provider.NewValue("k3y"), &provider.SetOptions{ContentType: "text/plain"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sec.Name, sec.ContentType, len(sec.Version))
	if err := p.(provider.Deleter).DeleteSecret(ctx, "api-key"); err != nil {
		fmt.Println(err)
		return
	}
	_, err = p.GetSecret(ctx, "api-key", "")
	fmt.Println(errors.Is(err, provider.ErrNotFound))
	// Output:
	// set: true delete: true
	// api-key text/plain 32
	// true
}
