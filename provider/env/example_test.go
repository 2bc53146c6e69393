package env_test

import (
	"context"
	"fmt"
	"os"

	"github.com/secretkit/secretkit/provider/env"
)

// Secret names map to upper-case variables with '_' for '-', after the prefix.
func ExampleNew() {
	os.Setenv("MYAPP_DB_PASSWORD", "s3cr3t")
	os.Setenv("MYAPP_EMPTY", "")
	defer os.Unsetenv("MYAPP_DB_PASSWORD")
	defer os.Unsetenv("MYAPP_EMPTY")
	p := env.New(&env.Options{Prefix: "MYAPP_"})
	ctx := context.Background()

	s, _ := p.GetSecret(ctx, "db-password", "")
	fmt.Println(s.Name, s.Value, s.Value.Reveal())

	empty, err := p.GetSecret(ctx, "empty", "")
	fmt.Println(empty.Value.Len(), err)

	_, err = p.GetSecret(ctx, "unset", "")
	fmt.Println(err)

	for m := range p.ListSecrets(ctx) {
		fmt.Println("listed:", m.Name)
	}
	// Unordered output:
	// db-password [REDACTED] s3cr3t
	// 0 <nil>
	// env: get "unset": secret not found: variable MYAPP_UNSET is not set
	// listed: db-password
	// listed: empty
}

func ExampleProvider_VariableName() {
	v, _ := env.New(&env.Options{Prefix: "APP_"}).VariableName("db-password")
	fmt.Println(v)
	// Output: APP_DB_PASSWORD
}
