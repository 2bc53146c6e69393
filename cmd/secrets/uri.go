package main

import (
	"context"

	"github.com/secretkit/secretkit/provider"
)

// openProvider opens a URI that names a whole provider, as list needs.
func (c cli) openProvider(ctx context.Context, uri string) (provider.SecretProvider, error) {
	return c.urlMux().OpenProvider(ctx, uri)
}

// openSecret resolves a URI naming one secret into the provider holding it
// and the secret, by the grammar package provider owns (see
// provider.URLMux): a #fragment, a trailing path segment, or for env the
// host; ?version= pins a version. A --version flag must agree with it.
//
// The caller closes the provider with provider.Close.
func (c cli) openSecret(ctx context.Context, uri, flagVersion string) (provider.SecretProvider, provider.SecretURI, error) {
	mux := c.urlMux()
	s, err := mux.ParseSecretURI(ctx, uri)
	if err != nil {
		return nil, provider.SecretURI{}, err
	}
	if flagVersion != "" {
		if s.Version != "" && s.Version != flagVersion {
			return nil, provider.SecretURI{}, usagef("--version %q and the URI's version %q differ; give one", flagVersion, s.Version)
		}
		s.Version = flagVersion
	}
	p, err := mux.OpenProvider(ctx, s.Provider)
	if err != nil {
		return nil, provider.SecretURI{}, err
	}
	return p, s, nil
}

// urlMux is the mux the command opens URIs with: the default one, which
// the blank imports in run.go fill, unless a test configured its own.
func (c cli) urlMux() *provider.URLMux {
	if c.mux != nil {
		return c.mux
	}
	return provider.DefaultURLMux()
}
