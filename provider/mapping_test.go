package provider_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/secretkit/secretkit/provider"
)

func listNames(t *testing.T, p provider.SecretProvider) []string {
	t.Helper()
	var names []string
	for m, err := range p.(provider.Lister).ListSecrets(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

func TestHierarchyMappingFollowsTheDotNetConventions(t *testing.T) {
	kv := newMem("kv", "ConnectionStrings--Db", "server=a", "other", "x")
	p := provider.MapNames(kv, provider.HierarchyMapping("--"))
	s := mustGetSecret(t, p, "ConnectionStrings:Db")
	if s.Value.Reveal() != "server=a" || s.Name != "ConnectionStrings:Db" {
		t.Fatalf("got %s = %q", s.Name, s.Value.Reveal())
	}
	if got := listNames(t, p); !slices.Equal(got, []string{"ConnectionStrings:Db", "other"}) {
		t.Errorf("listing %q", got)
	}
	// A name holding the separator itself would not map back.
	_, err := p.GetSecret(context.Background(), "ConnectionStrings--Db", "")
	if !errors.Is(err, provider.ErrInvalidArgument) {
		t.Fatalf("err = %v; want ErrInvalidArgument", err)
	}
	var perr *provider.Error
	if !errors.As(err, &perr) || perr.Name != "ConnectionStrings--Db" {
		t.Errorf("error %v does not name the caller's name", err)
	}
}

func TestPrefixAndCaseMappingsCompose(t *testing.T) {
	m := newMem("mem", "APP-DB-PASSWORD", "pw", "APP-lower", "hidden", "OTHER", "hidden")
	p := provider.MapNames(m, provider.PrefixMapping("app-").Then(provider.CaseMapping(true)))
	s := mustGetSecret(t, p, "db-password")
	if s.Value.Reveal() != "pw" || s.Name != "db-password" {
		t.Fatalf("got %s = %q", s.Name, s.Value.Reveal())
	}
	if got := listNames(t, p); !slices.Equal(got, []string{"db-password"}) {
		t.Errorf("listing %q; want only the names that map back", got)
	}
	_, err := p.GetSecret(context.Background(), "api-key", "")
	var perr *provider.Error
	if !errors.Is(err, provider.ErrNotFound) || !errors.As(err, &perr) || perr.Name != "api-key" || perr.Provider != "mem" {
		t.Fatalf("err = %v; want the backend's ErrNotFound naming the caller's \"api-key\"", err)
	}
	results, err := provider.GetMany(context.Background(), p, []string{"db-password", "api-key"})
	if err != nil || results[0].Secret.Value.Reveal() != "pw" || results[0].Name != "db-password" ||
		!errors.Is(results[1].Err, provider.ErrNotFound) {
		t.Fatalf("GetMany = %+v, %v", results, err)
	}
}
