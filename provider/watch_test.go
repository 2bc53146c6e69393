package provider_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/secretkit/secretkit/provider"
)

// quiet asserts that w delivers nothing for d (virtual time in a bubble).
func quiet(t *testing.T, w *provider.WatchedSecret, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if s, err := w.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next delivered (value %d bytes, err %v) when nothing changed", s.Value.Len(), err)
	}
}

func next(t *testing.T, w *provider.WatchedSecret) (provider.Secret, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	s, err := w.Next(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("Next delivered nothing within an hour")
	}
	return s, err
}

func nextValue(t *testing.T, w *provider.WatchedSecret) string {
	t.Helper()
	s, err := next(t, w)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return s.Value.Reveal()
}

var noJitter = &provider.WatchOptions{Interval: time.Minute, Jitter: -1}

func TestWatchDeliversInitialValueThenOnlyChanges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		w, err := provider.Watch(t.Context(), m, "a", noJitter)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		if got := nextValue(t, w); got != "1" {
			t.Fatalf("initial value %q; want \"1\"", got)
		}
		quiet(t, w, 10*time.Minute+time.Second)
		if n := m.calls.Load(); n != 11 {
			t.Errorf("backend reads after 10 one-minute polls = %d; want 11", n)
		}
		m.set("a", "2")
		start := time.Now()
		if got := nextValue(t, w); got != "2" {
			t.Fatalf("after rotation got %q; want \"2\"", got)
		}
		if d := time.Since(start); d > time.Minute {
			t.Errorf("rotation delivered after %v; want within one interval", d)
		}
		quiet(t, w, 5*time.Minute)
		if s, err := w.Latest(t.Context()); err != nil || s.Value.Reveal() != "2" {
			t.Errorf("Latest = %v, %v; want \"2\"", s.Value.Len(), err)
		}
	})
}

func TestWatchDeliversAnErrorOncePerEpisodeAndKeepsTheLastGoodValue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		w, err := provider.Watch(t.Context(), m, "a", noJitter)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		nextValue(t, w)

		m.fail("a", provider.ErrUnavailable)
		if _, err := next(t, w); !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("Next err = %v; want ErrUnavailable", err)
		}
		before := m.calls.Load()
		quiet(t, w, 10*time.Minute)
		if m.calls.Load()-before < 9 {
			t.Fatalf("the watch stopped polling while failing (%d reads in 10 minutes)", m.calls.Load()-before)
		}
		if s, err := w.Latest(t.Context()); err != nil || s.Value.Reveal() != "1" {
			t.Fatalf("Latest during the outage = %d bytes, %v; want the last good \"1\"", s.Value.Len(), err)
		}

		// Recovery with the same value ends the episode silently.
		m.heal("a")
		quiet(t, w, 3*time.Minute)

		// A new failure is a new episode, delivered again, with its own kind.
		m.fail("a", provider.ErrPermissionDenied)
		if _, err := next(t, w); !errors.Is(err, provider.ErrPermissionDenied) {
			t.Fatalf("second episode err = %v; want ErrPermissionDenied", err)
		}
		quiet(t, w, 3*time.Minute)
		m.set("a", "2")
		m.heal("a")
		if got := nextValue(t, w); got != "2" {
			t.Fatalf("after recovery with a new value got %q", got)
		}
	})
}

func TestWatchStopsOnCloseAndOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		w, err := provider.Watch(t.Context(), m, "a", nil)
		if err != nil {
			t.Fatal(err)
		}
		nextValue(t, w)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		w.Close() // idempotent
		if _, err := w.Next(t.Context()); !errors.Is(err, provider.ErrWatchClosed) {
			t.Errorf("Next after Close err = %v; want ErrWatchClosed", err)
		}
		calls := m.calls.Load()
		time.Sleep(time.Hour)
		if m.calls.Load() != calls {
			t.Errorf("the backend was read after Close")
		}

		ctx, cancel := context.WithCancel(t.Context())
		w2, _ := provider.Watch(ctx, m, "a", nil)
		nextValue(t, w2)
		cancel()
		if _, err := w2.Next(t.Context()); !errors.Is(err, context.Canceled) {
			t.Errorf("Next after cancel err = %v; want context.Canceled", err)
		}
		if _, err := w2.Latest(t.Context()); err != nil {
			t.Errorf("Latest after cancel err = %v; want the last good value", err)
		}
		// synctest.Test fails if any goroutine of the bubble is still
		// running when this function returns: neither watch leaked one.
	})
}

