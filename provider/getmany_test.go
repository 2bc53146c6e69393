package provider_test

import (
	"context"
	"errors"
	"iter"
	"testing"

	"github.com/secretkit/secretkit/provider"
)

func TestGetManyFallsBackToGetSecret(t *testing.T) {
	p := getOnly{newMem("mem", "a", "1")}
	if provider.CapabilitiesOf(p).GetMany {
		t.Fatal("getOnly claims GetMany")
	}
	results, err := provider.GetMany(context.Background(), p, []string{"a", "missing"})
	if err != nil || len(results) != 2 {
		t.Fatalf("GetMany = %v, %v", results, err)
	}
	if results[0].Secret.Value.Reveal() != "1" || !errors.Is(results[1].Err, provider.ErrNotFound) || results[1].Name != "missing" {
		t.Errorf("results = %+v", results)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if results, err := provider.GetMany(ctx, p, []string{"a"}); !errors.Is(err, context.Canceled) || results != nil {
		t.Errorf("cancelled: %v, %v; want nil results and context.Canceled", results, err)
	}
	if err := provider.Close(p); err != nil {
		t.Errorf("Close on a provider without Close = %v", err)
	}
}

func TestCacheBulkAndListPassThrough(t *testing.T) {
	m := newMem("mem", "a", "1", "b", "2")
	c := provider.NewCache(m, nil)
	results, err := c.GetSecrets(context.Background(), []string{"a", "missing", "b"})
	if err != nil || results[0].Secret.Value.Reveal() != "1" || !errors.Is(results[1].Err, provider.ErrNotFound) || results[2].Secret.Value.Reveal() != "2" {
		t.Fatalf("GetSecrets = %+v, %v", results, err)
	}
	mustGet(t, c, "a")
	if m.calls.Load() != 3 {
		t.Errorf("bulk read did not fill the cache: %d backend calls", m.calls.Load())
	}
	n := 0
	for _, err := range c.ListSecrets(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 {
		t.Errorf("listed %d names; want 2", n)
	}
}

// failingLister lists one name and then fails.
type failingLister struct{ *memBackend }

func (f failingLister) ListSecrets(ctx context.Context) iter.Seq2[provider.Metadata, error] {
	return func(yield func(provider.Metadata, error) bool) {
		if yield(provider.Metadata{Name: "first"}, nil) {
			yield(provider.Metadata{}, provider.NewError("failing", "list", "", provider.ErrUnavailable, nil))
		}
	}
}

func TestChainListStopsAtFirstError(t *testing.T) {
	c := provider.NewChain(failingLister{newMem("failing")}, newMem("second", "never-listed", "x"))
	var names []string
	var errs []error
	for m, err := range c.ListSecrets(context.Background()) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		names = append(names, m.Name)
	}
	if len(names) != 1 || len(errs) != 1 || !errors.Is(errs[0], provider.ErrUnavailable) {
		t.Errorf("names = %v, errs = %v; want [first] then one ErrUnavailable", names, errs)
	}
}

func TestValueStringMethods(t *testing.T) {
	v := provider.NewValue(plaintext)
	if v.String() != provider.Redacted || v.GoString() != provider.Redacted {
		t.Errorf("String/GoString = %q/%q", v.String(), v.GoString())
	}
	if lv := v.LogValue(); lv.String() != provider.Redacted {
		t.Errorf("LogValue = %q", lv.String())
	}
}
