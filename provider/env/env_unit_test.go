package env_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
)

func TestVariableName(t *testing.T) {
	mapped := env.New(&env.Options{Prefix: "APP_"})
	exact := env.New(&env.Options{Prefix: "APP_", Exact: true})
	for _, tc := range []struct {
		p          *env.Provider
		name, want string
	}{
		{mapped, "db-password", "APP_DB_PASSWORD"},
		{mapped, "DB_Password", "APP_DB_PASSWORD"},
		{mapped, "x9", "APP_X9"},
		{exact, "db-password", "APP_db-password"},
		{exact, "weird.name with space", "APP_weird.name with space"},
	} {
		got, err := tc.p.VariableName(tc.name)
		if err != nil || got != tc.want {
			t.Errorf("VariableName(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "db.password", "dé", "a=b"} {
		if _, err := mapped.VariableName(bad); !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("mapped VariableName(%q) err = %v; want ErrInvalidArgument", bad, err)
		}
	}
}

func TestGetReturnsCanonicalNameAndDistinguishesEmpty(t *testing.T) {
	t.Setenv("APP_DB_PASSWORD", "")
	p := env.New(&env.Options{Prefix: "APP_"})
	s, err := p.GetSecret(context.Background(), "DB_PASSWORD", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "db-password" || s.Value.Len() != 0 || !s.Enabled || s.Version != "" {
		t.Errorf("secret = %+v", s)
	}
	_, err = p.GetSecret(context.Background(), "db-password", "v1")
	if !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("versioned get: err = %v; want ErrNotFound", err)
	}
	_, err = p.GetSecret(context.Background(), "absent", "")
	if got, want := err.Error(), `env: get "absent": secret not found: variable APP_ABSENT is not set`; got != want {
		t.Errorf("err = %q; want %q", got, want)
	}
}

func listNames(t *testing.T, p *env.Provider) []string {
	t.Helper()
	var names []string
	for m, err := range p.ListSecrets(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

func TestListHonoursPrefixAndRoundTrips(t *testing.T) {
	t.Setenv("SKLIST_DB_PASSWORD", "1")
	t.Setenv("SKLIST_API_KEY", "2")
	t.Setenv("SKLIST_lower", "3")  // mapped names cannot read this back
	t.Setenv("SKLIST_", "4")       // no name after the prefix
	t.Setenv("SKOTHER_TOKEN", "5") // other prefix
	if got, want := listNames(t, env.New(&env.Options{Prefix: "SKLIST_"})), []string{"api-key", "db-password"}; !slices.Equal(got, want) {
		t.Errorf("mapped list = %v; want %v", got, want)
	}
	if got, want := listNames(t, env.New(&env.Options{Prefix: "SKLIST_", Exact: true})), []string{"API_KEY", "DB_PASSWORD", "lower"}; !slices.Equal(got, want) {
		t.Errorf("exact list = %v; want %v", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range env.New(nil).ListSecrets(ctx) {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled list err = %v", err)
		}
	}
}

func TestOpenURI(t *testing.T) {
	t.Setenv("URITEST_db-password", "exact-value")
	t.Setenv("URITEST_DB_PASSWORD", "mapped-value")
	ctx := context.Background()
	for uri, want := range map[string]string{
		"env://?prefix=URITEST_":            "mapped-value",
		"env://?prefix=URITEST_&exact=true": "exact-value",
		"env:?prefix=URITEST_&exact=0":      "mapped-value",
	} {
		p, err := provider.Open(ctx, uri)
		if err != nil {
			t.Fatalf("Open(%q): %v", uri, err)
		}
		s, err := p.GetSecret(ctx, "db-password", "")
		if err != nil || s.Value.Reveal() != want {
			t.Errorf("Open(%q) read %q, %v; want %q", uri, s.Value.Reveal(), err, want)
		}
	}
	for uri, wantText := range map[string]string{
		"env://?prefx=APP_":          `unknown query parameter "prefx"`,
		"env://?exact=maybe":         `exact="maybe" is not a boolean`,
		"env://somehost":             "no host or path",
		"env://?prefix=A_&prefix=B_": `"prefix" given 2 times`,
	} {
		_, err := provider.Open(ctx, uri)
		if !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), wantText) {
			t.Errorf("Open(%q) err = %v; want ErrInvalidArgument mentioning %q", uri, err, wantText)
		}
	}
}
