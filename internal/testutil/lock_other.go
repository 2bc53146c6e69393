//go:build !unix

package testutil

// lockFile is a no-op where flock is unavailable: the host directories
// HostDir serves (Linux agent paths) do not exist on those systems, and
// Binaries' builds there are not serialised between test processes.
func lockFile(string) (unlock func(), err error) { return func() {}, nil }
