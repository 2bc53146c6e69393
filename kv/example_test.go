package kv_test

import (
	"fmt"

	"github.com/secretkit/secretkit/kv"
)

// A role copied from a Bicep template by its definition id is the same role
// as its display name, and the data action an operation needs decides.
func ExampleParseRole() {
	role, ok := kv.ParseRole("4633458b-17de-408a-b874-0445c86b69e6")
	fmt.Println(role, ok)
	fmt.Println(role.Allows(kv.DataActionFor(kv.OpGet)), role.Allows(kv.DataActionFor(kv.OpSet)))
	// Output:
	// Key Vault Secrets User true
	// true false
}

func ExampleCheckSecretName() {
	fmt.Println(kv.CheckSecretName("db-password"))
	fmt.Println(kv.CheckSecretName("db_password"))
	fmt.Println(kv.ValidVaultName("my-vault"), kv.ValidVaultName("my--vault"))
	// Output:
	// <nil>
	// character '_' at offset 2 is not allowed; Key Vault names use only letters, digits and '-'
	// true false
}
