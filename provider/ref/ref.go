// Package ref expands secret references in configuration: YAML, JSON,
// dotenv files, environment variables and plain strings.
//
// A reference is ${secret:URI}, where URI is a secret URI in the grammar of
// package provider (see provider.URLMux): a provider URI plus the secret's
// name as #fragment, trailing path segment or (env) host, optionally pinned
// with ?version=:
//
//	password: ${secret:azurekv://myvault.vault.azure.net/db-password}
//	password: ${secret:azurekv://myvault.vault.azure.net/db-password?version=0123456789abcdef0123456789abcdef}
//	dsn: postgres://app:${secret:env://DB_PASSWORD}@db:5432/app
//	token: ${secret:file:///run/secrets/app/#token}
//
// The reference ends at the first '}' (a URI writes '}' as %7D); white
// space around the URI is ignored. A reference may be a whole value or part
// of one. $${secret: writes a literal ${secret: and is the only escape;
// every other '$' is left alone, so shell-style ${VAR} and $$ pass through.
//
// A [Resolver] fetches each distinct secret once per call, whatever the
// number of references to it: references are grouped by provider URI, each
// provider is opened once, latest versions are read with provider.GetMany
// (one bulk call where the backend has provider.BulkGetter) and pinned
// versions one by one. Errors are *[Error]: they name the file, line (or
// variable) and reference, never a value, and unwrap to the provider's
// error, so errors.Is(err, provider.ErrNotFound) works.
package ref

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/secretkit/secretkit/provider"
)

const (
	opener = "${secret:"
	escape = "$" + opener
)

// ErrSyntax is the error of a malformed reference: "${secret:" without a
// closing '}', or with an empty URI.
var ErrSyntax = errors.New("malformed secret reference")

// Error is a failed reference. It never holds a secret value.
type Error struct {
	File string // the file the reference is in; empty for a string or the environment
	Line int    // 1-based line of the value holding the reference; 0 when unknown
	Key  string // the variable or key holding the reference, when known
	Ref  string // the reference, its URI's query values and user information removed
	// More counts the other references that failed in the same call; Err
	// is the first failure in document order.
	More int
	Err  error
}

// Error formats as "file:line: KEY: ${secret:uri}: cause".
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	if e.Ref != "" {
		b.WriteString(e.Ref + ": ")
	}
	b.WriteString(e.Err.Error())
	if e.More > 0 {
		fmt.Fprintf(&b, " (and %d more failed reference", e.More)
		if e.More > 1 {
			b.WriteString("s")
		}
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Resolver expands references. The zero value uses provider.DefaultURLMux,
// so the schemes of the backend packages the program imports work.
// A Resolver is safe for concurrent use.
type Resolver struct {
	// Mux opens the providers references name; nil means
	// provider.DefaultURLMux().
	Mux *provider.URLMux
}

func (r *Resolver) mux() *provider.URLMux {
	if r == nil || r.Mux == nil {
		return provider.DefaultURLMux()
	}
	return r.Mux
}

// segment is a piece of a string: literal text, or a reference when isRef.
type segment struct {
	text  string
	isRef bool
}

// parse splits s into literal text and references. It fails only on a
// malformed reference.
func parse(s string) ([]segment, error) {
	var out []segment
	var lit strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], escape):
			lit.WriteString(opener)
			i += len(escape)
		case strings.HasPrefix(s[i:], opener):
			end := strings.IndexByte(s[i+len(opener):], '}')
			if end < 0 {
				return nil, fmt.Errorf("%w: %s... has no closing '}'", ErrSyntax, opener)
			}
			uri := strings.TrimSpace(s[i+len(opener) : i+len(opener)+end])
			if uri == "" {
				return nil, fmt.Errorf("%w: %s} names no secret URI", ErrSyntax, opener)
			}
			if lit.Len() > 0 {
				out = append(out, segment{text: lit.String()})
				lit.Reset()
			}
			out = append(out, segment{text: uri, isRef: true})
			i += len(opener) + end + 1
		default:
			lit.WriteByte(s[i])
			i++
		}
	}
	if lit.Len() > 0 {
		out = append(out, segment{text: lit.String()})
	}
	return out, nil
}

// Refs returns the URIs of the references in s, in order, repeats
// included. It fails with ErrSyntax on a malformed reference.
func Refs(s string) ([]string, error) {
	segs, err := parse(s)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, seg := range segs {
		if seg.isRef {
			out = append(out, seg.text)
		}
	}
	return out, nil
}

// mayHold reports whether s can contain a reference or an escape; strings
// that cannot are left untouched byte for byte.
func mayHold(s string) bool { return strings.Contains(s, opener) }

// site is one string to expand and where it is.
type site struct {
	text string
	file string
	line int
	key  string
	segs []segment
	// set stores the expanded string.
	set func(string) error
}

// job collects the sites of one document and expands them together, so
// that every distinct reference is fetched once.
type job struct {
	r     *Resolver
	sites []*site
}

func (j *job) add(s *site) error {
	segs, err := parse(s.text)
	if err != nil {
		return &Error{File: s.file, Line: s.line, Key: s.key, Err: err}
	}
	s.segs = segs
	j.sites = append(j.sites, s)
	return nil
}

// fetched is the outcome of one distinct reference URI.
type fetched struct {
	secret provider.SecretURI
	value  provider.Value
	err    error
}

