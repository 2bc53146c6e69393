package provider

import (
	"context"
	"errors"
	"iter"
	"strings"
)

// Chain is a decorator that reads from an ordered list of providers: the
// first provider that has the secret wins.
//
// A not-found or invalid-argument answer falls through to the next provider
// (a name one backend cannot spell, such as "db_password" in Key Vault, is
// simply not there). Any other error — denied, unavailable, context, or
// unclassified — stops the chain and is returned as is. Failing closed is
// deliberate: if the authoritative source is down, quietly serving a value
// from a lower-priority source (often a stale default) is worse than an
// error. When every provider falls through, the error has Provider "chain"
// and exactly one kind, ErrNotFound (or ErrInvalidArgument if no provider
// accepted the name); what each provider answered is reachable with
// errors.As as a [*ChainError], but not with errors.Is, so the misses'
// kinds never add to the chain's own.
type Chain struct {
	providers []SecretProvider
}

// NewChain returns a chain that consults providers in the given order.
func NewChain(providers ...SecretProvider) *Chain {
	return &Chain{providers: append([]SecretProvider(nil), providers...)}
}

// GetSecret implements [SecretProvider] as described on [Chain].
func (c *Chain) GetSecret(ctx context.Context, name, version string) (Secret, error) {
	if err := ctx.Err(); err != nil {
		return Secret{}, err
	}
	var misses []error
	kind := ErrInvalidArgument
	for _, p := range c.providers {
		s, err := p.GetSecret(ctx, name, version)
		switch {
		case err == nil:
			return s, nil
		case errors.Is(err, ErrNotFound):
			kind = ErrNotFound
		case errors.Is(err, ErrInvalidArgument):
		default:
			return Secret{}, err
		}
		misses = append(misses, err)
	}
	if len(misses) == 0 {
		kind = ErrNotFound
	}
	var err error
	if len(misses) > 0 {
		err = &ChainError{Errs: misses}
	}
	return Secret{}, &Error{Provider: "chain", Op: "get", Name: name, Kind: kind, Err: err}
}

// ChainError holds what each provider of a [Chain] answered when none had
// the secret, in the chain's order. It deliberately has no Unwrap method:
// the chain's *Error carries the one kind that describes the outcome, and a
// provider that rejected the name (ErrInvalidArgument) must not make a
// not-found answer match ErrInvalidArgument too. Reach the per-provider
// errors with errors.As:
//
//	var ce *provider.ChainError
//	if errors.As(err, &ce) {
//		for _, miss := range ce.Errs { ... }
//	}
type ChainError struct {
	Errs []error
}

// Error lists the providers' errors, separated by "; ".
func (e *ChainError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

// Capabilities implements [CapabilityReporter]: the chain lists only when
// every provider can list (a partial listing would hide secrets), reads in
// bulk and closes always, and does not list versions.
func (c *Chain) Capabilities() Capabilities {
	list := true
	for _, p := range c.providers {
		list = list && CapabilitiesOf(p).List
	}
	return Capabilities{List: list, GetMany: true, Close: true}
}

// ListSecrets yields each name once, with the metadata from the first
// provider that lists it. The first listing error stops the iteration. If
// some provider cannot list, it yields one errors.ErrUnsupported error.
func (c *Chain) ListSecrets(ctx context.Context) iter.Seq2[Metadata, error] {
	if !c.Capabilities().List {
		return yieldError(&Error{Provider: "chain", Op: "list", Err: errors.ErrUnsupported})
	}
	return func(yield func(Metadata, error) bool) {
		seen := map[string]bool{}
		for _, p := range c.providers {
			for m, err := range p.(Lister).ListSecrets(ctx) {
				if err != nil {
					yield(Metadata{}, err)
					return
				}
				if seen[m.Name] {
					continue
				}
				seen[m.Name] = true
				if !yield(m, nil) {
					return
				}
			}
		}
	}
}

// GetSecrets implements [BulkGetter] by calling GetSecret for each name.
func (c *Chain) GetSecrets(ctx context.Context, names []string) ([]Result, error) {
	return getEach(ctx, c, names)
}

// Close closes every provider that has that ability and returns their
// errors joined.
func (c *Chain) Close() error {
	var errs []error
	for _, p := range c.providers {
		errs = append(errs, Close(p))
	}
	return errors.Join(errs...)
}
