package file_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/file"
)

// Nested YAML mappings flatten into dotted names.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "secrets.yaml")
	os.WriteFile(path, []byte("db:\n  user: app\n  password: s3cr3t\napi-key: k3y\n"), 0o600)

	p, err := file.New(path, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for m := range p.ListSecrets(ctx) {
		s, _ := p.GetSecret(ctx, m.Name, "")
		fmt.Println(m.Name, s.Value.Reveal())
	}
	// Output:
	// api-key k3y
	// db.password s3cr3t
	// db.user app
}

// A directory of one file per secret, as Kubernetes mounts a Secret.
func ExampleNew_directory() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "db-password"), []byte("s3cr3t\n"), 0o600)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("skipped"), 0o600)

	p, err := provider.Open(context.Background(), "file://"+filepath.ToSlash(dir)+"/")
	if err != nil {
		log.Fatal(err)
	}
	s, _ := p.GetSecret(context.Background(), "db-password", "")
	fmt.Printf("%q\n", s.Value.Reveal()) // byte for byte, trailing newline included
	_, err = p.GetSecret(context.Background(), ".hidden", "")
	fmt.Println(errors.Is(err, provider.ErrInvalidArgument))
	// Output:
	// "s3cr3t\n"
	// true
}

// Errors in a secrets file name the file and line, never the value.
func ExampleParseError() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "app.env")
	os.WriteFile(path, []byte("DB_PASSWORD=s3cr3t\nDB_PASSWORD=other\n"), 0o600)

	_, err := file.New(path, nil)
	var perr *file.ParseError
	if errors.As(err, &perr) {
		fmt.Println(filepath.Base(perr.Path), perr.Line, perr.Msg)
	}
	// Output: app.env 2 duplicate key "DB_PASSWORD" (first defined on line 1)
}
