package ref_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/ref"
)

type holdsNothing struct{}

func (holdsNothing) GetSecret(_ context.Context, name, _ string) (provider.Secret, error) {
	return provider.Secret{}, provider.NewError("empty", "get", name, provider.ErrNotFound, nil)
}

// The mux reads the chain scheme in any case, so the error must take a
// chain's members apart in any case too: parsed as one URL, an upper-case
// chain kept a later member's password in its opaque part.
func TestErrorRedactsChainMembersInAnyCase(t *testing.T) {
	m := new(provider.URLMux)
	m.RegisterProvider("vault", provider.URLOpenerFunc(func(context.Context, *url.URL) (provider.SecretProvider, error) {
		return holdsNothing{}, nil
	}))
	r := &ref.Resolver{Mux: m}
	for _, chain := range []string{"chain", "CHAIN", "Chain"} {
		in := "${secret:" + chain + ":vault://h1/ vault://u:hunter2@h2/#name}"
		_, err := r.String(context.Background(), in)
		var re *ref.Error
		if !errors.As(err, &re) || !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("String(%q) err = %v; want a *ref.Error of ErrNotFound", in, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("String(%q) error %q shows the password", in, err)
		}
		if !strings.Contains(re.Ref, "vault://h2/") {
			t.Errorf("String(%q) error names the reference %q; want its members shown", in, re.Ref)
		}
	}
}
