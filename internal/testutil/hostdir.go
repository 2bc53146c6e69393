package testutil

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// HostDir makes the fixed host directory dir (and any missing parents) for
// the duration of t, holding an exclusive lock on it across processes: go
// test runs packages in parallel, and a directory a client library insists
// on (such as Azure Arc's /var/opt/azcmagent/tokens) would otherwise be
// created by one package's test and removed under another's. On cleanup
// it removes only the directories it created, deepest first, then releases
// the lock.
//
// Where dir cannot be created (not root), the test is skipped, or fails
// when the CI environment variable is set: CI must not skip silently.
func HostDir(t testing.TB, dir string) string {
	t.Helper()
	unlock, err := lockFile(lockPath(dir))
	if err != nil {
		t.Fatalf("lock for %s: %v", dir, err)
	}
	var created []string
	for p := filepath.Clean(dir); p != filepath.Dir(p); p = filepath.Dir(p) {
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			created = append(created, p)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		unlock()
		if os.Getenv("CI") != "" {
			t.Fatalf("cannot create %s (run as root): %v", dir, err)
		}
		t.Skipf("cannot create %s (need root; fails under CI): %v", dir, err)
	}
	t.Cleanup(func() {
		for _, p := range created { // deepest first
			os.Remove(p)
		}
		unlock()
	})
	return dir
}

// lockPath is the lock file guarding dir: one per directory, in the
// temporary directory every process of a run shares.
func lockPath(dir string) string {
	sum := sha256.Sum256([]byte(filepath.Clean(dir)))
	return filepath.Join(os.TempDir(), "secretkit-hostdir-"+hex.EncodeToString(sum[:8])+".lock")
}
