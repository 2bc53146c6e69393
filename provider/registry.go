package provider

import (
	"context"
	"net/url"
)

// URLOpener opens a provider from a URI whose scheme it was registered for.
// It must reject query parameters it does not understand with an error
// satisfying errors.Is(err, ErrInvalidArgument), so typos fail loudly.
// The URL it receives never has a fragment.
type URLOpener interface {
	OpenProviderURL(ctx context.Context, u *url.URL) (SecretProvider, error)
}

// URLOpenerFunc adapts a function to [URLOpener].
type URLOpenerFunc func(ctx context.Context, u *url.URL) (SecretProvider, error)

// OpenProviderURL calls f.
func (f URLOpenerFunc) OpenProviderURL(ctx context.Context, u *url.URL) (SecretProvider, error) {
	return f(ctx, u)
}

// defaultMux is the mux backend packages register into from init.
var defaultMux = new(URLMux)

// DefaultURLMux returns the URLMux that [Register], [Open] and
// [GetSecretByURI] use, and that importing a backend package (even as `_`)
// registers its scheme with.
func DefaultURLMux() *URLMux { return defaultMux }

// Register makes opener responsible for URIs with the given scheme in the
// [DefaultURLMux]. Backend packages call it from init, so importing a
// backend (even as `_`) is what enables its scheme. It panics as
// [URLMux.RegisterProvider] does.
func Register(scheme string, opener URLOpener) {
	defaultMux.RegisterProvider(scheme, opener)
}

// Schemes returns the schemes registered with the [DefaultURLMux], sorted.
func Schemes() []string { return defaultMux.Schemes() }

// Open returns the provider a provider URI names, through the
// [DefaultURLMux]; see [URLMux.OpenProvider] for the grammar, including
// chains ("chain:env:// file:///etc/app/secrets.yaml").
func Open(ctx context.Context, uri string) (SecretProvider, error) {
	return defaultMux.OpenProvider(ctx, uri)
}

// ParseSecretURI splits a URI naming one secret by its #fragment, such as
// "file:///etc/app/secrets.yaml#db-password", into the provider URI (without
// the fragment) and the secret name. It is purely syntactic, so it knows
// only the fragment form; [URLMux.ParseSecretURI] also resolves the
// shorthand forms (a trailing path segment, env://NAME) and a pinned
// ?version=. It returns an *Error with Kind [ErrInvalidArgument] if the URI
// is malformed or has no fragment.
func ParseSecretURI(uri string) (providerURI, name string, err error) {
	u, err := parseProviderURI(uri)
	if err != nil {
		return "", "", err
	}
	if u.Fragment == "" {
		return "", "", openError(uri, errNoFragment)
	}
	name = u.Fragment
	u.Fragment, u.RawFragment = "", ""
	return u.String(), name, nil
}

// GetSecretByURI reads the secret a secret URI names (see
// [URLMux.ParseSecretURI]) through the [DefaultURLMux], and closes the
// provider. It is meant for one-shot use such as command-line tools;
// long-running programs should [Open] once and reuse the provider.
func GetSecretByURI(ctx context.Context, uri string) (Secret, error) {
	return defaultMux.GetSecret(ctx, uri)
}
