package vault

import (
	"math"
	"sync"
	"time"

	"github.com/secretkit/secretkit/kv"
)

// Throttle turns on Key Vault's request limits for a vault: past Creates
// set operations, or Other operations of any other kind, in one 10-second
// window of the emulator clock, requests are answered 429 Throttled with
// Retry-After. Zero fields mean Key Vault's own limits (300 and 4000).
type Throttle struct {
	Creates int
	Other   int
}

// unconfirmed: which reason the service gives per limit; this is the one
// recorded answers show for a vault's per-type limit.
const msgThrottled = "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached"

// limiter counts one vault's requests in fixed windows on the emulator
// clock, so advancing the clock also opens a new window.
type limiter struct {
	creates, other int // limits

	mu               sync.Mutex
	window           time.Time
	nCreates, nOther int
}

func newLimiter(t Throttle) *limiter {
	l := &limiter{creates: t.Creates, other: t.Other}
	if l.creates <= 0 {
		l.creates = kv.DefaultThrottleCreates
	}
	if l.other <= 0 {
		l.other = kv.DefaultThrottleOther
	}
	return l
}

// admit counts one request at now and reports whether it is within the
// limits; when it is not, retryAfter is the whole seconds until the window
// ends (at least one). Refused requests are not counted.
func (l *limiter) admit(now time.Time, create bool) (retryAfter int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if start := now.Truncate(kv.ThrottleWindow); !start.Equal(l.window) {
		l.window, l.nCreates, l.nOther = start, 0, 0
	}
	count, limit := &l.nOther, l.other
	if create {
		count, limit = &l.nCreates, l.creates
	}
	if *count >= limit {
		wait := l.window.Add(kv.ThrottleWindow).Sub(now)
		return max(1, int(math.Ceil(wait.Seconds()))), false
	}
	*count++
	return 0, true
}
