package providertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/secretkit/secretkit/provider"
)

// WatchTuner is implemented by a [Harness] that chooses the options the
// watch cases pass to provider.Watch. A harness that does not implement it
// gets [DefaultWatchOptions]. A backend with a native change signal can
// return a long Interval to prove that the signal, not polling, delivers
// changes.
type WatchTuner interface {
	WatchOptions() provider.WatchOptions
}

// WatchPatience is implemented by a [Harness] that bounds how long the
// watch cases wait for an update that must come; without it they wait
// [DefaultDeliveryTimeout]. A harness whose backend is polled quickly can
// answer less, so that a provider that never delivers fails sooner.
type WatchPatience interface {
	DeliveryTimeout() time.Duration
}

// DefaultDeliveryTimeout is hundreds of poll intervals, and far beyond any
// notification delay.
const DefaultDeliveryTimeout = 10 * time.Second

// DefaultWatchOptions poll every 25 ms, so the watch cases finish quickly
// against any backend.
var DefaultWatchOptions = provider.WatchOptions{Interval: 25 * time.Millisecond}

// The watch cases rotate a secret with Harness.SetSecret and end it with
// Harness.DeleteSecret; they need nothing else from a harness.
var watchCases = []testCase{
	{"WatchChangeDeliveredOnce", testWatchChange},
	{"WatchNoChangeNothingDelivered", testWatchNoChange},
	{"WatchErrorDeliveredOnce", testWatchErrorOnce},
	{"WatchStopsOnCancelAndClose", testWatchStops},
	{"WatchInvalidName", testWatchInvalidName},
}

func init() { cases = append(cases, watchCases...) }

func (s *suite) watchOptions() provider.WatchOptions {
	if wt, ok := s.h.(WatchTuner); ok {
		return wt.WatchOptions()
	}
	return DefaultWatchOptions
}

// quietPeriod is how long a case waits to see that nothing is delivered:
// ten checks, or at least long enough for a file-system notification.
func (s *suite) quietPeriod() time.Duration {
	return min(max(10*s.watchOptions().Interval, 300*time.Millisecond), time.Second)
}

func (s *suite) watch(ctx context.Context, t *testing.T, p provider.SecretProvider, name string) *provider.WatchedSecret {
	t.Helper()
	opts := s.watchOptions()
	w, err := provider.Watch(ctx, p, name, &opts)
	if err != nil {
		t.Fatalf("Watch(%q): %v", name, err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func (s *suite) deliveryTimeout() time.Duration {
	if wp, ok := s.h.(WatchPatience); ok {
		return wp.DeliveryTimeout()
	}
	return DefaultDeliveryTimeout
}

// nextUpdate waits for w's next update.
func (s *suite) nextUpdate(ctx context.Context, t *testing.T, w *provider.WatchedSecret) (provider.Secret, error) {
	t.Helper()
	deliveryTimeout := s.deliveryTimeout()
	dctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	sec, err := w.Next(dctx)
	if dctx.Err() != nil {
		t.Fatalf("no update within %v: %v", deliveryTimeout, err)
	}
	return sec, err
}

func (s *suite) nextSecret(ctx context.Context, t *testing.T, w *provider.WatchedSecret, want string) provider.Secret {
	t.Helper()
	sec, err := s.nextUpdate(ctx, t, w)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	wantValue(t, sec, want)
	return sec
}

func (s *suite) nothingDelivered(ctx context.Context, t *testing.T, w *provider.WatchedSecret, after string) {
	t.Helper()
	qctx, cancel := context.WithTimeout(ctx, s.quietPeriod())
	defer cancel()
	if sec, err := w.Next(qctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("%s, Next delivered (value %s, err %v); want nothing", after, describe(sec.Value.Reveal()), err)
	}
}

func testWatchChange(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "watchchange", "value-one")
	p := s.provider(ctx, t)
	w := s.watch(ctx, t, p, name)
	first := s.nextSecret(ctx, t, w, "value-one")
	// Same length on purpose, as in UpdateSeenBySameProvider.
	if err := s.h.SetSecret(ctx, t, name, "value-two"); err != nil {
		t.Fatalf("rotating: %v", err)
	}
	second := s.nextSecret(ctx, t, w, "value-two")
	if s.rules.Versioned && (second.Version == "" || second.Version == first.Version) {
		t.Errorf("rotation delivered version %q after %q; want a new version", second.Version, first.Version)
	}
	s.nothingDelivered(ctx, t, w, "after one rotation")
	latest, err := w.Latest(ctx)
	if err != nil {
		t.Fatalf("Latest: %v", err)
	}
	wantValue(t, latest, "value-two")
}

func testWatchNoChange(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "watchsteady", "steady")
	p := s.provider(ctx, t)
	w := s.watch(ctx, t, p, name)
	s.nextSecret(ctx, t, w, "steady")
	s.nothingDelivered(ctx, t, w, "with no change")
	// A change to another secret (in a file backend, the same file) is not
	// a change of this one.
	s.seed(ctx, t, "watchneighbour", "neighbour")
	s.nothingDelivered(ctx, t, w, "after another secret changed")
}

func testWatchErrorOnce(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "watcherror", "last-good")
	p := s.provider(ctx, t)
	w := s.watch(ctx, t, p, name)
	s.nextSecret(ctx, t, w, "last-good")
	if err := s.h.DeleteSecret(ctx, t, name); err != nil {
		t.Fatalf("DeleteSecret: %v", err)
	}
	_, err := s.nextUpdate(ctx, t, w)
	wantKind(t, err, provider.ErrNotFound, name)
	s.nothingDelivered(ctx, t, w, "while the secret stays deleted")
	latest, err := w.Latest(ctx)
	if err != nil {
		t.Fatalf("Latest while failing: %v; want the last good value", err)
	}
	wantValue(t, latest, "last-good")
}

func testWatchStops(ctx context.Context, t *testing.T, s *suite) {
	name := s.seed(ctx, t, "watchstop", "v1")
	p := s.provider(ctx, t)
	wctx, cancel := context.WithCancel(ctx)
	w := s.watch(wctx, t, p, name)
	s.nextSecret(ctx, t, w, "v1")
	cancel()
	start := time.Now()
	if _, err := w.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after the watch's context was cancelled: err = %v; want context.Canceled", err)
	}
	if d := time.Since(start); d > promptly {
		t.Errorf("the watch took %v to stop after cancellation", d)
	}

	w2 := s.watch(ctx, t, p, name)
	s.nextSecret(ctx, t, w2, "v1")
	if err := w2.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.h.SetSecret(ctx, t, name, "v2"); err != nil {
		t.Fatalf("rotating: %v", err)
	}
	if _, err := w2.Next(ctx); !errors.Is(err, provider.ErrWatchClosed) {
		t.Fatalf("Next after Close: err = %v; want provider.ErrWatchClosed", err)
	}
}

func testWatchInvalidName(ctx context.Context, t *testing.T, s *suite) {
	if len(s.rules.InvalidNames) == 0 {
		t.Skip("harness declares no invalid names")
	}
	p := s.provider(ctx, t)
	opts := s.watchOptions()
	for _, name := range s.rules.InvalidNames {
		// A Watcher refuses the name at once; the polling fallback
		// delivers GetSecret's refusal as the first update.
		w, err := provider.Watch(ctx, p, name, &opts)
		if err == nil {
			_, err = s.nextUpdate(ctx, t, w)
			w.Close()
		}
		wantKind(t, err, provider.ErrInvalidArgument, name)
	}
}
