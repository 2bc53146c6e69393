package ref_test

import (
	"context"
	"fmt"
	"log"
	"os"

	_ "github.com/secretkit/secretkit/provider/env" // registers env://
	"github.com/secretkit/secretkit/provider/ref"
)

// References in a YAML file are expanded; comments, anchors and the rest
// of the document stay.
func ExampleResolver_YAML() {
	os.Setenv("EXAMPLE_DB_PASSWORD", "s3cr3t")
	defer os.Unsetenv("EXAMPLE_DB_PASSWORD")
	config := []byte(`# database settings
db: &db
  host: db.internal
  password: ${secret:env://EXAMPLE_DB_PASSWORD} # rotated monthly
replica: *db
literal: $${secret:not-expanded}
`)
	var r ref.Resolver // the zero value uses provider.DefaultURLMux
	out, err := r.YAML(context.Background(), config, "app.yaml")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(out))
	// Output:
	// # database settings
	// db: &db
	//   host: db.internal
	//   password: s3cr3t # rotated monthly
	// replica: *db
	// literal: ${secret:not-expanded}
}

// Environment entries are expanded as `secrets run` does before it starts a
// command; a failure names the variable and reference, never a value.
func ExampleResolver_Environ() {
	os.Setenv("EXAMPLE_PG_PASSWORD", "hunter2")
	defer os.Unsetenv("EXAMPLE_PG_PASSWORD")
	var r ref.Resolver
	env, err := r.Environ(context.Background(), []string{
		"PGHOST=db.internal",
		"DATABASE_URL=postgres://app:${secret:env://EXAMPLE_PG_PASSWORD}@db.internal/app",
	}, "environment")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(env[1])

	_, err = r.Environ(context.Background(), []string{"API_KEY=${secret:env://EXAMPLE_MISSING}"}, "environment")
	fmt.Println(err)
	// Output:
	// DATABASE_URL=postgres://app:hunter2@db.internal/app
	// environment: API_KEY: ${secret:env://EXAMPLE_MISSING}: env: get "EXAMPLE_MISSING": secret not found: variable EXAMPLE_MISSING is not set
}

// An env-file laid over the environment, as `secrets run --env-file` does:
// the file's API_KEY replaces the environment's, whose reference to a
// missing variable is therefore never read.
func ExampleResolver_EnvironLayered() {
	os.Setenv("EXAMPLE_LAYERED_PW", "hunter2")
	defer os.Unsetenv("EXAMPLE_LAYERED_PW")
	var r ref.Resolver
	env, err := r.EnvironLayered(context.Background(), []string{
		"API_KEY=${secret:env://EXAMPLE_LAYERED_MISSING}",
		"PGHOST=db.internal",
	}, "environment", ref.DotenvFile{
		Name: "app.env",
		Data: []byte("API_KEY=from-app-env\nPGPASSWORD=${secret:env://EXAMPLE_LAYERED_PW}\n"),
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, kv := range env {
		fmt.Println(kv)
	}
	// Output:
	// API_KEY=from-app-env
	// PGHOST=db.internal
	// PGPASSWORD=hunter2
}
