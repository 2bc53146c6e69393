package ref

import (
	"context"
	"net/url"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/provider"
)

// echoMux serves "echo" URIs whose secrets' values are their names, so
// fuzzing needs no fixture.
func echoMux() *provider.URLMux {
	m := new(provider.URLMux)
	m.RegisterProvider("echo", provider.URLOpenerFunc(func(context.Context, *url.URL) (provider.SecretProvider, error) {
		return echo{}, nil
	}))
	return m
}

type echo struct{}

func (echo) GetSecret(_ context.Context, name, _ string) (provider.Secret, error) {
	return provider.Secret{Metadata: provider.Metadata{Name: name}, Value: provider.NewValue(name)}, nil
}
