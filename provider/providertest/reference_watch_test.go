package providertest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/providertest"
)

// unstableVersion reports a new version on every read, as a backend that
// mints version ids per request would: every poll looks like a rotation.
type unstableVersion struct{ provider.SecretProvider }

func (u unstableVersion) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	s, err := u.SecretProvider.GetSecret(ctx, name, version)
	if err == nil {
		var b [16]byte
		_, _ = rand.Read(b[:])
		s.Version = hex.EncodeToString(b[:])
	}
	return s, err
}

// blindWatcher is a Watcher whose source claims nothing changed after its
// first check.
type blindWatcher struct{ provider.SecretProvider }

func (b blindWatcher) WatchSecret(ctx context.Context, name string) (provider.WatchSource, error) {
	src, _ := provider.WatchSourceOf(ctx, b.SecretProvider, name)
	return &blindSource{WatchSource: src}, nil
}

type blindSource struct {
	provider.WatchSource
	checked bool
}

func (s *blindSource) Check(ctx context.Context) (provider.Secret, bool, error) {
	if s.checked {
		return provider.Secret{}, false, nil
	}
	s.checked = true
	return s.WatchSource.Check(ctx)
}

type watchMutantHarness struct {
	providertest.Harness
	mutation string
}

// DeliveryTimeout: see memHarness.DeliveryTimeout.
func (h watchMutantHarness) DeliveryTimeout() time.Duration { return time.Second }

func (h watchMutantHarness) MakeProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	p, err := h.Harness.MakeProvider(ctx, t)
	switch h.mutation {
	case "watch-unstable-version":
		return unstableVersion{p}, err
	case "watch-blind":
		return blindWatcher{p}, err
	}
	return p, err
}

// TestWatchMutant is the subprocess half of TestWatchCasesCatchBrokenProviders.
func TestWatchMutant(t *testing.T) {
	mutation := os.Getenv("PROVIDERTEST_WATCH_MUTATION")
	if mutation == "" {
		t.Skip("runs only as a subprocess of TestWatchCasesCatchBrokenProviders")
	}
	providertest.Run(t, func(ctx context.Context, t *testing.T) (providertest.Harness, error) {
		h, err := newMemHarness("")(ctx, t)
		return watchMutantHarness{Harness: h, mutation: mutation}, err
	})
}

func TestWatchCasesCatchBrokenProviders(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns test subprocesses")
	}
	t.Parallel()
	for mutation, wantFailing := range map[string]string{
		"watch-unstable-version": "WatchNoChangeNothingDelivered",
		"watch-blind":            "WatchChangeDeliveredOnce",
	} {
		t.Run(mutation, func(t *testing.T) {
			t.Parallel() // each mutant is a subprocess of its own
			wantMutantCaught(t, "TestWatchMutant", "^TestWatchMutant$/^Watch", "PROVIDERTEST_WATCH_MUTATION", mutation, wantFailing)
		})
	}
}
