// Package refusing gives tests a loopback address that refuses TCP
// connections for as long as the test runs, without the race of picking a
// port by listening and closing (another process may take the port in
// between).
package refusing

import "testing"

// Addr returns "127.0.0.1:port" where port is held by a TCP socket that is
// bound but not listening, so every connection to it is refused and no
// other socket can take the port. The socket is closed when t ends. Where
// that cannot be arranged, Addr skips the test.
func Addr(t testing.TB) string {
	t.Helper()
	return addr(t)
}
