package file_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/file"
)

// A bulk read of a directory answers each name as GetSecret does: present,
// missing and invalid names side by side, and, once the directory itself
// is gone, every name unavailable rather than not found.
func TestDirGetSecretsAnswersEachNameAsGetSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "volume")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a"), []byte("1"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := file.New(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"a", "missing", "../a"}
	results, err := p.GetSecrets(context.Background(), names)
	if err != nil || len(results) != len(names) {
		t.Fatalf("GetSecrets = %d results, %v", len(results), err)
	}
	if got := results[0].Secret.Value.Reveal(); results[0].Err != nil || got != "1" {
		t.Errorf("a: %q, %v; want \"1\"", got, results[0].Err)
	}
	if !errors.Is(results[1].Err, provider.ErrNotFound) {
		t.Errorf("missing: err = %v; want ErrNotFound", results[1].Err)
	}
	if !errors.Is(results[2].Err, provider.ErrInvalidArgument) {
		t.Errorf("../a: err = %v; want ErrInvalidArgument", results[2].Err)
	}

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	results, err = p.GetSecrets(context.Background(), []string{"a", "missing"})
	if err != nil || len(results) != 2 {
		t.Fatalf("GetSecrets of a removed directory = %d results, %v", len(results), err)
	}
	for _, r := range results {
		if !errors.Is(r.Err, provider.ErrUnavailable) {
			t.Errorf("%s in a removed directory: err = %v; want ErrUnavailable", r.Name, r.Err)
		}
	}
}
