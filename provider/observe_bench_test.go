package provider_test

import (
	"context"
	"testing"

	"github.com/secretkit/secretkit/provider"
)

// BenchmarkCacheHit compares a cache hit with and without an Observe
// decorator (with a no-op observer) around it.
func BenchmarkCacheHit(b *testing.B) {
	m := newMem("mem", "a", "1")
	cached := provider.NewCache(m, nil)
	observed := provider.Observe(cached, "mem", provider.ObserverFunc(func(context.Context, provider.Event) {}))
	ctx := context.Background()
	for _, c := range []struct {
		name string
		p    provider.SecretProvider
	}{{"plain", cached}, {"observed", observed}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.p.GetSecret(ctx, "a", ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
