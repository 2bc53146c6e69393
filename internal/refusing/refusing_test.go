package refusing_test

import (
	"errors"
	"net"
	"syscall"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/internal/refusing"
)

func TestAddrRefuses(t *testing.T) {
	addr := refusing.Addr(t)
	for range 3 {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			t.Fatalf("dial %s succeeded; want connection refused", addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial %s: %v; want ECONNREFUSED", addr, err)
		}
	}
	if _, err := net.Listen("tcp", addr); err == nil {
		t.Fatalf("another socket could listen on %s", addr)
	}
}
