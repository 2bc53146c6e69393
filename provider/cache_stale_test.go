package provider_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/secretkit/secretkit/provider"
)

func getErr(p provider.SecretProvider, name string) (string, error) {
	s, err := p.GetSecret(context.Background(), name, "")
	return s.Value.Reveal(), err
}

func TestCacheServesStaleDuringAnOutageWithinTheBoundOnly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		c := provider.NewCache(m, &provider.CacheOptions{TTL: time.Minute, MaxStale: 5 * time.Minute})
		mustGet(t, c, "a")
		m.fail("a", provider.ErrUnavailable)
		time.Sleep(time.Minute)
		before := m.calls.Load()
		if got, err := getErr(c, "a"); err != nil || got != "1" {
			t.Fatalf("just expired, backend down: got %q, %v; want the stale \"1\"", got, err)
		}
		if m.calls.Load() != before+1 {
			t.Fatalf("a stale answer was given without asking the backend")
		}
		time.Sleep(5*time.Minute - time.Second)
		if got, err := getErr(c, "a"); err != nil || got != "1" {
			t.Fatalf("1 s before the bound: got %q, %v; want the stale \"1\"", got, err)
		}
		time.Sleep(time.Second)
		if _, err := getErr(c, "a"); !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("at the bound: err = %v; want ErrUnavailable, nothing stale", err)
		}
		// Recovery refreshes the entry as usual.
		m.heal("a")
		m.set("a", "2")
		if got := mustGet(t, c, "a"); got != "2" {
			t.Fatalf("after recovery got %q", got)
		}
	})
}

func TestCacheNeverServesStaleForAnswersAboutTheSecret(t *testing.T) {
	for _, kind := range []error{provider.ErrNotFound, provider.ErrPermissionDenied, provider.ErrInvalidArgument} {
		t.Run(string(provider.OutcomeOf(kind)), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := newMem("mem", "a", "1")
				c := provider.NewCache(m, &provider.CacheOptions{TTL: time.Minute, MaxStale: time.Hour})
				mustGet(t, c, "a")
				time.Sleep(time.Minute)
				m.fail("a", kind)
				if _, err := getErr(c, "a"); !errors.Is(err, kind) {
					t.Fatalf("err = %v; want %v, not a stale value", err, kind)
				}
				// The answer also dropped the old secret: a later outage
				// must not resurrect it.
				m.fail("a", provider.ErrUnavailable)
				if _, err := getErr(c, "a"); !errors.Is(err, provider.ErrUnavailable) {
					t.Fatalf("outage after a %v: err = %v; want ErrUnavailable", kind, err)
				}
			})
		})
	}
}

func TestCacheDoesNotServeStaleToACallerWhoseContextEnded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		c := provider.NewCache(m, &provider.CacheOptions{TTL: time.Minute, MaxStale: time.Hour})
		mustGet(t, c, "a")
		time.Sleep(time.Minute)
		m.gate = make(chan struct{}) // the backend hangs
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := c.GetSecret(ctx, "a", ""); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v; want the caller's DeadlineExceeded", err)
		}
	})
}

// expiring stamps every secret it reads with an Expires time.
type expiring struct {
	p       provider.SecretProvider
	expires time.Time
}

func (e expiring) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	s, err := e.p.GetSecret(ctx, name, version)
	if err == nil {
		s.Expires = e.expires
	}
	return s, err
}

func TestCacheHonoursTheSecretsOwnExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		c := provider.NewCache(expiring{m, time.Now().Add(90 * time.Second)},
			&provider.CacheOptions{TTL: time.Hour, MaxStale: time.Hour})
		mustGet(t, c, "a")
		time.Sleep(89 * time.Second)
		mustGet(t, c, "a")
		if n := m.calls.Load(); n != 1 {
			t.Fatalf("backend calls before expiry = %d; want 1", n)
		}
		time.Sleep(time.Second)
		m.fail("a", provider.ErrUnavailable)
		if _, err := getErr(c, "a"); !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("past the secret's Expires: err = %v; want ErrUnavailable, neither a fresh nor a stale hit", err)
		}
		if n := m.calls.Load(); n != 2 {
			t.Fatalf("backend calls = %d; want 2", n)
		}
	})
}

func TestCacheDoesNotStoreAnAlreadyExpiredSecret(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		c := provider.NewCache(expiring{m, time.Now().Add(-time.Second)}, nil)
		mustGet(t, c, "a")
		mustGet(t, c, "a")
		if n := m.calls.Load(); n != 2 || c.Len() != 0 {
			t.Fatalf("backend calls = %d, Len = %d; want 2 and 0", n, c.Len())
		}
	})
}

func TestCacheJitterSpreadsExpiriesBelowTheTTL(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		names := make([]string, 50)
		m := newMem("mem")
		for i := range names {
			names[i] = string(rune('A'+i%26)) + string(rune('a'+i/26))
			m.set(names[i], "v")
		}
		c := provider.NewCache(m, &provider.CacheOptions{TTL: time.Minute, Jitter: 0.5})
		for _, n := range names {
			mustGet(t, c, n)
		}
		refetchedAt := map[time.Duration]int{}
		start := time.Now()
		for elapsed := time.Duration(0); elapsed <= time.Minute; elapsed += time.Second {
			before := m.calls.Load()
			for _, n := range names {
				mustGet(t, c, n)
			}
			if d := int(m.calls.Load() - before); d > 0 {
				refetchedAt[time.Since(start)] += d
			}
			time.Sleep(time.Second)
		}
		total := 0
		for at, n := range refetchedAt {
			if at < 30*time.Second {
				t.Errorf("%d entries expired after %v; jitter 0.5 of 1m keeps at least 30 s", n, at)
			}
			total += n
		}
		if total < len(names) {
			t.Errorf("%d of %d entries refetched within the TTL; jitter must only shorten it", total, len(names))
		}
		if len(refetchedAt) < 5 {
			t.Errorf("entries expired at only %d distinct times; want them spread", len(refetchedAt))
		}
	})
}
