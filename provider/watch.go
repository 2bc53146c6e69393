package provider

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// Defaults applied by [Watch] to zero [WatchOptions] fields.
const (
	// DefaultWatchInterval is how often a secret is checked. Key Vault
	// allows 4,000 requests per vault per 10 s across all clients; one
	// check a minute per watched secret is far below that and still picks
	// up a rotation well within the overlap rotation schemes leave.
	DefaultWatchInterval = time.Minute
	// DefaultWatchJitter spreads checks by up to ±10% of the interval, so
	// replicas started together do not poll the backend in step.
	DefaultWatchJitter = 0.1
)

// ErrWatchClosed is returned by [WatchedSecret.Next] and
// [WatchedSecret.Latest] after [WatchedSecret.Close].
var ErrWatchClosed = errors.New("provider: watch closed")

// WatchOptions configures [Watch]. The zero value (or nil) means defaults.
type WatchOptions struct {
	// Interval is the time between checks of the secret. For a backend
	// with a native change signal (a [Watcher] whose source has Changes)
	// it is only the safety net for missed signals. Zero means
	// DefaultWatchInterval.
	Interval time.Duration
	// Jitter is the fraction of Interval by which each wait is randomly
	// lengthened or shortened. Zero means DefaultWatchJitter; a negative
	// value means none.
	Jitter float64
}

func (o *WatchOptions) withDefaults() WatchOptions {
	var w WatchOptions
	if o != nil {
		w = *o
	}
	if w.Interval <= 0 {
		w.Interval = DefaultWatchInterval
	}
	if w.Jitter == 0 {
		w.Jitter = DefaultWatchJitter
	}
	if w.Jitter < 0 {
		w.Jitter = 0
	}
	if w.Jitter > 1 {
		w.Jitter = 1
	}
	return w
}

// wait returns the interval with jitter applied.
func (o WatchOptions) wait() time.Duration {
	if o.Jitter == 0 {
		return o.Interval
	}
	f := 1 + o.Jitter*(2*rand.Float64()-1)
	return time.Duration(float64(o.Interval) * f)
}

// Watcher is the optional ability to notice a secret's changes sooner, or
// more cheaply, than by reading its value on every check. [Watch] uses it
// when a provider has it and otherwise reads the secret with GetSecret on
// every check.
type Watcher interface {
	// WatchSecret prepares a watch of the secret called name and returns
	// its source, which the caller closes. ctx bounds only the preparation,
	// not the watch. An invalid name is reported here with
	// ErrInvalidArgument; a secret that does not exist is not an error
	// here (it is the first Check's answer).
	WatchSecret(ctx context.Context, name string) (WatchSource, error)
}

// WatchSource is a backend's watch of one secret. [Watch] drives it from a
// single goroutine: Check once at once, then again whenever Changes fires
// or the poll interval passes.
type WatchSource interface {
	// Changes returns a channel that receives when the secret may have
	// changed, or nil when the backend has no such signal. Spurious
	// signals are harmless; missed ones are caught by the next poll.
	Changes() <-chan struct{}
	// Check reports the secret's current state. It returns changed false,
	// with a zero Secret and no error, only when it knows cheaply that
	// the latest version is the one its previous successful Check
	// returned; otherwise it reads the latest version as GetSecret does
	// and returns changed true with the secret, or the read's error. The
	// first Check always reads. It must return promptly once ctx is done.
	Check(ctx context.Context) (s Secret, changed bool, err error)
	// Close releases the source's resources (goroutines, file watches).
	Close() error
}

// WatchSourceOf returns p's own source when p is a [Watcher], and otherwise
// a source that reads the secret with GetSecret on every Check. Decorators
// that implement Watcher use it to watch the provider they wrap.
func WatchSourceOf(ctx context.Context, p SecretProvider, name string) (WatchSource, error) {
	if w, ok := p.(Watcher); ok {
		return w.WatchSecret(ctx, name)
	}
	return pollSource{p: p, name: name}, nil
}

type pollSource struct {
	p    SecretProvider
	name string
}

func (pollSource) Changes() <-chan struct{} { return nil }
func (pollSource) Close() error             { return nil }
func (s pollSource) Check(ctx context.Context) (Secret, bool, error) {
	sec, err := s.p.GetSecret(ctx, s.name, "")
	return sec, err == nil, err
}

// WatchedSecret is a running watch of one secret, made by [Watch]. Its
// methods are safe for concurrent use.
type WatchedSecret struct {
	name   string
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when the watching goroutine has returned

	mu      sync.Mutex
	signal  chan struct{} // closed and replaced whenever pending, latest or stopped change
	pending *update       // the newest update Next has not returned yet
	latest  Secret
	good    bool  // latest holds a value
	stopped error // why the watch ended; nil while it runs
}

