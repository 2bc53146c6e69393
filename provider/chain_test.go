package provider_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/secretkit/secretkit/provider"
)

func TestChainFirstProviderWithTheSecretWins(t *testing.T) {
	first := newMem("first", "shared", "from-first")
	second := newMem("second", "shared", "from-second", "only-second", "2")
	c := provider.NewChain(first, second)
	if got := mustGet(t, c, "shared"); got != "from-first" {
		t.Errorf("shared = %q", got)
	}
	if got := mustGet(t, c, "only-second"); got != "2" {
		t.Errorf("not-found did not fall through: %q", got)
	}
	first.fail("only-second", provider.ErrInvalidArgument)
	if got := mustGet(t, c, "only-second"); got != "2" {
		t.Errorf("invalid-argument did not fall through: %q", got)
	}
}

func TestChainStopsAtOtherErrors(t *testing.T) {
	for _, kind := range []error{provider.ErrPermissionDenied, provider.ErrUnavailable} {
		first := newMem("first")
		second := newMem("second", "a", "fallback")
		first.fail("a", kind)
		_, err := provider.NewChain(first, second).GetSecret(context.Background(), "a", "")
		if !errors.Is(err, kind) {
			t.Errorf("err = %v; want %v", err, kind)
		}
		if second.calls.Load() != 0 {
			t.Errorf("chain consulted the next provider after %v", kind)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := provider.NewChain(newMem("m", "a", "1")).GetSecret(ctx, "a", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestChainExhaustedError(t *testing.T) {
	first, second := newMem("first"), newMem("second")
	_, err := provider.NewChain(first, second).GetSecret(context.Background(), "a", "")
	var perr *provider.Error
	if !errors.Is(err, provider.ErrNotFound) || !errors.As(err, &perr) || perr.Provider != "chain" || perr.Name != "a" {
		t.Fatalf("err = %v; want a chain ErrNotFound for \"a\"", err)
	}
	var ce *provider.ChainError
	if !errors.As(err, &ce) || len(ce.Errs) != 2 {
		t.Fatalf("chain error does not carry the providers' errors: %#v", perr.Err)
	}
	var inner *provider.Error
	if !errors.As(ce.Errs[0], &inner) || inner.Provider != "first" {
		t.Errorf("first miss = %v; want first's error", ce.Errs[0])
	}
	first.fail("a", provider.ErrInvalidArgument)
	second.fail("a", provider.ErrInvalidArgument)
	_, err = provider.NewChain(first, second).GetSecret(context.Background(), "a", "")
	if !errors.Is(err, provider.ErrInvalidArgument) || errors.Is(err, provider.ErrNotFound) {
		t.Errorf("all invalid: err = %v; want only ErrInvalidArgument", err)
	}
	if _, err := provider.NewChain().GetSecret(context.Background(), "a", ""); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("empty chain: err = %v", err)
	}
}

func TestChainListDedupesAndNeedsEveryLister(t *testing.T) {
	first := newMem("first", "a", "1", "b", "1")
	second := newMem("second", "b", "2", "c", "2")
	c := provider.NewChain(first, second)
	got := map[string]string{}
	for m, err := range c.ListSecrets(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := got[m.Name]; dup {
			t.Errorf("%q listed twice", m.Name)
		}
		got[m.Name] = m.Tags["from"]
	}
	if len(got) != 3 || got["b"] != "first" {
		t.Errorf("listing = %v; want a, b (from first), c", got)
	}
	partial := provider.NewChain(first, getOnly{second})
	if provider.CapabilitiesOf(partial).List {
		t.Errorf("chain with a non-lister claims List")
	}
	for _, err := range partial.ListSecrets(context.Background()) {
		if !errors.Is(err, errors.ErrUnsupported) {
			t.Errorf("err = %v; want errors.ErrUnsupported", err)
		}
	}
}

func TestChainBulkAndClose(t *testing.T) {
	first := newMem("first", "a", "1")
	second := newMem("second", "b", "2")
	second.closeErr = errBoom
	c := provider.NewChain(first, getOnly{newMem("bare")}, second)
	results, err := provider.GetMany(context.Background(), c, []string{"a", "missing", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Secret.Value.Reveal() != "1" || !errors.Is(results[1].Err, provider.ErrNotFound) || results[2].Secret.Value.Reveal() != "2" {
		t.Errorf("results = %+v", results)
	}
	if err := c.Close(); !errors.Is(err, errBoom) || !first.closed.Load() || !second.closed.Load() {
		t.Errorf("Close = %v; closed first=%v second=%v", err, first.closed.Load(), second.closed.Load())
	}
	if !slices.Equal([]bool{provider.CapabilitiesOf(c).GetMany, provider.CapabilitiesOf(c).Close}, []bool{true, true}) {
		t.Errorf("capabilities = %+v", provider.CapabilitiesOf(c))
	}
}

// A name one provider rejects and another lacks is not found, and only
// that: the rejection stays reachable through *ChainError, out of errors.Is.
func TestChainErrorHasExactlyOneKind(t *testing.T) {
	first, second := newMem("first"), newMem("second")
	first.fail("a", provider.ErrInvalidArgument)
	_, err := provider.NewChain(first, second).GetSecret(context.Background(), "a", "")
	if !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("err = %v; want ErrNotFound", err)
	}
	if errors.Is(err, provider.ErrInvalidArgument) {
		t.Errorf("err = %v also matches ErrInvalidArgument", err)
	}
	var ce *provider.ChainError
	if !errors.As(err, &ce) || len(ce.Errs) != 2 || !errors.Is(ce.Errs[0], provider.ErrInvalidArgument) ||
		!errors.Is(ce.Errs[1], provider.ErrNotFound) {
		t.Fatalf("ChainError = %+v; want first's rejection then second's miss", ce)
	}
	want := `chain: get "a": secret not found: first: get "a": invalid argument; second: get "a": secret not found`
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
}
