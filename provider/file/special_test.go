package file_test

import (
	"context"
	"errors"
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