// run fetches every reference of the job and stores the expanded strings.
func (j *job) run(ctx context.Context) error {
	results, err := j.r.fetch(ctx, j.uris())
	if err != nil {
		return err
	}
	var first *Error
	failed := 0
	for _, s := range j.sites {
		var b strings.Builder
		var siteErr *Error
		for _, seg := range s.segs {
			if !seg.isRef {
				b.WriteString(seg.text)
				continue
			}
			f := results[seg.text]
			if f.err != nil {
				siteErr = &Error{File: s.file, Line: s.line, Key: s.key, Ref: redactRef(seg.text), Err: f.err}
				break
			}
			b.WriteString(f.value.Reveal())
		}
		if siteErr == nil {
			if err := s.set(b.String()); err != nil {
				siteErr = &Error{File: s.file, Line: s.line, Key: s.key, Ref: refsOf(s.segs), Err: err}
			}
		}
		if siteErr != nil {
			failed++
			if first == nil {
				first = siteErr
			}
		}
	}
	if first != nil {
		first.More = failed - 1
		return first
	}
	return nil
}

func (j *job) uris() []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range j.sites {
		for _, seg := range s.segs {
			if seg.isRef && !seen[seg.text] {
				seen[seg.text] = true
				out = append(out, seg.text)
			}
		}
	}
	return out
}

// fetch resolves each distinct URI: parsed once, grouped by provider URI,
// each provider opened once and its latest versions read in one GetMany.
// The error is non-nil only when ctx ended.
func (r *Resolver) fetch(ctx context.Context, uris []string) (map[string]fetched, error) {
	if len(uris) == 0 {
		return nil, nil
	}
	mux := r.mux()
	out := make(map[string]fetched, len(uris))
	type group struct {
		latest  []string // distinct names
		pinned  []provider.SecretURI
		results map[provider.SecretURI]fetched
	}
	groups := map[string]*group{}
	var order []string
	for _, uri := range uris {
		s, err := mux.ParseSecretURI(ctx, uri)
		if err != nil {
			out[uri] = fetched{err: err}
			continue
		}
		out[uri] = fetched{secret: s}
		g := groups[s.Provider]
		if g == nil {
			g = &group{results: map[provider.SecretURI]fetched{}}
			groups[s.Provider] = g
			order = append(order, s.Provider)
		}
		if _, dup := g.results[s]; dup {
			continue
		}
		g.results[s] = fetched{}
		if s.Version == "" {
			g.latest = append(g.latest, s.Name)
		} else {
			g.pinned = append(g.pinned, s)
		}
	}
	var wg sync.WaitGroup
	for _, providerURI := range order {
		g := groups[providerURI]
		wg.Go(func() {
			fail := func(err error) {
				for s := range g.results {
					g.results[s] = fetched{err: err}
				}
			}
			p, err := mux.OpenProvider(ctx, providerURI)
			if err != nil {
				fail(err)
				return
			}
			defer provider.Close(p)
			if len(g.latest) > 0 {
				results, err := provider.GetMany(ctx, p, g.latest)
				if err != nil {
					fail(err)
					return
				}
				for i, res := range results {
					s := provider.SecretURI{Provider: providerURI, Name: g.latest[i]}
					g.results[s] = fetched{value: res.Secret.Value, err: res.Err}
				}
			}
			for _, s := range g.pinned {
				sec, err := p.GetSecret(ctx, s.Name, s.Version)
				g.results[s] = fetched{value: sec.Value, err: err}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for uri, f := range out {
		if f.err == nil {
			out[uri] = groups[f.secret.Provider].results[f.secret]
		}
	}
	return out, nil
}

// String expands the references in s.
func (r *Resolver) String(ctx context.Context, s string) (string, error) {
	var out string
	j := &job{r: r}
	if err := j.add(&site{text: s, set: func(v string) error { out = v; return nil }}); err != nil {
		return "", err
	}
	if err := j.run(ctx); err != nil {
		return "", err
	}
	return out, nil
}

// textOnly rejects values that cannot be embedded in a text document
// without changing them. Only the length is named, never the value.
func textOnly(v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("the expanded value (%d bytes) is not UTF-8 text and cannot be embedded", len(v))
	}
	return nil
}

// redactRef shows a reference without its URI's user information and
// query values (other than version), which may be credentials.
func redactRef(uri string) string {
	return opener + redactURI(uri) + "}"
}

func redactURI(uri string) string {
	// Any case, as the mux reads the scheme: parsed as one URL, a chain
	// keeps its later members' user information in its opaque part.
	const chain = provider.ChainScheme + ":"
	if len(uri) >= len(chain) && strings.EqualFold(uri[:len(chain)], chain) {
		members := uri[len(chain):]
		name := ""
		if i := strings.LastIndex(members, "#"); i >= 0 {
			members, name = members[:i], members[i:]
		}
		fields := strings.Fields(members)
		for i, f := range fields {
			fields[i] = redactURI(f)
		}
		return "chain:" + strings.Join(fields, " ") + name
	}
	u, err := url.Parse(uri)
	if err != nil {
		return "(malformed URI)"
	}
	u.User = nil
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if k != "version" {
				q[k] = []string{"..."}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// refsOf lists the references of segs for an error about the whole value.
func refsOf(segs []segment) string {
	var refs []string
	for _, seg := range segs {
		if seg.isRef {
			refs = append(refs, redactRef(seg.text))
		}
	}
	return strings.Join(refs, " ")
}
