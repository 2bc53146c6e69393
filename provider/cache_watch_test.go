package provider_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/secretkit/secretkit/provider"
)

// holdFirst holds the first read's answer, after it was read, until hold
// is closed; read receives once that answer is taken. Later reads pass.
type holdFirst struct {
	p    provider.SecretProvider
	read chan struct{}
	hold chan struct{}
	held atomic.Bool
}

func (h *holdFirst) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	s, err := h.p.GetSecret(ctx, name, version)
	if h.held.CompareAndSwap(false, true) {
		close(h.read)
		<-h.hold
	}
	return s, err
}

// A watch through a Cache keeps the cache in step with what it saw: the
// new version replaces the cached one, a deletion removes it.
func TestCacheWatchUpdatesTheCache(t *testing.T) {
	m := newMem("mem", "a", "1")
	c := provider.NewCache(m, nil)
	src, err := c.WatchSecret(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	mustGet(t, c, "a")
	m.set("a", "2")
	if _, changed, err := src.Check(t.Context()); err != nil || !changed {
		t.Fatalf("Check after the rotation = changed %v, %v", changed, err)
	}
	calls := m.calls.Load()
	if got := mustGet(t, c, "a"); got != "2" || m.calls.Load() != calls {
		t.Fatalf("after the watch saw the rotation: got %q with %d backend calls; want cached \"2\" with none",
			got, m.calls.Load()-calls)
	}
	m.fail("a", provider.ErrNotFound)
	if _, _, err := src.Check(t.Context()); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("Check after the deletion err = %v; want ErrNotFound", err)
	}
	if _, err := c.GetSecret(t.Context(), "a", ""); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("read after the watch saw the deletion err = %v; want ErrNotFound", err)
	}
}

// A read that took its answer before the watch saw a rotation still
// answers its caller, but must not put that older answer back into the
// cache over what the watch stored.
func TestCacheWatchOutranksAnOlderReadInFlight(t *testing.T) {
	m := newMem("mem", "a", "1")
	h := &holdFirst{p: m, read: make(chan struct{}), hold: make(chan struct{})}
	c := provider.NewCache(h, nil)
	src, err := c.WatchSecret(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	old := make(chan string, 1)
	go func() {
		s, err := c.GetSecret(context.Background(), "a", "")
		if err != nil {
			t.Error(err)
		}
		old <- s.Value.Reveal()
	}()
	<-h.read // the read has "1" in hand
	m.set("a", "2")
	if _, changed, err := src.Check(t.Context()); err != nil || !changed {
		t.Fatalf("Check after the rotation = changed %v, %v", changed, err)
	}
	close(h.hold)
	if got := <-old; got != "1" {
		t.Fatalf("the read in flight answered %q; want the \"1\" it read", got)
	}
	if got := mustGet(t, c, "a"); got != "2" {
		t.Fatalf("after the older read finished the cache answers %q; want the watch's \"2\"", got)
	}
}
