package testutil

import "syscall"

// isMemFS reports whether dir is on tmpfs.
func isMemFS(dir string) bool {
	const tmpfsMagic = 0x01021994
	var st syscall.Statfs_t
	return syscall.Statfs(dir, &st) == nil && st.Type == tmpfsMagic
}
