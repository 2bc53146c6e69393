//go:build !unix

package refusing

import "testing"

func addr(t testing.TB) string {
	t.Skip("a bound, non-listening socket needs a Unix system")
	return ""
}
