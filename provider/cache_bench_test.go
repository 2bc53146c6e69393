package provider_test

import (
	"context"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/provider"
)

// plainBackend answers every name with one untagged secret, so a cache
// hit's cost is the cache's own (a tagged secret adds the copy of its
// tags map, which the cache makes so callers cannot change what it holds).
type plainBackend struct{}

func (plainBackend) GetSecret(_ context.Context, name, _ string) (provider.Secret, error) {
	return provider.Secret{Metadata: provider.Metadata{Name: name, Enabled: true}, Value: provider.NewValue("v")}, nil
}

// BenchmarkCacheHitUntagged measures a cache hit, serially and from every
// P at once: the hit path must not serialise readers (issue 12's target is
// ≤ 100 ns/op and no allocation with GOMAXPROCS=2).
func BenchmarkCacheHitUntagged(b *testing.B) {
	c := provider.NewCache(plainBackend{}, nil)
	ctx := context.Background()
	for _, name := range []string{"a", "b"} {
		if _, err := c.GetSecret(ctx, name, ""); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.GetSecret(ctx, "a", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.GetSecret(ctx, "a", ""); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
