package emulator_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/config"
)

// Identities lists every identity with the ids the config derived from its
// name, as GET /_emulator/identities serves them; credentials are named,
// never shown.
func ExampleServer_Identities() {
	tlsDir, err := os.MkdirTemp("", "emulator-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tlsDir)
	cfg, err := config.Parse("example.yaml", []byte(`
identities:
  - {name: web, kind: system}
  - {name: ci, kind: servicePrincipal, clientSecret: not-shown}
`))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := emulator.Start(context.Background(), emulator.Options{Config: cfg, TLSDir: tlsDir,
		VaultAddr: "127.0.0.1:0", IdentityAddr: "127.0.0.1:0"})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	for _, id := range srv.Identities() {
		fmt.Println(id.Name, id.Kind, id.ClientID, id.Credentials)
	}
	// Output:
	// web system ad335b4a-a538-5425-96bc-06d4cf63bd9b []
	// ci servicePrincipal 31f7c3a0-ccb4-5d5f-b3cb-ee38a920dfc1 [clientSecret]
}
