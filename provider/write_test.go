package provider_test

import (
	"context"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
)

// writable adds the write abilities to the in-memory backend.
type writable struct{ *memBackend }

func (w writable) SetSecret(_ context.Context, name string, v provider.Value, _ *provider.SetOptions) (provider.Secret, error) {
	w.set(name, v.Reveal())
	return provider.Secret{Metadata: provider.Metadata{Name: name, Enabled: true}, Value: v}, nil
}

func (w writable) DeleteSecret(context.Context, string) error { return nil }

func TestCapabilitiesReportWrites(t *testing.T) {
	if c := provider.CapabilitiesOf(writable{newMem("w")}); !c.Set || !c.Delete {
		t.Errorf("CapabilitiesOf(writer) = %+v; want Set and Delete", c)
	}
	if c := provider.CapabilitiesOf(env.New(nil)); c.Set || c.Delete {
		t.Errorf("CapabilitiesOf(env) = %+v; env is read-only", c)
	}
	// Decorators report what they forward: a chain or cache does not write.
	for _, p := range []provider.SecretProvider{provider.NewChain(writable{newMem("w")}), provider.NewCache(writable{newMem("w")}, nil)} {
		if c := provider.CapabilitiesOf(p); c.Set || c.Delete {
			t.Errorf("CapabilitiesOf(%T) = %+v; want no writes", p, c)
		}
		provider.Close(p)
	}
}

// Observe and MapNames forward reads, listings, bulk reads and Close, not
// writes: their reported capabilities must not promise a Setter or Deleter
// a type assertion would not find.
func TestDecoratorsReportOnlyWhatTheyImplement(t *testing.T) {
	w := writable{newMem("w")}
	for _, p := range []provider.SecretProvider{
		provider.Observe(w, "w", provider.ObserverFunc(func(context.Context, provider.Event) {})),
		provider.MapNames(w, provider.PrefixMapping("x-")),
	} {
		c := provider.CapabilitiesOf(p)
		_, setter := p.(provider.Setter)
		_, deleter := p.(provider.Deleter)
		if c.Set != setter || c.Delete != deleter {
			t.Errorf("CapabilitiesOf(%T) = %+v; it implements Setter %v, Deleter %v", p, c, setter, deleter)
		}
		if !c.List || !c.Close {
			t.Errorf("CapabilitiesOf(%T) = %+v; want the wrapped provider's List and Close", p, c)
		}
	}
}
