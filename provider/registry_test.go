package provider_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider"
)

var testBackend = newMem("regtest", "db-password", "from-registry")

func init() {
	provider.Register("regtest", provider.URLOpenerFunc(func(_ context.Context, u *url.URL) (provider.SecretProvider, error) {
		if u.Host != "vault" {
			return nil, provider.NewError("regtest", "open", "", provider.ErrInvalidArgument, errors.New("want host vault"))
		}
		return testBackend, nil
	}))
}

func wantPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

func TestRegisterRejectsProgrammingErrors(t *testing.T) {
	opener := provider.URLOpenerFunc(func(context.Context, *url.URL) (provider.SecretProvider, error) { return nil, nil })
	wantPanic(t, "duplicate scheme", func() { provider.Register("regtest", opener) })
	wantPanic(t, "duplicate scheme in other case", func() { provider.Register("RegTest", opener) })
	wantPanic(t, "empty scheme", func() { provider.Register("", opener) })
	wantPanic(t, "nil opener", func() { provider.Register("regtest-nil", nil) })
}

func TestOpenDispatchesByScheme(t *testing.T) {
	p, err := provider.Open(context.Background(), "REGTEST://vault")
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, p, "db-password"); got != "from-registry" {
		t.Errorf("got %q", got)
	}
	if _, err := provider.Open(context.Background(), "regtest://elsewhere"); !errors.Is(err, provider.ErrInvalidArgument) {
		t.Errorf("opener error not returned: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct{ uri, wantText string }{
		{"nosuch://host/path?token=do-not-print", `no provider registered for scheme "nosuch"`},
		{"no-scheme-here", "no scheme"},
		{"regtest://vault#db-password", "single secret"},
		{"regtest://vault/%zz?token=do-not-print", "malformed URI"},
		{"", "no scheme"},
	} {
		_, err := provider.Open(context.Background(), tc.uri)
		var perr *provider.Error
		if !errors.Is(err, provider.ErrInvalidArgument) || !errors.As(err, &perr) || perr.Op != "open" {
			t.Errorf("Open(%q) err = %v; want an open ErrInvalidArgument", tc.uri, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.wantText) {
			t.Errorf("Open(%q) err = %q; want it to mention %q", tc.uri, err, tc.wantText)
		}
		if strings.Contains(err.Error(), "do-not-print") {
			t.Errorf("Open(%q) err = %q repeats the query", tc.uri, err)
		}
	}
}

func TestParseSecretURI(t *testing.T) {
	uri, name, err := provider.ParseSecretURI("file:///etc/app/secrets.yaml?format=yaml#db-password")
	if err != nil || uri != "file:///etc/app/secrets.yaml?format=yaml" || name != "db-password" {
		t.Errorf("ParseSecretURI = %q, %q, %v", uri, name, err)
	}
	if _, _, err := provider.ParseSecretURI("file:///etc/app/secrets.yaml"); !errors.Is(err, provider.ErrInvalidArgument) {
		t.Errorf("no fragment: err = %v", err)
	}
	s, err := provider.GetSecretByURI(context.Background(), "regtest://vault#db-password")
	if err != nil || s.Value.Reveal() != "from-registry" {
		t.Errorf("GetSecretByURI = %v, %v", s, err)
	}
	if _, err := provider.GetSecretByURI(context.Background(), "regtest://vault#missing"); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetSecretByURI(missing) err = %v", err)
	}
	found := false
	for _, s := range provider.Schemes() {
		found = found || s == "regtest"
	}
	if !found {
		t.Errorf("Schemes() = %v lacks regtest", provider.Schemes())
	}
}
