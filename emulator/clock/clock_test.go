package clock

import (
	"sync"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
)

func TestFixedClockMovesOnlyByAdvance(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewFixed(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	if got := c.Advance(90 * time.Minute); !got.Equal(start.Add(90 * time.Minute)) {
		t.Fatalf("Advance returned %v", got)
	}
	if got := c.Advance(-time.Hour); !got.Equal(start.Add(90 * time.Minute)) {
		t.Errorf("a negative Advance moved the clock to %v", got)
	}
	if c.Offset() != 90*time.Minute {
		t.Errorf("Offset = %v", c.Offset())
	}
}

func TestZeroClockFollowsWallClockInUTC(t *testing.T) {
	var c Adjustable
	before := time.Now()
	got := c.Now()
	if got.Before(before.Add(-time.Second)) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("Now = %v, not near the wall clock %v", got, before)
	}
	if got.Location() != time.UTC {
		t.Errorf("Now is in %v, want UTC", got.Location())
	}
	if d := c.Advance(24 * time.Hour).Sub(time.Now()); d < 23*time.Hour {
		t.Errorf("advanced clock is only %v ahead", d)
	}
}

func TestConcurrentAdvanceAddsUp(t *testing.T) {
	c := NewFixed(time.Unix(0, 0))
	var wg sync.WaitGroup
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Advance(time.Second)
			c.Now()
		}()
	}
	wg.Wait()
	if c.Offset() != 32*time.Second {
		t.Errorf("Offset = %v, want 32s", c.Offset())
	}
}

// Huge advances (the admin route takes any Go duration) saturate instead of
// wrapping the offset to a negative one, which would move time backwards.
func TestAdvanceNeverWrapsBackwards(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewFixed(start)
	const huge = time.Duration(1<<63 - 1)
	first := c.Advance(huge / 2)
	second := c.Advance(huge)
	if second.Before(first) {
		t.Fatalf("second Advance moved the clock back from %v to %v", first, second)
	}
	if c.Offset() != huge {
		t.Errorf("Offset = %v, want the largest Duration", c.Offset())
	}
	if got := c.Advance(time.Hour); !got.Equal(second) {
		t.Errorf("Advance past the limit moved the clock to %v, want %v", got, second)
	}
}
