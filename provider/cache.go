package provider

import (
	"context"
	"errors"
	"iter"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults applied by [NewCache] to zero [CacheOptions] fields.
const (
	DefaultCacheTTL        = 5 * time.Minute
	DefaultCacheMaxEntries = 1024
)

// CacheOptions configures [NewCache]. The zero value (or nil) means defaults.
type CacheOptions struct {
	// TTL is how long a successful read is served from memory.
	// Zero means DefaultCacheTTL.
	TTL time.Duration
	// NegativeTTL is how long a not-found answer is remembered. Zero (the
	// default) means not-found is never cached, so a newly created secret is
	// visible at once; set it when absent names are read in a hot loop.
	NegativeTTL time.Duration
	// MaxEntries bounds the number of cached (name, version) answers. When
	// full, an answer not read since the eviction clock last passed it is
	// evicted first (second-chance, an approximation of least recently
	// used that lets hits run without a lock). Zero means
	// DefaultCacheMaxEntries.
	MaxEntries int
	// MaxStale, when positive, lets the cache answer with an expired
	// secret for up to MaxStale past its expiry when the wrapped provider
	// fails with ErrUnavailable or an unclassified error, so an outage of
	// the backend does not become an outage of the program. Not-found,
	// permission-denied and invalid-argument answers, and the caller's own
	// context ending, are never papered over. Zero serves nothing stale.
	MaxStale time.Duration
	// Jitter shortens each entry's TTL by a random fraction of up to
	// Jitter (0 to 1), so entries cached together, by many replicas that
	// started together, do not all expire, and hit the backend, at once.
	// Zero means exact TTLs.
	Jitter float64
	// Now returns the current time; nil means time.Now. Tests inject a
	// fake clock here.
	Now func() time.Time
}

// Cache is a decorator that keeps recent GetSecret answers in memory.
//
// Only successes, and not-found answers when NegativeTTL is set, are cached.
// Every other error (denied, unavailable, invalid, context) is returned to
// the caller and forgotten: permissions can be granted and outages end, and
// a cached failure would outlive its cause. With MaxStale set, an outage is
// answered with the expired secret instead, for a bounded time (see
// [CacheOptions.MaxStale]). No secret is served past its own Expires time,
// fresh or stale.
//
// Concurrent misses for the same (name, version) share one backend call.
// That call runs detached from the first caller's cancellation and is
// cancelled only when every caller waiting for it has given up, so one
// impatient caller cannot fail the others. Each caller still returns as soon
// as its own ctx is done.
//
// Listings are forwarded to the wrapped provider uncached. Cache is safe for
// concurrent use.
type Cache struct {
	inner       SecretProvider
	ttl         time.Duration
	negativeTTL time.Duration
	maxEntries  int
	maxStale    time.Duration
	jitter      float64
	now         func() time.Time
	// base is when the cache was made, read from the monotonic clock when
	// Now is not injected; hits then compare one monotonic reading with
	// cacheEntry.freshFor instead of reading the wall clock as well.
	base     time.Time
	realTime bool

	// entries maps cacheKey to *cacheEntry. Hits read it without a lock;
	// every change to it happens under mu, together with ring.
	entries sync.Map

	mu      sync.Mutex
	ring    []*cacheEntry // every entry of entries, in eviction-clock order
	hand    int           // the clock's next position in ring
	flights map[cacheKey]*flight
}

type cacheKey struct{ name, version string }

type cacheEntry struct {
	key     cacheKey
	secret  Secret
	err     error // only ever a not-found error
	expires time.Time
	// freshFor is expires as an offset from Cache.base.
	freshFor time.Duration
	// staleUntil is when the entry may no longer stand in for a failing
	// backend: expires plus MaxStale, but never past the secret's own
	// Expires; equal to expires when nothing stale may be served.
	staleUntil time.Time
	// used is set by a hit and cleared by the eviction clock passing by:
	// an entry is evicted only when the clock finds it clear.
	used atomic.Bool
	slot int // index in Cache.ring, under Cache.mu
}

type flight struct {
	done    chan struct{}
	secret  Secret
	err     error
	waiters int
	cancel  context.CancelFunc
	stale   bool // Invalidate ran while it was in flight: do not cache its answer
}

// NewCache returns a caching decorator around p. opts may be nil.
func NewCache(p SecretProvider, opts *CacheOptions) *Cache {
	var o CacheOptions
	if opts != nil {
		o = *opts
	}
	if o.TTL <= 0 {
		o.TTL = DefaultCacheTTL
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultCacheMaxEntries
	}
	realTime := o.Now == nil
	if realTime {
		o.Now = time.Now
	}
	o.Jitter = min(max(o.Jitter, 0), 1)
	return &Cache{
		inner: p, ttl: o.TTL, negativeTTL: o.NegativeTTL, maxEntries: o.MaxEntries, now: o.Now,
		maxStale: max(o.MaxStale, 0), jitter: o.Jitter,
		flights: map[cacheKey]*flight{}, base: o.Now(), realTime: realTime,
	}
}

// GetSecret implements [SecretProvider]: it answers from memory while the
// cached answer is fresh and otherwise asks the wrapped provider.
func (c *Cache) GetSecret(ctx context.Context, name, version string) (Secret, error) {
	if err := ctx.Err(); err != nil {
		return Secret{}, err
	}
	key := cacheKey{name, version}
	// The hit path: one lock-free map read and, the first time after the
	// clock passed, one flag write.
	if v, ok := c.entries.Load(key); ok {
		e := v.(*cacheEntry)
		if c.fresh(e) {
			if !e.used.Load() {
				e.used.Store(true)
			}
			noteCache(ctx, CacheHit)
			return cloneSecret(e.secret), e.err
		}
	}
	c.mu.Lock()
	if e, ok := c.loadLocked(key); ok {
		now := c.now()
		if now.Before(e.expires) { // stored by another caller meanwhile
			c.mu.Unlock()
			noteCache(ctx, CacheHit)
			return cloneSecret(e.secret), e.err
		}
		if !now.Before(e.staleUntil) {
			c.removeLocked(e)
		}
	}
	noteCache(ctx, CacheMiss)
	f, ok := c.flights[key]
	if ok {
		f.waiters++
	} else {
		fctx, cancel := context.WithCancel(context.WithoutCancel(withoutNote(ctx)))
		f = &flight{done: make(chan struct{}), waiters: 1, cancel: cancel}
		c.flights[key] = f
		go c.fly(fctx, key, f)
	}
	c.mu.Unlock()

	select {
	case <-f.done:
		if f.err != nil && servesStale(f.err) {
			if s, ok := c.stale(key); ok {
				noteCache(ctx, CacheStale)
				return s, nil
			}
		}
		return cloneSecret(f.secret), f.err
	case <-ctx.Done():
		c.mu.Lock()
		f.waiters--
		if f.waiters == 0 {
			f.cancel()
			if c.flights[key] == f {
				delete(c.flights, key)
			}
		}
		c.mu.Unlock()
		return Secret{}, ctx.Err()
	}
}

// servesStale reports whether a failure may be answered with a stale
// secret: an outage, not an answer about the secret or the caller.
func servesStale(err error) bool {
	return !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrPermissionDenied) &&
		!errors.Is(err, ErrInvalidArgument) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, context.DeadlineExceeded)
}

