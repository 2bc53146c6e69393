package provider

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/secretkit/secretkit/internal/redact"
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

var registry = struct {
	sync.RWMutex
	openers map[string]URLOpener
}{openers: map[string]URLOpener{}}

// Register makes opener responsible for URIs with the given scheme. Backend
// packages call it from init, so importing a backend (even as `_`) is what
// enables its scheme. Scheme is matched case-insensitively.
//
// Register panics if scheme is empty or already registered, or opener is
// nil: these are programming errors, and silently replacing a backend could
// send secrets to the wrong place.
func Register(scheme string, opener URLOpener) {
	scheme = strings.ToLower(scheme)
	if scheme == "" || opener == nil {
		panic("provider: Register needs a scheme and an opener")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.openers[scheme]; dup {
		panic(fmt.Sprintf("provider: scheme %q registered twice", scheme))
	}
	registry.openers[scheme] = opener
}

// Schemes returns the registered schemes, sorted.
func Schemes() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.openers))
	for s := range registry.openers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Open returns the provider the URI names, such as "env://?prefix=APP_",
// "file:///etc/app/secrets.yaml" or "file:///run/secrets/app/". A fragment,
// which names a single secret, is not allowed here; use [ParseSecretURI] or
// [GetSecretByURI] for those.
//
// A malformed URI, a fragment, or an unregistered scheme yields an *Error
// with Op "open" and Kind [ErrInvalidArgument].
func Open(ctx context.Context, uri string) (SecretProvider, error) {
	u, err := parseProviderURI(uri)
	if err != nil {
		return nil, err
	}
	if u.Fragment != "" {
		return nil, openError(uri, errors.New("the URI names a single secret (#fragment); use GetSecretByURI"))
	}
	registry.RLock()
	opener := registry.openers[u.Scheme]
	registry.RUnlock()
	if opener == nil {
		return nil, openError(uri, fmt.Errorf("no provider registered for scheme %q (registered: %s)",
			u.Scheme, strings.Join(Schemes(), ", ")))
	}
	return opener.OpenProviderURL(ctx, u)
}

// ParseSecretURI splits a URI naming one secret, such as
// "file:///etc/app/secrets.yaml#db-password", into the provider URI (without
// the fragment) and the secret name. It returns an *Error with Kind
// [ErrInvalidArgument] if the URI is malformed or has no fragment.
func ParseSecretURI(uri string) (providerURI, name string, err error) {
	u, err := parseProviderURI(uri)
	if err != nil {
		return "", "", err
	}
	if u.Fragment == "" {
		return "", "", openError(uri, errors.New("the URI has no #secret-name fragment"))
	}
	name = u.Fragment
	u.Fragment, u.RawFragment = "", ""
	return u.String(), name, nil
}

// GetSecretByURI opens the provider a secret URI names, reads the latest
// version of the secret in its fragment and closes the provider. It is meant
// for one-shot use such as command-line tools; long-running programs should
// [Open] once and reuse the provider.
func GetSecretByURI(ctx context.Context, uri string) (Secret, error) {
	providerURI, name, err := ParseSecretURI(uri)
	if err != nil {
		return Secret{}, err
	}
	p, err := Open(ctx, providerURI)
	if err != nil {
		return Secret{}, err
	}
	s, getErr := p.GetSecret(ctx, name, "")
	closeErr := Close(p)
	if getErr != nil {
		return Secret{}, getErr
	}
	return s, closeErr
}

func parseProviderURI(uri string) (*url.URL, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, openError("", fmt.Errorf("malformed URI: %w", redact.ParseError(err)))
	}
	if u.Scheme == "" {
		return nil, openError(uri, errors.New("the URI has no scheme"))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u, nil
}

func openError(uri string, err error) error {
	return &Error{Provider: "provider", Op: "open", Name: redact.URLString(uri), Kind: ErrInvalidArgument, Err: err}
}
