package emulator_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/emulator/identity"
)

// Start runs the emulator in this process on free loopback ports; its
// client environment is what an unmodified app needs to reach it.
func ExampleStart() {
	tlsDir, err := os.MkdirTemp("", "emulator-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tlsDir)

	cfg, err := config.Parse("example.yaml", []byte(`
vaults:
  - name: myvault
    secrets:
      - {name: db-password, value: hunter2}
`))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := emulator.Start(context.Background(), emulator.Options{
		Config:       cfg,
		VaultAddr:    "127.0.0.1:0",
		IdentityAddr: "127.0.0.1:0",
		TLSDir:       tlsDir,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	env, err := srv.Env(identity.AppService)
	if err != nil {
		log.Fatal(err)
	}
	for _, kv := range env {
		fmt.Println(kv.Key)
	}
	// Output:
	// AZURE_KEYVAULT_URL
	// AZURE_TENANT_ID
	// IDENTITY_ENDPOINT
	// IDENTITY_HEADER
	// AZURE_POD_IDENTITY_AUTHORITY_HOST
	// SSL_CERT_FILE
	// NODE_EXTRA_CA_CERTS
}
