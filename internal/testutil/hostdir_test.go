//go:build unix

package testutil

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// locked reports whether another holder has dir's lock, probing with a
// non-blocking flock on a separate open file (flock locks belong to open
// files, so this conflicts even within one process).
func locked(t *testing.T, dir string) bool {
	t.Helper()
	f, err := os.Open(lockPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return true
	}
	if err != nil {
		t.Fatal(err)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

func TestHostDirLocksCreatesAndRemoves(t *testing.T) {
	base := t.TempDir()
	existing := filepath.Join(base, "var")
	if err := os.Mkdir(existing, 0o700); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(existing, "opt", "agent", "tokens")
	t.Run("holder", func(t *testing.T) {
		if got := HostDir(t, dir); got != dir {
			t.Errorf("HostDir = %q, want %q", got, dir)
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			t.Fatalf("%s not created: %v", dir, err)
		}
		if !locked(t, dir) {
			t.Error("the directory is not locked while the test holds it")
		}
	})
	if locked(t, dir) {
		t.Error("the lock outlived the test that held it")
	}
	if _, err := os.Stat(filepath.Join(existing, "opt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("created parent not removed: %v", err)
	}
	if _, err := os.Stat(existing); err != nil {
		t.Errorf("a directory that existed before was removed: %v", err)
	}
}
