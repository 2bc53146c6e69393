package file_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/file"
)

// A FIFO or device where a secrets file should be must give an error at
// once, not block the caller until a writer appears.
func TestSpecialFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "secrets.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	for _, tc := range []struct {
		path, name string
		opts       *file.Options
	}{
		{fifo, "db-password", nil},
		{dir + "/", "secrets.yaml", nil}, // the FIFO as one file of a directory provider
		{"/dev/zero", "x", &file.Options{Format: "yaml"}},
	} {
		p, err := file.New(tc.path, tc.opts)
		if err != nil {
			// Structured files are read when opened.
			if !strings.Contains(err.Error(), "not a regular file") || errors.Is(err, provider.ErrUnavailable) {
				t.Errorf("New(%s): %v, want a not-a-regular-file error that is not 'unavailable'", tc.path, err)
			}
			continue
		}
		done := make(chan error, 1)
		go func() { _, err := p.GetSecret(context.Background(), tc.name, ""); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("GetSecret from %s: %v, want a not-a-regular-file error", tc.path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("GetSecret from %s blocked", tc.path)
		}
	}
}

// A UTF-8 byte-order mark, which Windows editors write, is not part of the
// first key.
func TestByteOrderMarkIsIgnored(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"s.json": `{"db-password":"pw"}`,
		"s.env":  "DB_PASSWORD=pw\n",
		"s.yaml": "db-password: pw\n",
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, append([]byte("\xef\xbb\xbf"), content...), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := file.New(path, nil)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		key := "db-password"
		if name == "s.env" {
			key = "DB_PASSWORD"
		}
		s, err := p.GetSecret(context.Background(), key, "")
		if err != nil || s.Value.Reveal() != "pw" {
			t.Errorf("%s: GetSecret(%s) = %v, want pw", name, key, err)
		}
	}
}
