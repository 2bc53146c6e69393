package testutil

import (
	"os"
	"testing"
)

// memDirRoot is a RAM-backed file system on Linux, where fsync returns at
// once instead of waiting for the disk.
const memDirRoot = "/dev/shm"

// MemDir returns a new directory for t, removed at cleanup, on a RAM-backed
// file system when the host has one (/dev/shm), else t.TempDir().
//
// It is for tests whose data file is fsynced on every write (the bolt
// store) but which never check survival of a power cut (no test can):
// what they check, that a write acknowledged before the process died is
// in the file and whole, depends on the order of writes the process made,
// which the kernel keeps the same on any file system. On a disk each fsync
// costs milliseconds, which is most of such a test's time.
func MemDir(t testing.TB) string {
	t.Helper()
	if fi, err := os.Stat(memDirRoot); err != nil || !fi.IsDir() || !isMemFS(memDirRoot) {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp(memDirRoot, "secretkit-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}
