//go:build unix

package tlsca

import (
	"fmt"
	"os"
	"syscall"
)

// checkPrivateDir refuses a key directory another user owns or may write
// to: such a user could replace the CA key that this user's clients trust,
// or read the keys. It matters most for the shared fallback under the
// temporary directory, where anyone may create the directory first.
func checkPrivateDir(dir string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("tlsca: %w", err)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("tlsca: directory %s is owned by uid %d, not by this user (uid %d); use a directory of your own (-tls-dir)", dir, st.Uid, os.Geteuid())
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("tlsca: directory %s is writable by other users (mode %04o); use a directory only you can write, e.g. chmod 700 %s", dir, perm, dir)
	}
	return nil
}
