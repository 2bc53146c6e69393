package testutil

import (
	"strings"
	"sync"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
)

// TestBufferConcurrentWrites runs under -race: writers and a reader share
// one Buffer, and every write arrives whole.
func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				b.Write([]byte("line\n"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := strings.Count(b.String(), "line\n"); got != 800 {
		t.Errorf("%d lines, want 800", got)
	}
	if got := len(b.String()); got != 800*len("line\n") {
		t.Errorf("%d bytes, want %d", got, 800*len("line\n"))
	}
}
