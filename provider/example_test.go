package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
	_ "github.com/secretkit/secretkit/provider/file" // registers file://
)

// A program chooses its backend by configuration: Open picks the
// registered provider for the URI's scheme.
func Example() {
	os.Setenv("APP_DB_PASSWORD", "s3cr3t")
	defer os.Unsetenv("APP_DB_PASSWORD")
	ctx := context.Background()

	p, err := provider.Open(ctx, "env://?prefix=APP_")
	if err != nil {
		log.Fatal(err)
	}
	defer provider.Close(p)

	s, err := p.GetSecret(ctx, "db-password", "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Name, s.Value, s.Value.Len())

	_, err = p.GetSecret(ctx, "api-key", "")
	fmt.Println(errors.Is(err, provider.ErrNotFound))
	fmt.Println(err)
	// Output:
	// db-password [REDACTED] 6
	// true
	// env: get "api-key": secret not found: variable APP_API_KEY is not set
}

// Printing, encoding or logging a Value shows the marker; only Reveal
// returns the plaintext.
func ExampleValue() {
	v := provider.NewValue("hunter2")
	fmt.Printf("%v %s %q %#v %x\n", v, v, v, v, v)
	j, _ := json.Marshal(provider.Secret{Metadata: provider.Metadata{Name: "pw"}, Value: v})
	fmt.Println(string(j))
	fmt.Println(v.Reveal())
	// Output:
	// [REDACTED] [REDACTED] [REDACTED] [REDACTED] [REDACTED]
	// {"name":"pw","enabled":false,"value":"[REDACTED]"}
	// hunter2
}

// A chain lets environment variables override a mounted secrets file.
func ExampleNewChain() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "secrets.yaml")
	os.WriteFile(path, []byte("db-password: from-file\napi-key: from-file\n"), 0o600)
	os.Setenv("OVERRIDE_API_KEY", "from-env")
	defer os.Unsetenv("OVERRIDE_API_KEY")
	ctx := context.Background()

	fromFile, err := provider.Open(ctx, "file://"+filepath.ToSlash(path))
	if err != nil {
		log.Fatal(err)
	}
	chain := provider.NewChain(env.New(&env.Options{Prefix: "OVERRIDE_"}), fromFile)
	for _, name := range []string{"api-key", "db-password"} {
		s, err := chain.GetSecret(ctx, name, "")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, "=", s.Value.Reveal())
	}
	// Output:
	// api-key = from-env
	// db-password = from-file
}

// A cache in front of a remote backend answers repeated reads from memory.
func ExampleNewCache() {
	os.Setenv("TOKEN", "t0k3n")
	defer os.Unsetenv("TOKEN")
	cached := provider.NewCache(env.New(nil), &provider.CacheOptions{TTL: time.Minute, MaxEntries: 100})
	defer cached.Close()

	s, _ := cached.GetSecret(context.Background(), "token", "")
	os.Setenv("TOKEN", "rotated")
	again, _ := cached.GetSecret(context.Background(), "token", "")
	fmt.Println(s.Value.Equal(again.Value), cached.Len())
	// Output: true 1
}

// GetSecretByURI reads the one secret a URI fragment names, as a command
// line tool would.
func ExampleGetSecretByURI() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.env")
	os.WriteFile(path, []byte("DB_PASSWORD=\"s3cr3t\"\n"), 0o600)

	s, err := provider.GetSecretByURI(context.Background(), "file://"+filepath.ToSlash(path)+"#DB_PASSWORD")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Name, s.Value.Reveal())
	// Output: DB_PASSWORD s3cr3t
}

// GetMany returns one result per name; a missing name does not fail the
// others.
func ExampleGetMany() {
	os.Setenv("APP_USER", "admin")
	defer os.Unsetenv("APP_USER")
	p := env.New(&env.Options{Prefix: "APP_"})

	results, err := provider.GetMany(context.Background(), p, []string{"user", "password"})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Println(r.Name, r.Err == nil, errors.Is(r.Err, provider.ErrNotFound))
	}
	// Output:
	// user true false
	// password false true
}

// CapabilitiesOf tells what optional abilities a provider has.
func ExampleCapabilitiesOf() {
	fmt.Printf("%+v\n", provider.CapabilitiesOf(env.New(nil)))
	// Output: {List:true ListVersions:false GetMany:true Close:false Set:false Delete:false}
}

// A private URLMux with a configured opener: the env opener's default
// prefix applies to every env URI this mux opens.
func ExampleURLMux() {
	os.Setenv("MYAPP_DB_PASSWORD", "s3cr3t")
	defer os.Unsetenv("MYAPP_DB_PASSWORD")
	mux := new(provider.URLMux)
	mux.RegisterProvider(env.Scheme, &env.URLOpener{Options: env.Options{Prefix: "MYAPP_"}})

	s, err := mux.GetSecret(context.Background(), "env://db-password")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Name, s.Value.Reveal())
	// Output: db-password s3cr3t
}

// The one secret-URI grammar: a #fragment, a trailing path segment, the
// host of an env URI, and ?version= to pin a version.
func ExampleURLMux_ParseSecretURI() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "db-password"), []byte("x"), 0o600)
	ctx := context.Background()
	mux := provider.DefaultURLMux()
	for _, uri := range []string{
		"env://DB_PASSWORD",
		"env://db-password?prefix=APP_&version=3",
		"file://" + filepath.ToSlash(dir) + "/db-password",
	} {
		s, err := mux.ParseSecretURI(ctx, uri)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("provider=%q name=%q version=%q\n", strings.TrimPrefix(s.Provider, "file://"+filepath.ToSlash(dir)), s.Name, s.Version)
	}
	// Output:
	// provider="env:" name="DB_PASSWORD" version=""
	// provider="env:?prefix=APP_" name="db-password" version="3"
	// provider="/" name="db-password" version=""
}

// A chain URI lists provider URIs separated by white space: environment
// variables override a mounted secrets file.
func ExampleOpen_chain() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "secrets.yaml")
	os.WriteFile(path, []byte("db-password: from-file\napi-key: from-file\n"), 0o600)
	os.Setenv("OVERRIDE_API_KEY", "from-env")
	defer os.Unsetenv("OVERRIDE_API_KEY")
	ctx := context.Background()

	p, err := provider.Open(ctx, "chain:env://?prefix=OVERRIDE_ file://"+filepath.ToSlash(path))
	if err != nil {
		log.Fatal(err)
	}
	defer provider.Close(p)
	for _, name := range []string{"api-key", "db-password"} {
		s, err := p.GetSecret(ctx, name, "")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(name, "=", s.Value.Reveal())
	}
	// Output:
	// api-key = from-env
	// db-password = from-file
}
