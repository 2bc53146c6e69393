package config_test

import (
	"fmt"

	"github.com/secretkit/secretkit/emulator/config"
)

func ExampleParse() {
	cfg, err := config.Parse("emulator.yaml", []byte(`
identities:
  - {name: web, kind: system}
vaults:
  - name: MyVault
    access:
      policies:
        - {identity: web, secrets: [get, list]}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	v := cfg.Vaults[0]
	fmt.Println(v.Name, v.RetentionDays, v.Access.Model, v.Access.Policies[0].Permissions)
	fmt.Println(cfg.ServerNames())

	_, err = config.Parse("emulator.yaml", []byte("vaults:\n  - name: myvault\n    retention: 7\n"))
	fmt.Println(err)
	// Output:
	// myvault 90 policies [get list]
	// [myvault.vault.azure.net myvault.localhost]
	// emulator.yaml:3: unknown key "retention" in vault "myvault"
}
