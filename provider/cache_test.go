package provider_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/secretkit/secretkit/provider"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func mustGet(t *testing.T, p provider.SecretProvider, name string) string {
	t.Helper()
	s, err := p.GetSecret(context.Background(), name, "")
	if err != nil {
		t.Fatalf("GetSecret(%q): %v", name, err)
	}
	return s.Value.Reveal()
}

func TestCacheServesFreshHitsAndRefetchesAfterTTL(t *testing.T) {
	clock := newClock()
	m := newMem("mem", "a", "1")
	c := provider.NewCache(m, &provider.CacheOptions{TTL: time.Minute, Now: clock.Now})
	mustGet(t, c, "a")
	m.set("a", "2")
	if got := mustGet(t, c, "a"); got != "1" || m.calls.Load() != 1 {
		t.Fatalf("fresh hit: got %q after %d backend calls; want cached \"1\" after 1", got, m.calls.Load())
	}
	clock.Advance(time.Minute)
	if got := mustGet(t, c, "a"); got != "2" || m.calls.Load() != 2 {
		t.Fatalf("after TTL: got %q after %d backend calls; want \"2\" after 2", got, m.calls.Load())
	}
}

func TestCacheDoesNotCacheFailures(t *testing.T) {
	for _, kind := range []error{provider.ErrUnavailable, provider.ErrPermissionDenied, provider.ErrInvalidArgument} {
		m := newMem("mem", "a", "1")
		c := provider.NewCache(m, nil)
		m.fail("a", kind)
		if _, err := c.GetSecret(context.Background(), "a", ""); !errors.Is(err, kind) {
			t.Fatalf("err = %v; want %v", err, kind)
		}
		m.fail("a", nil)
		m.errs = map[string]error{}
		if got := mustGet(t, c, "a"); got != "1" {
			t.Errorf("after a %v failure the cache returned %q", kind, got)
		}
	}
}

func TestCacheNotFoundCachedOnlyWithNegativeTTL(t *testing.T) {
	clock := newClock()
	m := newMem("mem")
	plain := provider.NewCache(m, &provider.CacheOptions{Now: clock.Now})
	if _, err := plain.GetSecret(context.Background(), "a", ""); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
	m.set("a", "now-exists")
	if got := mustGet(t, plain, "a"); got != "now-exists" {
		t.Fatalf("not-found was cached without NegativeTTL")
	}

	m2 := newMem("mem")
	neg := provider.NewCache(m2, &provider.CacheOptions{NegativeTTL: time.Second, Now: clock.Now})
	neg.GetSecret(context.Background(), "a", "")
	m2.set("a", "now-exists")
	if _, err := neg.GetSecret(context.Background(), "a", ""); !errors.Is(err, provider.ErrNotFound) || m2.calls.Load() != 1 {
		t.Fatalf("with NegativeTTL: err = %v after %d calls; want cached ErrNotFound", err, m2.calls.Load())
	}
	clock.Advance(time.Second)
	if got := mustGet(t, neg, "a"); got != "now-exists" {
		t.Fatalf("negative entry outlived NegativeTTL")
	}
}

func TestCacheIsBoundedLRU(t *testing.T) {
	m := newMem("mem", "a", "1", "b", "2", "c", "3")
	c := provider.NewCache(m, &provider.CacheOptions{MaxEntries: 2})
	mustGet(t, c, "a")
	mustGet(t, c, "b")
	mustGet(t, c, "a") // a is now most recently used
	mustGet(t, c, "c") // evicts b
	if c.Len() != 2 {
		t.Fatalf("Len = %d; want 2", c.Len())
	}
	before := m.calls.Load()
	mustGet(t, c, "a")
	if m.calls.Load() != before {
		t.Errorf("a was evicted although b was least recently used")
	}
	mustGet(t, c, "b")
	if m.calls.Load() != before+1 {
		t.Errorf("b was still cached after eviction")
	}
}

func TestCacheDedupesConcurrentMisses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		m.gate = make(chan struct{})
		m.entered = make(chan struct{}, 100)
		c := provider.NewCache(m, nil)
		const callers = 100
		var wg sync.WaitGroup
		results := make(chan string, callers)
		for range callers {
			wg.Go(func() {
				s, err := c.GetSecret(context.Background(), "a", "")
				if err != nil {
					t.Error(err)
				}
				results <- s.Value.Reveal()
			})
		}
		// Every caller is now blocked: one in the backend at the gate,
		// the others queued behind its flight.
		synctest.Wait()
		close(m.gate)
		wg.Wait()
		close(results)
		for r := range results {
			if r != "1" {
				t.Errorf("caller got %q", r)
			}
		}
		if n := m.calls.Load(); n != 1 {
			t.Errorf("backend called %d times for %d concurrent misses; want 1", n, callers)
		}
	})
}

func TestCacheOneCallerGivingUpDoesNotFailOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		m.gate = make(chan struct{})
		m.entered = make(chan struct{}, 10)
		c := provider.NewCache(m, nil)
		impatient, cancel := context.WithCancel(context.Background())
		firstErr := make(chan error, 1)
		go func() {
			_, err := c.GetSecret(impatient, "a", "")
			firstErr <- err
		}()
		<-m.entered
		second := make(chan string, 1)
		go func() {
			s, err := c.GetSecret(context.Background(), "a", "")
			if err != nil {
				t.Error(err)
			}
			second <- s.Value.Reveal()
		}()
		synctest.Wait() // the second caller has joined the flight
		cancel()
		if err := <-firstErr; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled caller: err = %v; want context.Canceled", err)
		}
		close(m.gate)
		if got := <-second; got != "1" {
			t.Fatalf("patient caller got %q", got)
		}
		if n := m.calls.Load(); n != 1 {
			t.Errorf("backend calls = %d; want 1 shared read", n)
		}
	})
}

