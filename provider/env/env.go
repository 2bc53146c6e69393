// Package env provides secrets from the process environment.
//
// By default a secret name maps to a variable by upper-casing it and
// replacing '-' with '_', after an optional prefix: with prefix "APP_", the
// secret "db-password" is the variable APP_DB_PASSWORD. In exact mode the
// name is used as written. A variable that is not set is not found; one set
// to the empty string is an empty value.
//
// Importing the package registers the "env" URI scheme with package provider:
//
//	env://                      every variable, mapped names
//	env://?prefix=APP_          only variables starting with APP_
//	env://?prefix=APP_&exact=true
package env

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/secretkit/secretkit/provider"
)

// Name is the provider name in errors.
const Name = "env"

// Scheme is the URI scheme this package registers.
const Scheme = "env"

func init() {
	provider.Register(Scheme, &URLOpener{})
}

// Options configures [New]. The zero value (or nil) means no prefix and
// mapped names.
type Options struct {
	// Prefix is prepended to every variable name and limits listing to
	// variables that start with it. It is matched case-sensitively.
	Prefix string
	// Exact uses secret names as variable names unchanged (after the
	// prefix) instead of upper-casing them and replacing '-' with '_'.
	Exact bool
}

// Provider reads secrets from environment variables. It implements
// provider.SecretProvider, provider.Lister and provider.BulkGetter, and is
// safe for concurrent use. It reads the environment on every call, so
// changes are visible at once.
type Provider struct {
	prefix string
	exact  bool
}

// New returns a provider over the process environment. opts may be nil.
func New(opts *Options) *Provider {
	if opts == nil {
		opts = &Options{}
	}
	return &Provider{prefix: opts.Prefix, exact: opts.Exact}
}

// URLOpener opens env URIs (see the package documentation). Its zero value
// is what importing the package registers with provider.DefaultURLMux.
type URLOpener struct {
	// Options are the defaults; a URI's prefix= and exact= override them.
	Options Options
}

// OpenProviderURL implements provider.URLOpener. Errors are
// *provider.Error with Op "open" and Kind ErrInvalidArgument.
func (o *URLOpener) OpenProviderURL(_ context.Context, u *url.URL) (provider.SecretProvider, error) {
	fail := func(format string, args ...any) error {
		return provider.NewError(Name, "open", "", provider.ErrInvalidArgument, fmt.Errorf(format, args...))
	}
	if u.Host != "" || (u.Path != "" && u.Path != "/") || u.Opaque != "" {
		return nil, fail("env URIs take no host or path, only ?prefix= and ?exact=")
	}
	opts := o.Options
	for key, values := range u.Query() {
		if len(values) != 1 {
			return nil, fail("query parameter %q given %d times", key, len(values))
		}
		switch key {
		case "prefix":
			opts.Prefix = values[0]
		case "exact":
			b, err := strconv.ParseBool(values[0])
			if err != nil {
				return nil, fail("exact=%q is not a boolean", values[0])
			}
			opts.Exact = b
		default:
			return nil, fail("unknown query parameter %q (known: prefix, exact)", key)
		}
	}
	return New(&opts), nil
}

// VariableName returns the environment variable that holds the secret
// called name, or an error satisfying errors.Is(err, provider.ErrInvalidArgument).
//
// In mapped mode a name is 1 or more of [A-Za-z0-9_-]; in exact mode any
// non-empty name without '=' or NUL.
func (p *Provider) VariableName(name string) (string, error) {
	invalid := func(why string) error {
		return provider.NewError(Name, "get", name, provider.ErrInvalidArgument, fmt.Errorf("invalid name: %s", why))
	}
	if name == "" {
		return "", invalid("empty")
	}
	if p.exact {
		if strings.ContainsAny(name, "=\x00") {
			return "", invalid("contains '=' or NUL")
		}
		return p.prefix + name, nil
	}
	mapped, err := MapName(name)
	if err != nil {
		return "", invalid(err.Error())
	}
	return p.prefix + mapped, nil
}

// canonical is the secret name a variable suffix lists as: the suffix in
// exact mode, otherwise lower case with '_' as '-'.
func (p *Provider) canonical(suffix string) string {
	if p.exact {
		return suffix
	}
	return canonicalName(suffix)
}

// GetSecret implements provider.SecretProvider. Versions are not supported:
// any non-empty version is not found. The returned Name is canonical (for
// mapped names, lower case with '-'), Enabled is true and times are zero.
func (p *Provider) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	if err := ctx.Err(); err != nil {
		return provider.Secret{}, provider.NewError(Name, "get", name, nil, err)
	}
	variable, err := p.VariableName(name)
	if err != nil {
		return provider.Secret{}, err
	}
	if version != "" {
		return provider.Secret{}, provider.NewError(Name, "get", name, provider.ErrNotFound,
			fmt.Errorf("environment variables have no versions (asked for %q)", version))
	}
	value, ok := os.LookupEnv(variable)
	if !ok {
		return provider.Secret{}, provider.NewError(Name, "get", name, provider.ErrNotFound,
			fmt.Errorf("variable %s is not set", variable))
	}
	return provider.Secret{
		Metadata: provider.Metadata{Name: p.canonical(variable[len(p.prefix):]), Enabled: true},
		Value:    provider.NewValue(value),
	}, nil
}

// ListSecrets implements provider.Lister. It yields one entry per variable
// that starts with the prefix and that GetSecret can read back by the listed
// name; in mapped mode that excludes variables with lower-case letters or
// characters other than letters, digits and '_'.
func (p *Provider) ListSecrets(ctx context.Context) iter.Seq2[provider.Metadata, error] {
	return func(yield func(provider.Metadata, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(provider.Metadata{}, provider.NewError(Name, "list", "", nil, err))
			return
		}
		for _, kv := range os.Environ() {
			variable, _, _ := strings.Cut(kv, "=")
			suffix, ok := strings.CutPrefix(variable, p.prefix)
			if !ok || suffix == "" {
				continue
			}
			name := p.canonical(suffix)
			if back, err := p.VariableName(name); err != nil || back != variable {
				continue
			}
			if !yield(provider.Metadata{Name: name, Enabled: true}, nil) {
				return
			}
		}
	}
}

// GetSecrets implements provider.BulkGetter.
func (p *Provider) GetSecrets(ctx context.Context, names []string) ([]provider.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, provider.NewError(Name, "get", "", nil, err)
	}
	results := make([]provider.Result, len(names))
	for i, name := range names {
		s, err := p.GetSecret(ctx, name, "")
		results[i] = provider.Result{Name: name, Secret: s, Err: err}
	}
	return results, nil
}
