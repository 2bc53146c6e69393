package provider_test

import (
	"testing"

	"github.com/secretkit/secretkit/provider"
)

// An event's cache result is the answer of the Cache just below the
// Observed: a Cache further down, reached through the first one's read,
// must not overwrite it (it did, from the read's own goroutine, even after
// the caller had given up).
func TestObserveReportsTheNearestCache(t *testing.T) {
	m := newMem("mem", "a", "1")
	inner := provider.NewCache(m, nil)
	mustGet(t, inner, "a") // the inner cache holds "a"
	log := &eventLog{}
	p := provider.Observe(provider.NewCache(inner, nil), "mem", log)

	mustGet(t, p, "a")
	mustGet(t, p, "a")
	got := log.take()
	if len(got) != 2 {
		t.Fatalf("%d events; want 2", len(got))
	}
	if got[0].Cache != provider.CacheMiss || got[1].Cache != provider.CacheHit {
		t.Errorf("cache results %q, %q; want the outer cache's %q, %q",
			got[0].Cache, got[1].Cache, provider.CacheMiss, provider.CacheHit)
	}
}