func TestCacheCancelsBackendWhenEveryCallerLeaves(t *testing.T) {
	m := newMem("mem", "a", "1")
	m.gate = make(chan struct{}) // never opened: only cancellation ends the read
	m.entered = make(chan struct{}, 10)
	c := provider.NewCache(m, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := c.GetSecret(ctx, "a", ""); done <- err }()
	<-m.entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	// A new read must start a new backend call rather than join the
	// abandoned one.
	m.gate = nil
	if got := mustGet(t, c, "a"); got != "1" {
		t.Fatalf("got %q", got)
	}
	if m.calls.Load() != 2 {
		t.Errorf("backend calls = %d; want 2", m.calls.Load())
	}
}

func TestCacheInvalidateAndTagIsolation(t *testing.T) {
	m := newMem("mem", "a", "1")
	c := provider.NewCache(m, nil)
	s, _ := c.GetSecret(context.Background(), "a", "")
	s.Tags["from"] = "mutated by caller"
	s2, _ := c.GetSecret(context.Background(), "a", "")
	if s2.Tags["from"] != "mem" {
		t.Errorf("a caller's change to Tags leaked into the cache")
	}
	m.set("a", "2")
	c.Invalidate("a")
	if got := mustGet(t, c, "a"); got != "2" {
		t.Errorf("after Invalidate got %q", got)
	}
}

// readThenWait reads from p at once but holds its first answer until gate
// is closed: a read that saw the value before a write and returns after it.
type readThenWait struct {
	p       provider.SecretProvider
	calls   atomic.Int32
	entered chan struct{}
	gate    chan struct{}
}

func (r *readThenWait) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	s, err := r.p.GetSecret(ctx, name, version)
	if r.calls.Add(1) == 1 {
		r.entered <- struct{}{}
		<-r.gate
	}
	return s, err
}

func TestCacheInvalidateDuringARead(t *testing.T) {
	m := newMem("mem", "a", "1")
	slow := &readThenWait{p: m, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	c := provider.NewCache(slow, nil)
	first := make(chan string, 1)
	go func() {
		s, _ := c.GetSecret(context.Background(), "a", "")
		first <- s.Value.Reveal()
	}()
	<-slow.entered // the first read has seen "1"
	m.set("a", "2")
	c.Invalidate("a")
	second := make(chan string, 1)
	go func() {
		s, _ := c.GetSecret(context.Background(), "a", "")
		second <- s.Value.Reveal()
	}()
	select {
	case got := <-second:
		if got != "2" {
			t.Errorf("read after Invalidate got %q; want \"2\"", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a read after Invalidate joined the read that began before it")
	}
	close(slow.gate)
	if got := <-first; got != "1" {
		t.Errorf("the read in flight got %q; want its own \"1\"", got)
	}
	if got := mustGet(t, c, "a"); got != "2" {
		t.Errorf("after the stale read finished the cache serves %q; want \"2\"", got)
	}
}

func TestCacheCapabilitiesFollowWrappedProvider(t *testing.T) {
	m := newMem("mem", "a", "1")
	full := provider.NewCache(m, nil)
	if got, want := provider.CapabilitiesOf(full), (provider.Capabilities{List: true, GetMany: true, Close: true}); got != want {
		t.Errorf("capabilities = %+v; want %+v", got, want)
	}
	bare := provider.NewCache(getOnly{m}, nil)
	if provider.CapabilitiesOf(bare).List {
		t.Errorf("cache over a non-lister claims List")
	}
	for _, err := range bare.ListSecrets(context.Background()) {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("ListSecrets err = %v; want errors.ErrUnsupported", err)
		}
	}
	for _, err := range bare.ListSecretVersions(context.Background(), "a") {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("ListSecretVersions err = %v; want errors.ErrUnsupported", err)
		}
	}
	m.closeErr = errBoom
	if err := full.Close(); !errors.Is(err, errBoom) || !m.closed.Load() || full.Len() != 0 {
		t.Errorf("Close: err = %v, backend closed = %v, Len = %d", err, m.closed.Load(), full.Len())
	}
}

func TestCacheCancelledContext(t *testing.T) {
	c := provider.NewCache(newMem("mem", "a", "1"), nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.GetSecret(ctx, "a", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if _, err := c.GetSecrets(ctx, []string{"a"}); !errors.Is(err, context.Canceled) {
		t.Errorf("GetSecrets err = %v", err)
	}
}

// Invalidate drops every version of one name wherever its entries sit in
// the cache, and keeps every other name's entries.
func TestCacheInvalidateAmongOtherNames(t *testing.T) {
	ctx := context.Background()
	m := newMem("mem", "a", "1", "b", "2", "c", "3", "d", "4")
	c := provider.NewCache(m, &provider.CacheOptions{TTL: time.Hour, NegativeTTL: time.Hour})
	for _, k := range [][2]string{{"a", ""}, {"b", ""}, {"a", "v1"}, {"c", ""}, {"a", "v2"}, {"d", ""}} {
		c.GetSecret(ctx, k[0], k[1]) // a@v1 and a@v2 are cached not-found answers
	}
	if c.Len() != 6 {
		t.Fatalf("Len = %d before Invalidate; want 6", c.Len())
	}
	c.Invalidate("a")
	if c.Len() != 3 {
		t.Fatalf("Len = %d after Invalidate(\"a\"); want 3", c.Len())
	}
	calls := m.calls.Load()
	for _, name := range []string{"b", "c", "d"} {
		mustGet(t, c, name)
	}
	if got := m.calls.Load() - calls; got != 0 {
		t.Errorf("reading b, c, d after Invalidate(\"a\") made %d backend calls; want 0", got)
	}
}