type update struct {
	secret Secret
	err    error
}

// Watch starts watching the latest version of the secret called name in p
// and returns at once; the first [WatchedSecret.Next] returns the secret's
// value (or the error reading it), and each later Next returns when the
// value or the version has changed, or a failure began.
//
// The watch checks the secret every opts.Interval (with jitter), and sooner
// when p is a [Watcher] whose source signals a change. An unchanged secret
// delivers nothing. A failure is delivered once when it begins, not on
// every check that fails; it ends with the next successful check, which is
// delivered only if the value or version differs from the last one
// delivered. Meanwhile [WatchedSecret.Latest] keeps returning the last good
// value. A consumer slower than the changes sees only the newest update.
//
// The watch stops when ctx is done or Close is called; its goroutine and
// the backend's source are released by then. Watch fails only when p is a
// Watcher that refuses the name.
func Watch(ctx context.Context, p SecretProvider, name string, opts *WatchOptions) (*WatchedSecret, error) {
	o := opts.withDefaults()
	src, err := WatchSourceOf(ctx, p, name)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancelCause(ctx)
	w := &WatchedSecret{name: name, cancel: cancel, done: make(chan struct{}), signal: make(chan struct{})}
	go w.run(wctx, src, o)
	return w, nil
}

func (w *WatchedSecret) run(ctx context.Context, src WatchSource, o WatchOptions) {
	defer close(w.done)
	defer src.Close()
	failing := false
	for first := true; ; first = false {
		if !first {
			t := time.NewTimer(o.wait())
			select {
			case <-ctx.Done():
				t.Stop()
				w.stop(context.Cause(ctx))
				return
			case <-src.Changes():
			case <-t.C:
			}
			t.Stop()
		}
		s, changed, err := src.Check(ctx)
		if ctx.Err() != nil {
			w.stop(context.Cause(ctx))
			return
		}
		switch {
		case err != nil:
			if !failing {
				failing = true
				w.publish(update{err: err})
			}
		case !changed:
			failing = false
		default:
			failing = false
			w.mu.Lock()
			same := w.good && s.Version == w.latest.Version && s.Value.Equal(w.latest.Value)
			if !same {
				w.latest, w.good = cloneSecret(s), true
			}
			w.mu.Unlock()
			if !same {
				w.publish(update{secret: s})
			}
		}
	}
}

func (w *WatchedSecret) publish(u update) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = &u
	w.notifyLocked()
}

func (w *WatchedSecret) stop(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = err
	w.notifyLocked()
}

func (w *WatchedSecret) notifyLocked() {
	close(w.signal)
	w.signal = make(chan struct{})
}

// Next blocks until there is an update the caller has not seen and returns
// it: the secret's new latest version, or the error that began a failure.
// It returns ctx's error when ctx is done first, [ErrWatchClosed] after
// Close, and the cause of the watch's context once that is done.
func (w *WatchedSecret) Next(ctx context.Context) (Secret, error) {
	for {
		w.mu.Lock()
		if u := w.pending; u != nil {
			w.pending = nil
			w.mu.Unlock()
			return cloneSecret(u.secret), u.err
		}
		stopped, signal := w.stopped, w.signal
		w.mu.Unlock()
		if stopped != nil {
			return Secret{}, stopped
		}
		select {
		case <-signal:
		case <-ctx.Done():
			return Secret{}, ctx.Err()
		}
	}
}

// Latest returns the last good value without waiting when there is one,
// even while the backend is failing; before the first good value it waits
// for one, for ctx to be done, or for the watch to stop.
func (w *WatchedSecret) Latest(ctx context.Context) (Secret, error) {
	for {
		w.mu.Lock()
		latest, good, stopped, signal := w.latest, w.good, w.stopped, w.signal
		w.mu.Unlock()
		if good {
			return cloneSecret(latest), nil
		}
		if stopped != nil {
			return Secret{}, stopped
		}
		select {
		case <-signal:
		case <-ctx.Done():
			return Secret{}, ctx.Err()
		}
	}
}

// current returns the last good value, if any, without waiting.
func (w *WatchedSecret) current() (Secret, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return cloneSecret(w.latest), w.good
}

// Close stops the watch and waits until its goroutine and the backend's
// source are released. It is safe to call more than once.
func (w *WatchedSecret) Close() error {
	w.cancel(ErrWatchClosed)
	<-w.done
	return nil
}
