//go:build unix

package tlsca

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
)

// The key directory (the per-user fallback under /tmp above all) must be
// the user's own: another user who owns or can write it could plant a CA
// key the user's clients then trust (issue 11, item 11).
func TestRefusesDirectoryNotPrivate(t *testing.T) {
	t.Run("group or other writable", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "shared")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreate(dir, nil)
		want := "tlsca: directory " + dir + " is writable by other users (mode 0777); use a directory only you can write, e.g. chmod 700 " + dir
		if err == nil || err.Error() != want {
			t.Fatalf("LoadOrCreate = %v, want %q", err, want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("wrote %d files into the refused directory", len(entries))
		}
	})
	t.Run("owned by another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give a directory to another user")
		}
		dir := filepath.Join(t.TempDir(), "theirs")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, 12345, 12345); err != nil {
			t.Fatal(err)
		}
		_, err := LoadOrCreate(dir, nil)
		if err == nil || !strings.Contains(err.Error(), "tlsca: directory "+dir+" is owned by uid 12345, not by this user (uid 0)") {
			t.Fatalf("LoadOrCreate = %v, want a refusal naming the owner", err)
		}
	})
}
