package provider

import (
	"context"
	"errors"
	"io"
	"iter"
	"log/slog"
	"time"
)

// Outcome classifies how an operation ended: "ok", one of the package's
// error kinds, the caller's context ending, or "unknown" for an error of
// no kind. The values are short, stable and low-cardinality, fit for
// metric labels.
type Outcome string

// The outcomes, one per error kind.
const (
	OutcomeOK               Outcome = "ok"
	OutcomeNotFound         Outcome = "not_found"
	OutcomePermissionDenied Outcome = "permission_denied"
	OutcomeInvalidArgument  Outcome = "invalid_argument"
	OutcomeUnavailable      Outcome = "unavailable"
	OutcomeCanceled         Outcome = "canceled"
	OutcomeDeadlineExceeded Outcome = "deadline_exceeded"
	OutcomeUnknown          Outcome = "unknown"
)

// OutcomeOf returns the outcome err stands for; nil is OutcomeOK.
func OutcomeOf(err error) Outcome {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrNotFound):
		return OutcomeNotFound
	case errors.Is(err, ErrPermissionDenied):
		return OutcomePermissionDenied
	case errors.Is(err, ErrInvalidArgument):
		return OutcomeInvalidArgument
	case errors.Is(err, ErrUnavailable):
		return OutcomeUnavailable
	case errors.Is(err, context.Canceled):
		return OutcomeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeDeadlineExceeded
	default:
		return OutcomeUnknown
	}
}

// CacheResult says how a [Cache] below an observed provider answered a
// read; it is empty when no cache took part.
type CacheResult string

// The cache results.
const (
	CacheHit   CacheResult = "hit"   // answered from memory, fresh
	CacheMiss  CacheResult = "miss"  // the wrapped provider was asked
	CacheStale CacheResult = "stale" // the provider failed; an expired secret answered
)

// Event describes one operation seen by [Observe]. It never holds a secret
// value: Err obeys the provider contract, which keeps values out of errors.
type Event struct {
	Op       string        // "get", "getmany", "list", "listversions" or "watch"
	Provider string        // the name given to Observe
	Name     string        // the secret's name; empty for "list"
	Version  string        // the version asked for; empty for the latest
	Latency  time.Duration // from the call to its answer (to the end of a listing)
	Outcome  Outcome
	Cache    CacheResult
	Err      error // nil when Outcome is OutcomeOK
}

// Observer receives an [Event] after each operation of an observed
// provider. Observe is called synchronously on the caller's goroutine,
// with the caller's context (which carries its trace span, if any), and
// must be safe for concurrent use and quick.
//
// An OpenTelemetry adapter is a few lines, and keeps that dependency out
// of this package:
//
//	type otelObserver struct{ latency metric.Float64Histogram }
//
//	func (o otelObserver) Observe(ctx context.Context, e provider.Event) {
//		o.latency.Record(ctx, e.Latency.Seconds(), metric.WithAttributes(
//			attribute.String("secrets.op", e.Op),
//			attribute.String("secrets.provider", e.Provider),
//			attribute.String("secrets.outcome", string(e.Outcome)),
//			attribute.String("secrets.cache", string(e.Cache))))
//		if e.Err != nil {
//			trace.SpanFromContext(ctx).AddEvent("secret read failed", trace.WithAttributes(
//				attribute.String("secrets.name", e.Name), attribute.String("error", e.Err.Error())))
//		}
//	}
//
// Secret names are left out of the metric attributes above on purpose: a
// name per time series grows without bound.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(ctx context.Context, e Event)

// Observe calls f(ctx, e).
func (f ObserverFunc) Observe(ctx context.Context, e Event) { f(ctx, e) }

// SlogObserver returns an [Observer] that logs each event to l: successes
// and not-found answers at Debug, every other failure at Warn. The record
// holds the op, provider, name, version, outcome, latency, cache result
// and error text, never a value.
func SlogObserver(l *slog.Logger) Observer {
	return ObserverFunc(func(ctx context.Context, e Event) {
		level := slog.LevelDebug
		if e.Outcome != OutcomeOK && e.Outcome != OutcomeNotFound {
			level = slog.LevelWarn
		}
		if !l.Enabled(ctx, level) {
			return
		}
		attrs := []slog.Attr{
			slog.String("op", e.Op),
			slog.String("provider", e.Provider),
			slog.String("outcome", string(e.Outcome)),
			slog.Duration("latency", e.Latency),
		}
		if e.Name != "" {
			attrs = append(attrs, slog.String("name", e.Name))
		}
		if e.Version != "" {
			attrs = append(attrs, slog.String("version", e.Version))
		}
		if e.Cache != "" {
			attrs = append(attrs, slog.String("cache", string(e.Cache)))
		}
		if e.Err != nil {
			attrs = append(attrs, slog.String("error", e.Err.Error()))
		}
		l.LogAttrs(ctx, level, "secret "+e.Op, attrs...)
	})
}

// noteCtx carries a Cache's answer up to the Observed above it, through the
// context of the call; one allocation serves as both context and note.
type noteCtx struct {
	context.Context
	result CacheResult
}

type cacheNoteKey struct{}

