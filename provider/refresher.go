package provider

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// RefresherOptions configures [NewRefresher]. The zero value (or nil) means
// default watch options and no callbacks.
type RefresherOptions struct {
	// Watch configures the watch of each secret.
	Watch WatchOptions
	// OnChange is called after a secret's value or version changed, with
	// the name as passed to NewRefresher and the new secret; not for the
	// initial values. Calls are serialised, so a callback may replace
	// shared state (such as a database pool) without locking of its own.
	OnChange func(name string, s Secret)
	// OnError is called once when reading a secret begins to fail; the
	// Refresher keeps serving the last good value meanwhile. Calls are
	// serialised with OnChange. The error never holds a secret value.
	OnError func(name string, err error)
}

// Refresher keeps a fixed set of secrets current for a long-running program:
// it watches each one (see [Watch]), serves the latest good values from
// memory, and calls back when one changes, so a rotated database password
// can reopen a connection pool without a restart.
//
// A Refresher is itself a [SecretProvider]: GetSecret answers a refreshed
// name's latest version from memory and passes every other read to the
// wrapped provider. It is safe for concurrent use.
type Refresher struct {
	p       SecretProvider
	cancel  context.CancelFunc
	watches map[string]*WatchedSecret
	wg      sync.WaitGroup
	cbMu    sync.Mutex
}

// NewRefresher reads every name in names from p and starts watching them.
// It returns an error, and watches nothing, if any initial read fails; the
// error joins the failures and matches their kinds with errors.Is.
// Callbacks run until ctx is done or Close is called.
func NewRefresher(ctx context.Context, p SecretProvider, names []string, opts *RefresherOptions) (*Refresher, error) {
	var o RefresherOptions
	if opts != nil {
		o = *opts
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &Refresher{p: p, cancel: cancel, watches: make(map[string]*WatchedSecret, len(names))}
	var errs []error
	for _, name := range names {
		if _, dup := r.watches[name]; dup {
			continue
		}
		w, err := Watch(rctx, p, name, &o.Watch)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.watches[name] = w
		if _, err := w.Next(ctx); err != nil {
			errs = append(errs, fmt.Errorf("initial read of %q: %w", name, err))
		}
	}
	if len(errs) > 0 {
		r.Close()
		return nil, errors.Join(errs...)
	}
	for name, w := range r.watches {
		r.wg.Go(func() { r.follow(rctx, name, w, o) })
	}
	return r, nil
}

// follow delivers one secret's updates to the callbacks until the watch stops.
func (r *Refresher) follow(ctx context.Context, name string, w *WatchedSecret, o RefresherOptions) {
	for {
		s, err := w.Next(ctx)
		if ctx.Err() != nil || errors.Is(err, ErrWatchClosed) {
			return
		}
		r.cbMu.Lock()
		switch {
		case err != nil && o.OnError != nil:
			o.OnError(name, err)
		case err == nil && o.OnChange != nil:
			o.OnChange(name, s)
		}
		r.cbMu.Unlock()
	}
}

// GetSecret implements [SecretProvider]. For a refreshed name and an empty
// version it returns the last good value without contacting the backend;
// every other read goes to the wrapped provider.
func (r *Refresher) GetSecret(ctx context.Context, name, version string) (Secret, error) {
	if err := ctx.Err(); err != nil {
		return Secret{}, err
	}
	if w, ok := r.watches[name]; ok && version == "" {
		if s, ok := w.current(); ok {
			return s, nil
		}
	}
	return r.p.GetSecret(ctx, name, version)
}

// Close stops every watch and waits for running callbacks to return. It
// does not close the wrapped provider.
func (r *Refresher) Close() error {
	r.cancel()
	for _, w := range r.watches {
		w.Close()
	}
	r.wg.Wait()
	return nil
}
