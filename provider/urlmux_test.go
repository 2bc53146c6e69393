package provider_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
	"github.com/secretkit/secretkit/provider/file"
)

// newMux returns a private mux with the env and file openers, as a program
// that configures its openers would build it.
func newMux() *provider.URLMux {
	m := new(provider.URLMux)
	m.RegisterProvider(env.Scheme, &env.URLOpener{})
	m.RegisterProvider(file.Scheme, &file.URLOpener{})
	return m
}

func TestZeroURLMux(t *testing.T) {
	ctx := context.Background()
	var m provider.URLMux
	if _, err := m.OpenProvider(ctx, "env://"); !errors.Is(err, provider.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), `no provider registered for scheme "env"`) {
		t.Fatalf("empty mux: err = %v", err)
	}
	if m.ValidScheme("env") || !m.ValidScheme("CHAIN") || len(m.Schemes()) != 0 {
		t.Errorf("empty mux: ValidScheme(env) = %v, ValidScheme(CHAIN) = %v, Schemes = %v",
			m.ValidScheme("env"), m.ValidScheme("CHAIN"), m.Schemes())
	}
	m.RegisterProvider("ENV", &env.URLOpener{Options: env.Options{Prefix: "MUXTEST_"}})
	t.Setenv("MUXTEST_TOKEN", "t0k3n")
	p, err := m.OpenProvider(ctx, "Env://")
	if err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, p, "token"); got != "t0k3n" {
		t.Errorf("the opener's default prefix was not applied: %q", got)
	}
	if !m.ValidScheme("env") || strings.Join(m.Schemes(), ",") != "env" {
		t.Errorf("Schemes = %v", m.Schemes())
	}
	// The private mux does not change the default one, and vice versa.
	if provider.DefaultURLMux().ValidScheme("muxtest") {
		t.Errorf("default mux knows a scheme it was never given")
	}
}

func TestRegisterProviderRejectsProgrammingErrors(t *testing.T) {
	m := newMux()
	o := &env.URLOpener{}
	wantPanic(t, "duplicate", func() { m.RegisterProvider("env", o) })
	wantPanic(t, "chain", func() { m.RegisterProvider("chain", o) })
	wantPanic(t, "not a scheme", func() { m.RegisterProvider("1abc", o) })
	wantPanic(t, "not a scheme", func() { m.RegisterProvider("a b", o) })
	wantPanic(t, "nil opener", func() { m.RegisterProvider("x", nil) })
}

