package ref_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/ref"
)

// counting is a versioned in-memory backend with the bulk ability that
// counts what the resolver asks of it.
type counting struct {
	mu       sync.Mutex
	values   map[string]string // name -> latest value
	versions map[string]string // name/version -> value
	opens    int
	gets     int // GetSecret calls
	bulks    int // GetSecrets calls
	bulkLen  []int
	closes   int
}

func newCounting(kv ...string) *counting {
	c := &counting{values: map[string]string{}, versions: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		c.values[kv[i]] = kv[i+1]
	}
	return c
}

// mux registers c under the "count" scheme: count://vault/<name>.
func (c *counting) mux() *provider.URLMux {
	m := new(provider.URLMux)
	m.RegisterProvider("count", provider.URLOpenerFunc(func(_ context.Context, u *url.URL) (provider.SecretProvider, error) {
		if u.Host != "vault" || (u.Path != "" && u.Path != "/") {
			return nil, provider.NewError("count", "open", "", provider.ErrInvalidArgument, errors.New("want count://vault"))
		}
		c.mu.Lock()
		c.opens++
		c.mu.Unlock()
		return &countingProvider{c}, nil
	}))
	return m
}

type countingProvider struct{ c *counting }

func (p *countingProvider) get(name, version string) (provider.Secret, error) {
	if name == "bad_name" {
		return provider.Secret{}, provider.NewError("count", "get", name, provider.ErrInvalidArgument, errors.New("no underscores"))
	}
	v, ok := p.c.values[name]
	if version != "" {
		v, ok = p.c.versions[name+"/"+version]
	}
	if !ok {
		return provider.Secret{}, provider.NewError("count", "get", name, provider.ErrNotFound, nil)
	}
	return provider.Secret{Metadata: provider.Metadata{Name: name, Version: version}, Value: provider.NewValue(v)}, nil
}

func (p *countingProvider) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.c.gets++
	return p.get(name, version)
}

func (p *countingProvider) GetSecrets(ctx context.Context, names []string) ([]provider.Result, error) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.c.bulks++
	p.c.bulkLen = append(p.c.bulkLen, len(names))
	out := make([]provider.Result, len(names))
	for i, n := range names {
		s, err := p.get(n, "")
		out[i] = provider.Result{Name: n, Secret: s, Err: err}
	}
	return out, nil
}

func (p *countingProvider) Close() error {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.c.closes++
	return nil
}

func TestRefsGrammar(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"plain", nil},
		{"${secret:env://A}", []string{"env://A"}},
		{"x ${secret: env://A } y ${secret:file:///f.yaml#b.c}", []string{"env://A", "file:///f.yaml#b.c"}},
		{"$${secret:env://A}", nil},
		{"$$${secret:env://A}", nil},
		{"$${secret:env://A} ${secret:env://B}", []string{"env://B"}},
		{"${VAR} $$ ${secret:env://A}${secret:env://A}", []string{"env://A", "env://A"}},
		{"${secret:chain:env:// file:///x.yaml#n}", []string{"chain:env:// file:///x.yaml#n"}},
	} {
		got, err := ref.Refs(tc.in)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("Refs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"${secret:env://A", "${secret:}", "${secret:   }", "ok ${secret:"} {
		if _, err := ref.Refs(bad); !errors.Is(err, ref.ErrSyntax) {
			t.Errorf("Refs(%q) err = %v; want ErrSyntax", bad, err)
		}
	}
}

func TestStringEscapes(t *testing.T) {
	c := newCounting("a", "1")
	r := &ref.Resolver{Mux: c.mux()}
	got, err := r.String(context.Background(), "$${secret:count://vault/a} is ${secret:count://vault/a}, $$ and ${HOME} stay")
	if err != nil {
		t.Fatal(err)
	}
	if want := "${secret:count://vault/a} is 1, $$ and ${HOME} stay"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// Each distinct secret is fetched once: one open per provider URI, one bulk
// read for the latest versions, one read per pinned version.
func TestEachDistinctReferenceFetchedOnce(t *testing.T) {
	c := newCounting("db-password", "pw", "api-key", "key")
	c.versions["api-key/v1"] = "old-key"
	r := &ref.Resolver{Mux: c.mux()}
	src := []byte(`{"a": "${secret:count://vault/db-password}",
 "b": "${secret:count://vault#db-password}",
 "c": ["${secret:count://vault/db-password}", "${secret:count://vault/api-key}"],
 "d": "${secret:count://vault/api-key?version=v1}/${secret:count://vault/api-key?version=v1}"}`)
	out, err := r.JSON(context.Background(), src, "app.json")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"a": "pw",
 "b": "pw",
 "c": ["pw", "key"],
 "d": "old-key/old-key"}`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if c.opens != 1 || c.bulks != 1 || fmt.Sprint(c.bulkLen) != "[2]" || c.gets != 1 || c.closes != 1 {
		t.Errorf("opens %d, bulk reads %d of %v names, gets %d, closes %d; want 1, 1 of [2], 1, 1",
			c.opens, c.bulks, c.bulkLen, c.gets, c.closes)
	}
}

func TestErrorsNameFileLineAndReference(t *testing.T) {
	c := newCounting("present", "sentinel-value-77")
	r := &ref.Resolver{Mux: c.mux()}
	src := []byte("ok: ${secret:count://vault/present}\n" +
		"# comment\n" +
		"missing: prefix-${secret:count://vault/absent}\n" +
		"invalid: ${secret:count://vault/bad_name}\n")
	_, err := r.YAML(context.Background(), src, "config.yaml")
	var re *ref.Error
	if !errors.As(err, &re) || re.File != "config.yaml" || re.Line != 3 || re.More != 1 {
		t.Fatalf("err = %#v", err)
	}
	want := `config.yaml:3: ${secret:count://vault/absent}: count: get "absent": secret not found (and 1 more failed reference)`
	if err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
	if !errors.Is(err, provider.ErrNotFound) || errors.Is(err, provider.ErrInvalidArgument) {
		t.Errorf("err matches the wrong kinds: %v", err)
	}
	if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, err), "sentinel-value-77") {
		t.Errorf("the error shows a value")
	}

	_, err = r.String(context.Background(), "${secret:count://user:pw@vault/present?token=t0p&version=7}")
	if err == nil || strings.Contains(err.Error(), "t0p") || strings.Contains(err.Error(), "pw@") ||
		!strings.Contains(err.Error(), "version=7") {
		t.Errorf("err = %v; want the reference without user information or query values, version kept", err)
	}

	_, err = r.YAML(context.Background(), []byte("a: 1\nb: ${secret:count://vault/present\n"), "config.yaml")
	if !errors.As(err, &re) || !errors.Is(err, ref.ErrSyntax) || re.Line != 2 {
		t.Errorf("unterminated: err = %v", err)
	}

	_, err = r.String(context.Background(), "${secret:nosuch://x/y}")
	if !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), `no provider registered for scheme "nosuch"`) {
		t.Errorf("unknown scheme: err = %v", err)
	}
}

func TestCancelledContext(t *testing.T) {
	c := newCounting("a", "1")
	r := &ref.Resolver{Mux: c.mux()}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.String(ctx, "${secret:count://vault/a}"); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v; want context.Canceled", err)
	}
}
