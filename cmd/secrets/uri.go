package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/secretkit/secretkit/internal/redact"
	"github.com/secretkit/secretkit/provider"
)

// openProvider opens a URI that names a whole provider, as list needs.
func (c cli) openProvider(ctx context.Context, uri string) (provider.SecretProvider, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, malformedURI(err)
	}
	if u.Fragment != "" {
		return nil, usagef("the URI names one secret (#%s); give the provider URI without the fragment", u.Fragment)
	}
	return c.open(ctx, uri)
}

// openSecret resolves a URI naming one secret into the provider holding it
// and the secret's name, in this order:
//
//  1. a #fragment is the name (provider.ParseSecretURI);
//  2. a URI that opens as a provider by itself — a secrets file, a
//     directory, a vault — names no single secret, and is a usage error
//     rather than, say, reading a whole YAML file as one value;
//  3. otherwise the last path segment is the name and the rest is the
//     provider (file:///run/secrets/app/db-password,
//     azurekv://v.vault.azure.net/db-password); for env, whose URIs have no
//     path, the host is the name (env://DB_PASSWORD).
//
// The caller closes the provider with provider.Close.
func (c cli) openSecret(ctx context.Context, uri string) (provider.SecretProvider, string, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, "", malformedURI(err)
	}
	if u.Fragment != "" {
		providerURI, name, err := provider.ParseSecretURI(uri)
		if err != nil {
			return nil, "", err
		}
		p, err := c.open(ctx, providerURI)
		return p, name, err
	}

	whole, openErr := c.open(ctx, uri)
	if openErr == nil {
		closeErr := provider.Close(whole)
		hint := "name the secret with #<name>"
		if providerURI, name, ok := splitTrailingName(u); ok && u.Scheme == "file" {
			// A secret-volume file named like a format (config.json) opens as
			// a secrets file; its directory with a fragment reads it whole.
			hint += fmt.Sprintf(", or read the file %q itself as one secret with %s#%s", name, providerURI, name)
		}
		return nil, "", errors.Join(usagef("the URI names a set of secrets, not one; %s", hint), closeErr)
	}
	providerURI, name, ok := splitTrailingName(u)
	if !ok {
		return nil, "", openErr
	}
	p, err := c.open(ctx, providerURI)
	return p, name, err
}

// splitTrailingName splits the secret name off the end of u; ok is false
// when u has no trailing name.
func splitTrailingName(u *url.URL) (providerURI, name string, ok bool) {
	rest := *u
	switch {
	case u.Opaque != "": // file:relative/dir/name
		i := strings.LastIndex(u.Opaque, "/")
		name = u.Opaque[i+1:]
		rest.Opaque = u.Opaque[:i+1]
		if rest.Opaque == "" {
			rest.Opaque = "./"
		}
	case u.Path != "":
		escaped := u.EscapedPath()
		i := strings.LastIndex(escaped, "/")
		unescaped, err := url.PathUnescape(escaped[i+1:])
		if err != nil {
			return "", "", false
		}
		name = unescaped
		dir := escaped[:i+1]
		if dir == "/" && u.Host != "" {
			dir = "" // azurekv://host, not azurekv://host/
		}
		rest.Path, _ = url.PathUnescape(dir)
		rest.RawPath = dir
	case u.Scheme == "env" && u.Host != "":
		name = u.Host
		rest.Host = ""
	}
	if name == "" {
		return "", "", false
	}
	return rest.String(), name, true
}

// malformedURI reports a URI that does not parse, with only the parser's
// reason: the URI's query may hold credentials.
func malformedURI(err error) error {
	return usagef("malformed URI: %v", redact.ParseError(err))
}
