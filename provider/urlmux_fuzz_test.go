package provider

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
)

// fuzzMux accepts "p" URIs without a path or host as providers, like env,
// and "d" URIs whose path ends in '/', like a directory of secrets.
func fuzzMux() *URLMux {
	m := new(URLMux)
	accept := func(ok func(u *url.URL) bool) URLOpener {
		return URLOpenerFunc(func(_ context.Context, u *url.URL) (SecretProvider, error) {
			if u.Fragment != "" {
				panic("an opener was given a fragment")
			}
			if !ok(u) {
				return nil, NewError("fuzz", "open", "", ErrInvalidArgument, nil)
			}
			return NewChain(), nil
		})
	}
	m.RegisterProvider("p", accept(func(u *url.URL) bool { return u.Host == "" && u.Opaque == "" && (u.Path == "" || u.Path == "/") }))
	m.RegisterProvider("d", accept(func(u *url.URL) bool { return strings.HasSuffix(u.Path, "/") || strings.HasSuffix(u.Opaque, "/") }))
	return m
}

// checkURIError asserts that a refusal has exactly one error kind, is one
// line and does not show a password the URI carries.
func checkURIError(t *testing.T, uri string, err error) {
	t.Helper()
	kinds := 0
	for _, k := range []error{ErrNotFound, ErrPermissionDenied, ErrInvalidArgument, ErrUnavailable} {
		if errors.Is(err, k) {
			kinds++
		}
	}
	msg := err.Error()
	if kinds != 1 {
		t.Fatalf("ParseSecretURI(%q) error %q has %d kinds", uri, msg, kinds)
	}
	if strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("ParseSecretURI(%q) error is not one line: %q", uri, msg)
	}
	for _, part := range strings.Fields(strings.TrimPrefix(uri, "chain:")) {
		u, perr := url.Parse(part)
		if perr != nil || u.User == nil {
			continue
		}
		if pw, ok := u.User.Password(); ok && len(pw) >= 4 && strings.Count(uri, pw) == 1 && strings.Contains(msg, pw) {
			t.Fatalf("ParseSecretURI(%q) error %q shows the password", uri, msg)
		}
	}
}

// FuzzParseSecretURI checks that the secret URI parser never panics, that
// what it accepts names a secret, and that the canonical form of what it
// accepts parses back to the same secret.
func FuzzParseSecretURI(f *testing.F) {
	for _, seed := range []string{
		"p://NAME", "p://name?prefix=A_", "p://#name", "p://?a=1&version=v2#n%20x",
		"d:///run/secrets/app/db-password", "d:///dir/#x", "d:rel/dir/name", "d:name",
		"d:///a%2Fb/c%20d?version=1", "chain:p:// d:///x/#n", "chain:#", "P://X?version=1&version=2",
		"d://host/a/b", "p://user@host", "d://u:s3cr3tpw@host/x/#n", "nope://x#y", "p://x#%zz", "p://h:1/x?%zz", "chain:p://?a=b,c&d=e d:///x/#name",
	} {
		f.Add(seed)
	}
	m := fuzzMux()
	f.Fuzz(func(t *testing.T, uri string) {
		s, err := m.ParseSecretURI(context.Background(), uri)
		if err != nil {
			checkURIError(t, uri, err)
			return
		}
		if s.Name == "" || s.Provider == "" {
			t.Fatalf("ParseSecretURI(%q) = %#v without a name or provider", uri, s)
		}
		again, err := m.ParseSecretURI(context.Background(), s.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", s.String(), uri, err)
		}
		if again.Name != s.Name || again.Version != s.Version {
			t.Fatalf("%q parsed to %#v; its canonical form %q to %#v", uri, s, s.String(), again)
		}
	})
}
