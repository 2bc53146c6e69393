package testutil

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Binaries builds the main packages pkgs (named as go build takes them,
// relative to the calling test's directory) into a directory in the user
// cache that every test process of this checkout shares, and returns that
// directory; each binary is named after its package's directory.
//
// go build skips the link of a binary that is already up to date there, so
// the programs several packages' tests run (cmd/emulator by four of them)
// are linked once per change to their code instead of once per test binary
// and run. Builds hold an exclusive lock on the directory (Unix), so two test
// processes never write the same binary at once; an up-to-date build only
// reads the file, so a binary another process is running is not disturbed.
func Binaries(pkgs ...string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory for test binaries: %w", err)
	}
	sum := sha256.Sum256([]byte(root))
	dir := filepath.Join(cache, "secretkit-test", "bin", hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(dir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	// One go build for several packages links them in parallel; with -o
	// naming a directory, each binary is named after its package directory.
	out, err := exec.Command("go", append([]string{"build", "-o", dir + string(filepath.Separator)}, pkgs...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %v: %v\n%s", pkgs, err, out)
	}
	return dir, nil
}

// moduleRoot is the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