func TestWatchPollsWithJitter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		var mu sync.Mutex
		var at []time.Time
		p := hooked{m, func() { mu.Lock(); at = append(at, time.Now()); mu.Unlock() }}
		w, _ := provider.Watch(t.Context(), p, "a", &provider.WatchOptions{Interval: time.Minute, Jitter: 0.2})
		defer w.Close()
		nextValue(t, w)
		quiet(t, w, 30*time.Minute)
		mu.Lock()
		defer mu.Unlock()
		distinct := map[time.Duration]bool{}
		for i := 1; i < len(at); i++ {
			d := at[i].Sub(at[i-1])
			if d < 48*time.Second || d > 72*time.Second {
				t.Errorf("wait %d was %v; want 1m ± 20%%", i, d)
			}
			distinct[d] = true
		}
		if len(distinct) < 3 {
			t.Errorf("%d polls used %d distinct waits; jitter is not applied", len(at), len(distinct))
		}
	})
}

func TestWatchReadsPendingUntilLatestWhenConsumerIsSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		w, _ := provider.Watch(t.Context(), m, "a", noJitter)
		defer w.Close()
		nextValue(t, w)
		for _, v := range []string{"2", "3", "4"} {
			m.set("a", v)
			time.Sleep(time.Minute + time.Second)
		}
		if got := nextValue(t, w); got != "4" {
			t.Errorf("slow consumer got %q; want only the newest \"4\"", got)
		}
		quiet(t, w, 5*time.Minute)
	})
}

// heal makes reads of name succeed again.
func (m *memBackend) heal(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.errs, name)
}

// hooked calls before on every read of p.
type hooked struct {
	p      provider.SecretProvider
	before func()
}

func (h hooked) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	h.before()
	return h.p.GetSecret(ctx, name, version)
}

func TestRefresherCallsBackOnChangeAndServesFromMemory(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "db-password", "one", "api-key", "k")
		type event struct {
			name, value string
			err         error
		}
		events := make(chan event, 10)
		r, err := provider.NewRefresher(t.Context(), m, []string{"db-password", "api-key"}, &provider.RefresherOptions{
			Watch:    *noJitter,
			OnChange: func(name string, s provider.Secret) { events <- event{name: name, value: s.Value.Reveal()} },
			OnError:  func(name string, err error) { events <- event{name: name, err: err} },
		})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		calls := m.calls.Load()
		if got := mustGet(t, r, "db-password"); got != "one" || m.calls.Load() != calls {
			t.Fatalf("GetSecret = %q after %d backend reads; want \"one\" from memory", got, m.calls.Load()-calls)
		}
		m.set("db-password", "two")
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if len(events) != 1 {
			t.Fatalf("%d callbacks after one rotation; want 1", len(events))
		}
		if e := <-events; e.name != "db-password" || e.value != "two" || e.err != nil {
			t.Fatalf("callback %+v; want db-password=two", e)
		}
		if got := mustGet(t, r, "db-password"); got != "two" {
			t.Errorf("GetSecret after rotation = %q", got)
		}
		m.fail("api-key", provider.ErrUnavailable)
		time.Sleep(5 * time.Minute)
		synctest.Wait()
		if len(events) != 1 {
			t.Fatalf("%d callbacks during one outage; want 1", len(events))
		}
		if e := <-events; e.name != "api-key" || !errors.Is(e.err, provider.ErrUnavailable) {
			t.Fatalf("callback %+v; want an api-key ErrUnavailable", e)
		}
		if got := mustGet(t, r, "api-key"); got != "k" {
			t.Errorf("GetSecret during the outage = %q; want the last good value", got)
		}
	})
}

func TestRefresherFailsWhenAnInitialReadFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := newMem("mem", "a", "1")
		_, err := provider.NewRefresher(t.Context(), m, []string{"a", "missing"}, nil)
		if !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("err = %v; want ErrNotFound for the missing name", err)
		}
		// The watch of "a" was stopped: the bubble would not exit otherwise.
	})
}

// Outside a synctest bubble, with real time: once Close returns, every
// goroutine a watch or a Refresher started has ended.
func TestWatchAndRefresherLeakNoGoroutine(t *testing.T) {
	m := newMem("mem", "a", "1", "b", "2")
	before := runtime.NumGoroutine()
	opts := &provider.WatchOptions{Interval: time.Millisecond}
	var ws []*provider.WatchedSecret
	for range 10 {
		w, err := provider.Watch(context.Background(), m, "a", opts)
		if err != nil {
			t.Fatal(err)
		}
		nextValue(t, w)
		ws = append(ws, w)
	}
	r, err := provider.NewRefresher(context.Background(), m, []string{"a", "b"}, &provider.RefresherOptions{Watch: *opts})
	if err != nil {
		t.Fatal(err)
	}
	if n := runtime.NumGoroutine() - before; n < 12 {
		t.Fatalf("10 watches and a refresher of 2 run %d goroutines; the count cannot show a leak", n)
	}
	for _, w := range ws {
		w.Close()
	}
	r.Close()
	// A watch's goroutine signals Close as its last act and then returns;
	// let those returns happen (bounded) before counting.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(deadline); {
		runtime.Gosched()
	}
	// Fewer than before is no leak: goroutines of earlier tests (or of
	// this one's earlier runs under -count) may end while it runs.
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
