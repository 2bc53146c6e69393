//go:build unix

package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// A second build of an unchanged package leaves the binary alone: same
// directory, same file (a process running it is not disturbed), and it runs.
func TestBinariesShareAnUpToDateBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	first, err := Binaries("../../cmd/healthprobe")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(first, "healthprobe")
	before, err := os.Stat(bin)
	if err != nil {
		t.Fatalf("no binary named after its package: %v", err)
	}
	second, err := Binaries("../../cmd/healthprobe")
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(bin)
	if err != nil || second != first {
		t.Fatalf("second build: dir %s (first %s), %v", second, first, err)
	}
	if ino(before) != ino(after) || before.Size() != after.Size() {
		t.Errorf("the up-to-date binary was replaced (inode %d -> %d)", ino(before), ino(after))
	}
	if info, err := os.Stat(first); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("binary directory mode %v, %v; want 0700", info.Mode().Perm(), err)
	}
	if out, err := exec.Command(bin, "-version").CombinedOutput(); err != nil {
		t.Errorf("%s -version: %v\n%s", bin, err, out)
	}
}

func ino(info os.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}
