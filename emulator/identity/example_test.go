package identity_test

import (
	"fmt"

	"github.com/secretkit/secretkit/emulator/identity"
)

// Flavour names are forgiving about case and separators; an unknown one
// lists the valid names.
func ExampleParseFlavour() {
	f, err := identity.ParseFlavour("App Service")
	fmt.Println(f, err)
	_, err = identity.ParseFlavour("kubernetes")
	fmt.Println(err)
	// Output:
	// appservice <nil>
	// unknown managed-identity flavour "kubernetes": want one of appservice, imds, cloudshell, azureml, arc, servicefabric, workload, appservice2017, serviceprincipal
}

func ExampleEnv_String() {
	env := identity.Env{{Key: "MSI_ENDPOINT", Value: "http://127.0.0.1:8080/cloudshell/token"}}
	fmt.Print(env.String())
	// Output:
	// MSI_ENDPOINT=http://127.0.0.1:8080/cloudshell/token
}

// A client secret never prints, whatever the verb; Reveal returns it.
func ExampleClientSecret() {
	s := identity.ClientSecret("s3cret-value")
	id := identity.Identity{Name: "ci", ClientSecret: s}
	fmt.Printf("%v | %+v | %s\n", s, id.ClientSecret, s.Reveal())
	// Output:
	// [redacted] | [redacted] | s3cret-value
}
