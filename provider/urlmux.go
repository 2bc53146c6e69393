package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/secretkit/secretkit/internal/redact"
)

// ChainScheme is the scheme of a chain URI, which [URLMux.OpenProvider]
// handles itself; no backend may register it.
const ChainScheme = "chain"

// URLMux maps URI schemes to the [URLOpener]s that open them, and owns the
// URI grammar every part of secretkit (the library, the secrets command,
// secret references in config) parses.
//
// The zero value is an empty mux ready to use; [DefaultURLMux] is the one
// backend packages register into from init. Build your own mux to configure
// an opener (credentials, transports) without touching global state:
//
//	mux := new(provider.URLMux)
//	mux.RegisterProvider("azurekv", &azurekv.URLOpener{Credential: cred})
//
// # Provider URIs
//
// A provider URI is "scheme:..." and is handed, without its fragment, to
// the opener registered for its (case-insensitive) scheme:
//
//	env://?prefix=APP_
//	file:///etc/app/secrets.yaml
//	azurekv://myvault.vault.azure.net?identity=system
//
// A chain URI is "chain:" followed by provider URIs separated by white
// space; it opens a [Chain] over them, consulted in order:
//
//	chain:env://?prefix=APP_ file:///etc/app/secrets.yaml
//
// URIs cannot contain unescaped white space (RFC 3986; write %20), so the
// list is unambiguous whatever commas, queries or '&' its members hold.
// Chains do not nest.
//
// # Secret URIs
//
// A secret URI is a provider URI plus the name of one secret, given as:
//
//  1. a #fragment, which always works:
//     file:///etc/app/secrets.yaml#db.password,
//     chain:env:// file:///etc/app/secrets.yaml#db-password;
//  2. or, without a fragment, the last path segment, when the URI as
//     written is not itself a provider URI its opener accepts:
//     file:///run/secrets/app/db-password (the directory
//     file:///run/secrets/app/ plus db-password),
//     azurekv://myvault.vault.azure.net/db-password;
//  3. or, for providers whose URIs have no host, the host:
//     env://DB_PASSWORD (the provider env: plus DB_PASSWORD).
//
// A URI that opens as a provider by itself (a secrets file, a directory, a
// vault) names a set of secrets, not one, and is refused rather than read
// whole as one value. Only an opener's ErrInvalidArgument ("not a URI I
// accept") or an error matching fs.ErrNotExist (the path does not exist)
// lets the shorthand forms apply; any other opening error, such as a
// malformed file, is returned as is.
//
// The query parameter "version" of a secret URI pins a version and is
// removed before the provider is opened:
// azurekv://myvault.vault.azure.net/db-password?version=0123abcd.... Chain
// secret URIs take no version.
type URLMux struct {
	mu      sync.RWMutex
	openers map[string]URLOpener
}