// stale returns the expired secret cached for key while it is within its
// staleness bound.
func (c *Cache) stale(key cacheKey) (Secret, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.loadLocked(key)
	if !ok {
		return Secret{}, false
	}
	if e.err != nil || !c.now().Before(e.staleUntil) {
		return Secret{}, false
	}
	return cloneSecret(e.secret), true
}

func (c *Cache) fly(ctx context.Context, key cacheKey, f *flight) {
	s, err := c.inner.GetSecret(ctx, key.name, key.version)
	f.cancel()
	c.mu.Lock()
	f.secret, f.err = s, err
	if c.flights[key] == f {
		delete(c.flights, key)
	}
	switch {
	case f.stale:
	case err == nil:
		c.storeLocked(key, s, nil, c.ttl)
	case errors.Is(err, ErrNotFound) || errors.Is(err, ErrPermissionDenied) || errors.Is(err, ErrInvalidArgument):
		// The backend answered: an older secret must not stand in for it.
		c.forgetLocked(key)
		if c.negativeTTL > 0 && errors.Is(err, ErrNotFound) {
			c.storeLocked(key, Secret{}, err, c.negativeTTL)
		}
	}
	c.mu.Unlock()
	close(f.done)
}

func (c *Cache) storeLocked(key cacheKey, s Secret, err error, ttl time.Duration) {
	c.forgetLocked(key)
	now := c.now()
	if c.jitter > 0 {
		ttl -= time.Duration(c.jitter * rand.Float64() * float64(ttl))
	}
	e := &cacheEntry{key: key, secret: cloneSecret(s), err: err, expires: now.Add(ttl)}
	e.staleUntil = e.expires
	if err == nil {
		e.staleUntil = e.expires.Add(c.maxStale)
	}
	if exp := s.Expires; !exp.IsZero() {
		if !now.Before(exp) {
			return // already expired: nothing to remember
		}
		if exp.Before(e.expires) {
			e.expires = exp
		}
		if exp.Before(e.staleUntil) {
			e.staleUntil = exp
		}
	}
	e.freshFor = e.expires.Sub(c.base)
	for len(c.ring) >= c.maxEntries {
		c.removeLocked(c.victimLocked())
	}
	e.slot = len(c.ring)
	c.ring = append(c.ring, e)
	c.entries.Store(key, e)
}