func (c *noteCtx) Value(key any) any {
	if key == (cacheNoteKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// withoutNote hides the note ctx carries, if any, from what runs below: a
// Cache's backend read answers for that Cache alone, and a Cache below it
// must not overwrite the note, from the read's goroutine and possibly
// after the caller has gone.
func withoutNote(ctx context.Context) context.Context {
	if ctx.Value(cacheNoteKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, cacheNoteKey{}, nil)
}

// noteCache records how a cache answered, when an Observed is listening.
func noteCache(ctx context.Context, r CacheResult) {
	if n, ok := ctx.Value(cacheNoteKey{}).(*noteCtx); ok {
		n.result = r
	}
}

// Observed is a decorator, made by [Observe], that reports every operation
// of the provider it wraps to an [Observer]. It has the wrapped provider's
// listing, bulk-read and Close abilities (not its writes), and also the
// [Watcher] ability, reporting each check of a watch.
type Observed struct {
	inner SecretProvider
	name  string
	obs   Observer
	now   func() time.Time
}

// Observe returns p reporting to obs, naming it name in events (for
// example its URI scheme, "env", "file", "azurekv"). Put it outside a
// [Cache] to see hits, misses and stale answers, inside it to see only
// the backend's traffic.
func Observe(p SecretProvider, name string, obs Observer) *Observed {
	return &Observed{inner: p, name: name, obs: obs, now: time.Now}
}

func (o *Observed) report(ctx context.Context, e Event, start time.Time, err error) {
	e.Provider = o.name
	e.Latency = o.now().Sub(start)
	e.Outcome = OutcomeOf(err)
	e.Err = err
	o.obs.Observe(ctx, e)
}

// GetSecret implements [SecretProvider] and reports one "get" event.
func (o *Observed) GetSecret(ctx context.Context, name, version string) (Secret, error) {
	start := o.now()
	note := &noteCtx{Context: ctx}
	s, err := o.inner.GetSecret(note, name, version)
	o.report(ctx, Event{Op: "get", Name: name, Version: version, Cache: note.result}, start, err)
	return s, err
}

// Capabilities implements [CapabilityReporter]: those of the wrapped
// provider that Observed forwards (see [forwarded]).
func (o *Observed) Capabilities() Capabilities { return forwarded(o.inner) }

// ListSecrets forwards to the wrapped provider and reports one "list"
// event when the iteration ends.
func (o *Observed) ListSecrets(ctx context.Context) iter.Seq2[Metadata, error] {
	l, ok := o.inner.(Lister)
	if !ok || !CapabilitiesOf(o.inner).List {
		return yieldError(&Error{Provider: o.name, Op: "list", Err: errors.ErrUnsupported})
	}
	return o.observeList(ctx, Event{Op: "list"}, l.ListSecrets(ctx))
}

// ListSecretVersions forwards to the wrapped provider and reports one
// "listversions" event when the iteration ends.
func (o *Observed) ListSecretVersions(ctx context.Context, name string) iter.Seq2[Metadata, error] {
	l, ok := o.inner.(VersionLister)
	if !ok || !CapabilitiesOf(o.inner).ListVersions {
		return yieldError(&Error{Provider: o.name, Op: "listversions", Name: name, Err: errors.ErrUnsupported})
	}
	return o.observeList(ctx, Event{Op: "listversions", Name: name}, l.ListSecretVersions(ctx, name))
}

func (o *Observed) observeList(ctx context.Context, e Event, seq iter.Seq2[Metadata, error]) iter.Seq2[Metadata, error] {
	return func(yield func(Metadata, error) bool) {
		start := o.now()
		var failed error
		for m, err := range seq {
			if err != nil {
				failed = err
			}
			if !yield(m, err) {
				break
			}
		}
		o.report(ctx, e, start, failed)
	}
}

// GetSecrets implements [BulkGetter] through the wrapped provider's bulk
// read (see [GetMany]) and reports one "getmany" event per name, each with
// the latency of the whole call, or one event without a name when the call
// failed as a whole.
func (o *Observed) GetSecrets(ctx context.Context, names []string) ([]Result, error) {
	start := o.now()
	results, err := GetMany(ctx, o.inner, names)
	if err != nil {
		o.report(ctx, Event{Op: "getmany"}, start, err)
		return nil, err
	}
	for _, r := range results {
		o.report(ctx, Event{Op: "getmany", Name: r.Name}, start, r.Err)
	}
	return results, nil
}

// Close closes the wrapped provider if it has that ability.
func (o *Observed) Close() error { return closeWrapped(o.inner) }

// forwarded is the report of a decorator that forwards reads, listings,
// bulk reads and Close to inner as inner has them: inner's abilities
// without the writes and soft-delete abilities, which such a decorator
// does not implement, so a caller trusting the report never type-asserts
// a method that is not there.
func forwarded(inner SecretProvider) Capabilities {
	c := CapabilitiesOf(inner)
	return Capabilities{List: c.List, ListVersions: c.ListVersions, GetMany: c.GetMany, Close: c.Close}
}

// closeWrapped is Close for a decorator that has exactly the abilities of
// the provider it wraps: called without the Close ability (which
// [Close] never does), it says so with errors.ErrUnsupported.
func closeWrapped(inner SecretProvider) error {
	if c, ok := inner.(io.Closer); ok && CapabilitiesOf(inner).Close {
		return c.Close()
	}
	return errors.ErrUnsupported
}

// WatchSecret implements [Watcher] over the wrapped provider's own watch
// (or polling) and reports one "watch" event per check.
func (o *Observed) WatchSecret(ctx context.Context, name string) (WatchSource, error) {
	src, err := WatchSourceOf(ctx, o.inner, name)
	if err != nil {
		return nil, err
	}
	return observedSource{WatchSource: src, o: o, name: name}, nil
}

type observedSource struct {
	WatchSource
	o    *Observed
	name string
}

func (s observedSource) Check(ctx context.Context) (Secret, bool, error) {
	start := s.o.now()
	sec, changed, err := s.WatchSource.Check(ctx)
	s.o.report(ctx, Event{Op: "watch", Name: s.name}, start, err)
	return sec, changed, err
}
