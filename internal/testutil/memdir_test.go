package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMemDirIsAFreshWritableDirectoryRemovedAtCleanup(t *testing.T) {
	var dir string
	t.Run("use", func(t *testing.T) {
		dir = MemDir(t)
		if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 {
			t.Fatalf("entries %v, %v; want the one file written", entries, err)
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after cleanup: %v", dir, err)
	}
}