// fresh reports whether e may be served without asking the backend.
func (c *Cache) fresh(e *cacheEntry) bool {
	if c.realTime {
		return time.Since(c.base) < e.freshFor
	}
	return c.now().Before(e.expires)
}

// victimLocked runs the eviction clock: it clears the used flag of each
// entry it passes and stops at the first one that was already clear. It
// returns within two turns of the ring, which must not be empty.
func (c *Cache) victimLocked() *cacheEntry {
	for {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		if !e.used.Swap(false) {
			return e
		}
		c.hand++
	}
}

func (c *Cache) loadLocked(key cacheKey) (*cacheEntry, bool) {
	v, ok := c.entries.Load(key)
	if !ok {
		return nil, false
	}
	return v.(*cacheEntry), true
}

// forgetLocked drops the entry for key, if there is one.
func (c *Cache) forgetLocked(key cacheKey) {
	if e, ok := c.loadLocked(key); ok {
		c.removeLocked(e)
	}
}

// removeLocked drops e; the ring's last entry takes its slot, so the clock
// order changes slightly but nothing moves on the hit path.
func (c *Cache) removeLocked(e *cacheEntry) {
	c.entries.Delete(e.key)
	last := len(c.ring) - 1
	c.ring[e.slot] = c.ring[last]
	c.ring[e.slot].slot = e.slot
	c.ring[last] = nil
	c.ring = c.ring[:last]
}

// Len returns the number of cached answers, fresh or not yet evicted.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ring)
}

// Invalidate forgets every cached version of the secret called name, so the
// next read goes to the wrapped provider. Reads already in flight still
// answer the callers waiting for them, but their answers, which may predate
// the change that prompted Invalidate, are neither cached nor shared with
// later reads.
func (c *Cache) Invalidate(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Backwards, because removeLocked moves the last entry, one already
	// looked at, into the freed slot: no copy of the ring is needed.
	for i := len(c.ring) - 1; i >= 0; i-- {
		if e := c.ring[i]; e.key.name == name {
			c.removeLocked(e)
		}
	}
	for key := range c.flights {
		if key.name == name {
			c.dropFlightLocked(key)
		}
	}
}

// dropFlightLocked leaves the read in flight for key, if any, to the
// callers already waiting for it: its answer may predate what the caller
// has just learnt, so it is neither cached nor shared with later reads.
func (c *Cache) dropFlightLocked(key cacheKey) {
	if f, ok := c.flights[key]; ok {
		f.stale = true
		delete(c.flights, key)
	}
}

// Capabilities implements [CapabilityReporter]: listings as the wrapped
// provider has them; bulk reads and Close always.
func (c *Cache) Capabilities() Capabilities {
	inner := CapabilitiesOf(c.inner)
	return Capabilities{List: inner.List, ListVersions: inner.ListVersions, GetMany: true, Close: true}
}

// ListSecrets forwards to the wrapped provider's [Lister], uncached, or
// yields an errors.ErrUnsupported error if it has none.
func (c *Cache) ListSecrets(ctx context.Context) iter.Seq2[Metadata, error] {
	if l, ok := c.inner.(Lister); ok && CapabilitiesOf(c.inner).List {
		return l.ListSecrets(ctx)
	}
	return yieldError(&Error{Provider: "cache", Op: "list", Err: errors.ErrUnsupported})
}

// ListSecretVersions forwards to the wrapped provider's [VersionLister],
// uncached, or yields an errors.ErrUnsupported error if it has none.
func (c *Cache) ListSecretVersions(ctx context.Context, name string) iter.Seq2[Metadata, error] {
	if l, ok := c.inner.(VersionLister); ok && CapabilitiesOf(c.inner).ListVersions {
		return l.ListSecretVersions(ctx, name)
	}
	return yieldError(&Error{Provider: "cache", Op: "list versions", Name: name, Err: errors.ErrUnsupported})
}

// GetSecrets implements [BulkGetter] through the cache, one name at a time.
func (c *Cache) GetSecrets(ctx context.Context, names []string) ([]Result, error) {
	return getEach(ctx, c, names)
}

// Close drops every cached answer and closes the wrapped provider if it has
// that ability.
func (c *Cache) Close() error {
	c.mu.Lock()
	c.entries.Clear()
	clear(c.ring)
	c.ring, c.hand = c.ring[:0], 0
	c.mu.Unlock()
	return Close(c.inner)
}

func cloneSecret(s Secret) Secret {
	s.Tags = maps.Clone(s.Tags)
	return s
}

func yieldError(err error) iter.Seq2[Metadata, error] {
	return func(yield func(Metadata, error) bool) { yield(Metadata{}, err) }
}
