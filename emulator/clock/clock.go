// Package clock is the emulator's single notion of time. The store, the token
// issuer and the token validator all read one Clock, so moving it (for expiry
// and scheduled-purge tests) moves every part of the emulator together.
package clock

import (
	"math"
	"sync"
	"time"
)

// Clock reports the current time. Implementations must be safe for
// concurrent use.
type Clock interface {
	Now() time.Time
}

// Adjustable is a Clock that follows the wall clock plus an offset that can
// only grow. The zero value follows the wall clock exactly.
type Adjustable struct {
	mu     sync.RWMutex
	offset time.Duration
	// wall lets tests pin the underlying time; nil means time.Now.
	wall func() time.Time
}

// NewFixed returns an Adjustable clock whose underlying time stands still at
// t, so only Advance moves it: the emulator's clock under
// emulator.Options.FrozenAt.
func NewFixed(t time.Time) *Adjustable {
	return &Adjustable{wall: func() time.Time { return t }}
}

// Now returns the wall time plus the accumulated offset, in UTC.
func (c *Adjustable) Now() time.Time {
	c.mu.RLock()
	off, wall := c.offset, c.wall
	c.mu.RUnlock()
	now := time.Now
	if wall != nil {
		now = wall
	}
	return now().Add(off).UTC()
}

// Advance moves the clock forward by d and returns the new time. A negative
// d is ignored: time that went backwards would make stored state
// inconsistent (versions created "after" they were read). For the same
// reason the offset stops at the largest Duration (about 292 years) instead
// of wrapping around to a negative one.
func (c *Adjustable) Advance(d time.Duration) time.Time {
	if d > 0 {
		c.mu.Lock()
		if c.offset > math.MaxInt64-d {
			c.offset = math.MaxInt64
		} else {
			c.offset += d
		}
		c.mu.Unlock()
	}
	return c.Now()
}

// Offset reports how far the clock has been advanced.
func (c *Adjustable) Offset() time.Duration {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.offset
}