// RegisterProvider makes opener responsible for URIs with the given scheme.
// Scheme is matched case-insensitively.
//
// It panics if scheme is empty, not a URI scheme, "chain", or already
// registered, or if opener is nil: these are programming errors, and
// silently replacing a backend could send secrets to the wrong place.
func (m *URLMux) RegisterProvider(scheme string, opener URLOpener) {
	scheme = strings.ToLower(scheme)
	if !isScheme(scheme) || opener == nil {
		panic("provider: RegisterProvider needs a URI scheme and an opener")
	}
	if scheme == ChainScheme {
		panic(`provider: the "chain" scheme is built in`)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.openers[scheme]; dup {
		panic(fmt.Sprintf("provider: scheme %q registered twice", scheme))
	}
	if m.openers == nil {
		m.openers = map[string]URLOpener{}
	}
	m.openers[scheme] = opener
}

// ValidScheme reports whether scheme (case-insensitive) is registered, or
// is the built-in "chain".
func (m *URLMux) ValidScheme(scheme string) bool {
	scheme = strings.ToLower(scheme)
	return scheme == ChainScheme || m.opener(scheme) != nil
}

// Schemes returns the registered schemes, sorted; "chain" is not listed.
func (m *URLMux) Schemes() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.openers))
	for s := range m.openers {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (m *URLMux) opener(scheme string) URLOpener {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.openers[scheme]
}

// OpenProvider returns the provider a provider URI names (see [URLMux]),
// including a chain URI. A fragment, which names a single secret, is not
// allowed; use [URLMux.OpenSecret] or [URLMux.GetSecret] for those.
//
// A malformed URI, a fragment, or an unregistered scheme yields an *Error
// with Op "open" and Kind [ErrInvalidArgument]; otherwise the opener's
// error is returned as is.
func (m *URLMux) OpenProvider(ctx context.Context, uri string) (SecretProvider, error) {
	if members, ok := chainMembers(uri); ok {
		if strings.Contains(members, "#") {
			return nil, openError(uri, errFragment)
		}
		return m.openChain(ctx, uri, members)
	}
	u, err := parseProviderURI(uri)
	if err != nil {
		return nil, err
	}
	return m.OpenProviderURL(ctx, u)
}

// OpenProviderURL is [URLMux.OpenProvider] for a parsed URL. It does not
// accept chains, which are not URLs.
func (m *URLMux) OpenProviderURL(ctx context.Context, u *url.URL) (SecretProvider, error) {
	if u.Fragment != "" {
		return nil, openError(u.String(), errFragment)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == ChainScheme {
		return nil, openError(u.String(), errors.New("a chain is not a URL; use OpenProvider"))
	}
	opener := m.opener(scheme)
	if opener == nil {
		return nil, openError(u.String(), fmt.Errorf("no provider registered for scheme %q (registered: %s)",
			scheme, strings.Join(m.Schemes(), ", ")))
	}
	v := *u
	v.Scheme = scheme
	return opener.OpenProviderURL(ctx, &v)
}

// openChain opens each member of a chain, closing those already open if a
// later one fails.
func (m *URLMux) openChain(ctx context.Context, uri, members string) (SecretProvider, error) {
	fields := strings.Fields(members)
	if len(fields) == 0 {
		return nil, openError(uri, errors.New("the chain lists no provider URIs"))
	}
	providers := make([]SecretProvider, 0, len(fields))
	for i, member := range fields {
		if _, nested := chainMembers(member); nested {
			err := openError(uri, fmt.Errorf("chain member %d is a chain; chains do not nest", i+1))
			return nil, errors.Join(err, NewChain(providers...).Close())
		}
		p, err := m.OpenProvider(ctx, member)
		if err != nil {
			return nil, errors.Join(err, NewChain(providers...).Close())
		}
		providers = append(providers, p)
	}
	return NewChain(providers...), nil
}

// SecretURI is a parsed secret URI: which provider, which secret, which
// version.
type SecretURI struct {
	// Provider is the provider URI, as [URLMux.OpenProvider] accepts it.
	Provider string
	// Name is the secret's name, as the provider spells it.
	Name string
	// Version is the pinned version, or empty for the latest.
	Version string
}

// String returns the canonical form of s: the provider URI, the version as
// ?version= and the name as #fragment. It parses back to s.
func (s SecretURI) String() string {
	out := s.Provider
	if s.Version != "" {
		sep := "?"
		if strings.Contains(out, "?") {
			sep = "&"
		}
		out += sep + "version=" + url.QueryEscape(s.Version)
	}
	return out + "#" + escapeFragment(s.Name)
}

// ParseSecretURI splits a secret URI into its provider URI, secret name and
// version, following the grammar documented on [URLMux]. For the forms
// without a fragment it asks the scheme's opener whether the URI, as
// written, is a provider URI (and closes what that opens); the fragment form
// opens nothing.
//
// Errors are *Error with Op "open" and Kind [ErrInvalidArgument], or the
// opener's error when the URI as written fails to open for another reason.
func (m *URLMux) ParseSecretURI(ctx context.Context, uri string) (SecretURI, error) {
	if members, ok := chainMembers(uri); ok {
		i := strings.LastIndex(members, "#")
		if i < 0 {
			return SecretURI{}, openError(uri, errors.New("a chain secret URI names the secret with #<name>"))
		}
		name, err := url.PathUnescape(members[i+1:])
		if err != nil || name == "" {
			return SecretURI{}, openError(uri, errors.New("the #fragment is not a secret name"))
		}
		return SecretURI{Provider: uri[:len(uri)-len(members)+i], Name: name}, nil
	}
	parts, err := splitSecretURI(uri)
	if err != nil {
		return SecretURI{}, err
	}
	if parts.fragment {
		return parts.secret, nil
	}
	whole, openErr := m.OpenProviderURL(ctx, parts.whole)
	if openErr == nil {
		closeErr := Close(whole)
		hint := "name the secret with #<name>"
		if parts.split {
			// Redacted like the URI the error names: the suggestion
			// repeats its user information and query otherwise.
			hint += fmt.Sprintf(", or read %q itself as one secret with %s", parts.secret.Name,
				redactURI(SecretURI{Provider: parts.secret.Provider, Name: parts.secret.Name}.String()))
		}
		return SecretURI{}, errors.Join(openError(parts.whole.String(),
			fmt.Errorf("the URI names a set of secrets, not one; %s", hint)), closeErr)
	}
	// A path that does not exist is not a provider either: its last
	// segment may be a missing secret of the parent (a directory).
	if !parts.split || !errors.Is(openErr, ErrInvalidArgument) && !errors.Is(openErr, fs.ErrNotExist) {
		return SecretURI{}, openErr
	}
	return parts.secret, nil
}

// OpenSecret parses a secret URI (see [URLMux.ParseSecretURI]) and opens
// its provider. The caller closes the provider with [Close].
func (m *URLMux) OpenSecret(ctx context.Context, uri string) (SecretProvider, SecretURI, error) {
	s, err := m.ParseSecretURI(ctx, uri)
	if err != nil {
		return nil, SecretURI{}, err
	}
	p, err := m.OpenProvider(ctx, s.Provider)
	if err != nil {
		return nil, SecretURI{}, err
	}
	return p, s, nil
}

// GetSecret reads the secret a secret URI names, in its pinned version or
// the latest, and closes the provider.
func (m *URLMux) GetSecret(ctx context.Context, uri string) (Secret, error) {
	p, s, err := m.OpenSecret(ctx, uri)
	if err != nil {
		return Secret{}, err
	}
	sec, getErr := p.GetSecret(ctx, s.Name, s.Version)
	closeErr := Close(p)
	if getErr != nil {
		return Secret{}, getErr
	}
	return sec, closeErr
}

// secretURIParts is the syntactic reading of a secret URI, before any
// opener is asked.
type secretURIParts struct {
	// whole is the URI without its fragment and version: the provider URI
	// when fragment is true, else what is tried as a provider first.
	whole *url.URL
	// fragment: the name came from the #fragment, and secret is final.
	fragment bool
	// split: without a fragment, a trailing name could be split off into
	// secret.
	split  bool
	secret SecretURI
}

var errNoFragment = errors.New("the URI has no #secret-name fragment")

// errFragment is the complaint about a provider URI that names a secret.
var errFragment = errors.New("the URI names a single secret (#fragment); a provider URI has none")

// splitSecretURI reads uri without asking any opener; it never fails on a
// URI url.Parse accepts with a scheme, except for a repeated or empty
// ?version=.
func splitSecretURI(uri string) (secretURIParts, error) {
	u, err := parseProviderURI(uri)
	if err != nil {
		return secretURIParts{}, err
	}
	version, err := takeVersion(u)
	if err != nil {
		return secretURIParts{}, openError(uri, err)
	}
	if u.Fragment != "" {
		name := u.Fragment
		u.Fragment, u.RawFragment = "", ""
		return secretURIParts{whole: u, fragment: true,
			secret: SecretURI{Provider: u.String(), Name: name, Version: version}}, nil
	}
	u.RawFragment = ""
	parts := secretURIParts{whole: u}
	if provider, name, ok := splitTrailingName(u); ok {
		parts.split = true
		parts.secret = SecretURI{Provider: provider, Name: name, Version: version}
	}
	return parts, nil
}

// takeVersion removes the version query parameter from u, keeping every
// other parameter byte for byte, and returns its value.
func takeVersion(u *url.URL) (string, error) {
	if u.RawQuery == "" {
		return "", nil
	}
	var kept []string
	var version string
	found := false
	for _, pair := range strings.Split(u.RawQuery, "&") {
		key, value, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err != nil || k != "version" {
			kept = append(kept, pair)
			continue
		}
		if found {
			return "", errors.New("query parameter \"version\" given twice")
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return "", fmt.Errorf("malformed version: %v", err)
		}
		if v == "" {
			return "", errors.New("the version is empty; omit ?version= for the latest")
		}
		version, found = v, true
	}
	u.RawQuery = strings.Join(kept, "&")
	u.ForceQuery = false
	return version, nil
}

// splitTrailingName splits the secret name off the end of u: its last path
// segment, or its host when it has no path. ok is false when u has neither.
func splitTrailingName(u *url.URL) (providerURI, name string, ok bool) {
	rest := *u
	switch {
	case u.Opaque != "": // file:relative/dir/name
		i := strings.LastIndex(u.Opaque, "/")
		unescaped, err := url.PathUnescape(u.Opaque[i+1:])
		if err != nil {
			return "", "", false
		}
		name = unescaped
		rest.Opaque = u.Opaque[:i+1]
		if rest.Opaque == "" {
			rest.Opaque = "./"
		}
	case u.Path != "":
		escaped := u.EscapedPath()
		i := strings.LastIndex(escaped, "/")
		unescaped, err := url.PathUnescape(escaped[i+1:])
		if err != nil {
			return "", "", false
		}
		name = unescaped
		dir := escaped[:i+1]
		if dir == "/" && u.Host != "" {
			dir = "" // azurekv://host, not azurekv://host/
		}
		rest.Path, _ = url.PathUnescape(dir)
		rest.RawPath = dir
	case u.Host != "" && u.User == nil:
		name = u.Host
		rest.Host = ""
	}
	if name == "" {
		return "", "", false
	}
	return rest.String(), name, true
}

// chainMembers reports whether uri is a chain URI and returns what follows
// "chain:".
func chainMembers(uri string) (string, bool) {
	const prefix = ChainScheme + ":"
	if len(uri) < len(prefix) || !strings.EqualFold(uri[:len(prefix)], prefix) {
		return "", false
	}
	return uri[len(prefix):], true
}

// escapeFragment escapes name for use as a #fragment.
func escapeFragment(name string) string {
	u := url.URL{Fragment: name}
	return strings.TrimPrefix(u.String(), "#")
}

// isScheme reports whether s is an RFC 3986 scheme.
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

func parseProviderURI(uri string) (*url.URL, error) {
	u, err := url.Parse(uri)
	if err != nil {
		return nil, openError("", fmt.Errorf("malformed URI: %w", redact.ParseError(err)))
	}
	if u.Scheme == "" {
		return nil, openError("", errors.New("the URI has no scheme (want scheme://...)"))
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u, nil
}

func openError(uri string, err error) error {
	return &Error{Provider: "provider", Op: "open", Name: redactURI(uri), Kind: ErrInvalidArgument, Err: err}
}

// redactURI is redact.URLString for a provider or secret URI, chains
// included: a chain is not a URL, and parsed as one its members'
// passwords would stay in its opaque part, so each member is redacted on
// its own.
func redactURI(uri string) string {
	members, ok := chainMembers(uri)
	if !ok {
		return redact.URLString(uri)
	}
	fields := strings.Fields(members)
	for i, member := range fields {
		fields[i] = redact.URLString(member)
	}
	return ChainScheme + ":" + strings.Join(fields, " ")
}