func TestParseSecretURIGrammar(t *testing.T) {
	dir := t.TempDir()
	yamlPath := filepath.ToSlash(filepath.Join(dir, "app.yaml"))
	if err := os.WriteFile(yamlPath, []byte("db:\n  password: y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"db-password", "a b"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("d"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d := "file://" + filepath.ToSlash(dir)
	m := newMux()
	for _, tc := range []struct {
		uri  string
		want provider.SecretURI
	}{
		{"env://DB_PASSWORD", provider.SecretURI{Provider: "env:", Name: "DB_PASSWORD"}},
		{"env://db-password?prefix=APP_", provider.SecretURI{Provider: "env:?prefix=APP_", Name: "db-password"}},
		{"env://DB_PASSWORD?version=1", provider.SecretURI{Provider: "env:", Name: "DB_PASSWORD", Version: "1"}},
		{"env://#DB_PASSWORD", provider.SecretURI{Provider: "env:", Name: "DB_PASSWORD"}},
		{"env://?prefix=A_&version=v%202#x", provider.SecretURI{Provider: "env:?prefix=A_", Name: "x", Version: "v 2"}},
		{"file://" + yamlPath + "#db.password", provider.SecretURI{Provider: "file://" + yamlPath, Name: "db.password"}},
		{d + "/db-password", provider.SecretURI{Provider: d + "/", Name: "db-password"}},
		{d + "/#db-password", provider.SecretURI{Provider: d + "/", Name: "db-password"}},
		{d + "/a%20b", provider.SecretURI{Provider: d + "/", Name: "a b"}},
		{"chain:env://?prefix=A_&exact=true " + d + "/#db-password",
			provider.SecretURI{Provider: "chain:env://?prefix=A_&exact=true " + d + "/", Name: "db-password"}},
	} {
		got, err := m.ParseSecretURI(context.Background(), tc.uri)
		if err != nil || got != tc.want {
			t.Errorf("ParseSecretURI(%q) = %#v, %v\nwant %#v", tc.uri, got, err, tc.want)
			continue
		}
		again, err := m.ParseSecretURI(context.Background(), got.String())
		if err != nil || again != got {
			t.Errorf("String() %q parses to %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
}

func TestParseSecretURIErrors(t *testing.T) {
	dir := t.TempDir()
	yamlPath := filepath.ToSlash(filepath.Join(dir, "app.yaml"))
	if err := os.WriteFile(yamlPath, []byte("a: b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := newMux()
	for _, tc := range []struct {
		uri, wantText string
		kind          error
	}{
		{"file://" + yamlPath, `names a set of secrets, not one; name the secret with #<name>, or read "app.yaml" itself as one secret with file://` + filepath.ToSlash(dir) + "/#app.yaml", provider.ErrInvalidArgument},
		{"env://?prefix=A_", "names a set of secrets", provider.ErrInvalidArgument},
		{"env://A?version=1&version=2", `"version" given twice`, provider.ErrInvalidArgument},
		{"env://A?version=", "version is empty", provider.ErrInvalidArgument},
		{"env://A?prefx=B", `unknown query parameter "prefx"`, provider.ErrInvalidArgument},
		{"file://" + filepath.ToSlash(dir) + "/absent.yaml", "no such file", provider.ErrNotFound},
		{"chain:env:// file://" + yamlPath, "#<name>", provider.ErrInvalidArgument},
		{"chain:env://#", "not a secret name", provider.ErrInvalidArgument},
		{"nosuch://x/y", `no provider registered for scheme "nosuch"`, provider.ErrInvalidArgument},
		{"no scheme", "no scheme", provider.ErrInvalidArgument},
	} {
		_, err := m.GetSecret(context.Background(), tc.uri)
		if !errors.Is(err, tc.kind) || err == nil || !strings.Contains(err.Error(), tc.wantText) {
			t.Errorf("GetSecret(%q) err = %v; want %v mentioning %q", tc.uri, err, tc.kind, tc.wantText)
		}
	}
}

// The library reads the URIs the secrets command documents.
func TestGetSecretByURIShorthand(t *testing.T) {
	t.Setenv("DB_PASSWORD", "from-env")
	t.Setenv("APP_DB_PASSWORD", "prefixed")
	ctx := context.Background()
	for uri, want := range map[string]string{
		"env://DB_PASSWORD":             "from-env",
		"env://db-password?prefix=APP_": "prefixed",
		"env://#DB_PASSWORD":            "from-env",
	} {
		s, err := provider.GetSecretByURI(ctx, uri)
		if err != nil || s.Value.Reveal() != want {
			t.Errorf("GetSecretByURI(%q) = %v, %v; want %q", uri, s.Value, err, want)
		}
	}
	if _, err := provider.GetSecretByURI(ctx, "env://DB_PASSWORD?version=1"); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("a pinned version of an env variable: err = %v; want ErrNotFound", err)
	}
}

func TestOpenChainURI(t *testing.T) {
	dir := t.TempDir()
	yamlPath := filepath.ToSlash(filepath.Join(dir, "app.yaml"))
	if err := os.WriteFile(yamlPath, []byte("db__password: from-file\napi-key: from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHT_API_KEY", "from-env")
	ctx := context.Background()
	m := newMux()
	// Members carry queries with '&', '=' and ',' (a prefix may hold one).
	uri := "chain:env://?prefix=CHT_&exact=false\tfile://" + yamlPath + "?separator=__&format=yaml  env://?prefix=a,b_"
	p, err := m.OpenProvider(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	defer provider.Close(p)
	if _, ok := p.(*provider.Chain); !ok {
		t.Fatalf("OpenProvider(chain) = %T", p)
	}
	if got := mustGet(t, p, "api-key"); got != "from-env" {
		t.Errorf("api-key = %q; want the first member's", got)
	}
	if got := mustGet(t, p, "db__password"); got != "from-file" {
		t.Errorf("db__password = %q; want the second member's", got)
	}
	s, err := m.GetSecret(ctx, uri+"#db__password")
	if err != nil || s.Value.Reveal() != "from-file" {
		t.Errorf("GetSecret(chain#name) = %v, %v", s.Value, err)
	}
	_, err = m.GetSecret(ctx, uri+"#absent")
	if !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("absent in chain: err = %v", err)
	}

	for _, tc := range []struct{ uri, wantText string }{
		{"chain:", "lists no provider URIs"},
		{"chain:   ", "lists no provider URIs"},
		{"chain:env:// chain:env://", "chains do not nest"},
		{"chain:env:// nosuch://x", `no provider registered for scheme "nosuch"`},
		{"chain:env://#x", "single secret"},
		{"chain:env:// env://?bogus=1", `unknown query parameter "bogus"`},
	} {
		_, err := m.OpenProvider(ctx, tc.uri)
		if !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.wantText) {
			t.Errorf("OpenProvider(%q) err = %v; want ErrInvalidArgument mentioning %q", tc.uri, err, tc.wantText)
		}
	}
}

// A chain whose later member fails to open closes the members it opened.
func TestOpenChainClosesOnFailure(t *testing.T) {
	m := new(provider.URLMux)
	opened := newMem("opened")
	m.RegisterProvider("mem", provider.URLOpenerFunc(func(context.Context, *url.URL) (provider.SecretProvider, error) {
		return opened, nil
	}))
	if _, err := m.OpenProvider(context.Background(), "chain:mem:// nosuch://"); err == nil {
		t.Fatal("opened a chain with an unknown member")
	}
	if !opened.closed.Load() {
		t.Errorf("the opened member was not closed")
	}
}

func TestOpenProviderURLRejectsChainAndFragment(t *testing.T) {
	m := newMux()
	for _, raw := range []string{"chain:env://", "env://#x"} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.OpenProviderURL(context.Background(), u); !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("OpenProviderURL(%q) err = %v", raw, err)
		}
	}
}

// A URI without a scheme does not parse into parts, so nothing in it can be
// told apart as a credential: the error does not repeat it (found by
// fuzzing: "A //:0000@0").
func TestNoSchemeErrorDoesNotRepeatTheURI(t *testing.T) {
	var mux provider.URLMux
	for _, uri := range []string{"A //:hunter2@host", "vault.example/x?sig=hunter2"} {
		_, err := mux.ParseSecretURI(context.Background(), uri)
		if !errors.Is(err, provider.ErrInvalidArgument) {
			t.Fatalf("ParseSecretURI(%q) = %v; want invalid argument", uri, err)
		}
		t.Log(err)
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseSecretURI(%q) error %q repeats the credential", uri, err)
		}
	}
}

// A chain is not a URL, so its members' credentials must be taken out one
// member at a time: a chain error must not quote a member's password or
// query.
func TestChainErrorDoesNotRepeatMemberCredentials(t *testing.T) {
	var mux provider.URLMux
	mux.RegisterProvider("ok", provider.URLOpenerFunc(func(context.Context, *url.URL) (provider.SecretProvider, error) {
		return newMem("ok"), nil
	}))
	for _, uri := range []string{
		"chain:ok:// chain:ok:// azurekv://u:hunter2@vault", // nested chain
		"chain:azurekv://u:hunter2@vault#name",              // fragment
		"chain:ok:// chain:ok:// azurekv://vault?token=hunter2",
	} {
		_, err := mux.OpenProvider(context.Background(), uri)
		if !errors.Is(err, provider.ErrInvalidArgument) {
			t.Fatalf("OpenProvider(%q) = %v; want invalid argument", uri, err)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("OpenProvider(%q) error %q repeats the credential", uri, err)
		}
	}
}

// A URI that opens as a set of secrets is refused with a suggestion of the
// one-secret URI; the suggestion must not repeat the user information or
// query that the error's own URI leaves out.
func TestSetOfSecretsHintDoesNotRepeatCredentials(t *testing.T) {
	var mux provider.URLMux
	mux.RegisterProvider("ok", provider.URLOpenerFunc(func(context.Context, *url.URL) (provider.SecretProvider, error) {
		return newMem("ok"), nil
	}))
	uri := "ok://u:hunter2@host/dir/name?sig=hunter3"
	_, err := mux.ParseSecretURI(context.Background(), uri)
	if !errors.Is(err, provider.ErrInvalidArgument) {
		t.Fatalf("ParseSecretURI(%q) = %v; want invalid argument", uri, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "ok://host/dir/#name") {
		t.Errorf("ParseSecretURI(%q) error %q does not suggest the one-secret URI", uri, msg)
	}
	if strings.Contains(msg, "hunter2") || strings.Contains(msg, "hunter3") {
		t.Errorf("ParseSecretURI(%q) error %q repeats a credential", uri, msg)
	}
}
