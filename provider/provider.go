// Package provider is the portable contract between programs that read secrets
// and the backends that hold them (environment, files, Azure Key Vault, ...).
//
// A backend implements [SecretProvider] and, where it can, the optional
// ability interfaces [Lister], [VersionLister], [BulkGetter], [Setter],
// [Deleter] and [io.Closer].
// Callers discover abilities with [CapabilitiesOf] rather than by widening the
// required interface, so a minimal backend stays one method long.
//
// Every error a backend returns is classified with [errors.Is] against
// [ErrNotFound], [ErrPermissionDenied], [ErrInvalidArgument] and
// [ErrUnavailable], or is the context's own error. Secret values travel as
// [Value], which never prints its plaintext.
//
// Backends register a URI scheme with [Register] so programs can choose a
// backend by configuration alone with [Open]; [URLMux] owns the URI grammar
// and lets programs configure openers.
package provider

import (
	"context"
	"io"
	"iter"
	"log/slog"
	"time"
)

// SecretProvider reads secrets from one backend. It is the only interface a
// backend must implement.
//
// Implementations must be safe for concurrent use by multiple goroutines.
type SecretProvider interface {
	// GetSecret returns the secret called name. An empty version asks for
	// the latest version; a non-empty version asks for exactly that
	// version. A backend that can disable a version refuses to read a
	// disabled one with ErrPermissionDenied (as Key Vault does) rather than
	// falling back to an older version.
	//
	// GetSecret must:
	//   - return an error satisfying errors.Is(err, ErrNotFound) when the
	//     secret, or the requested version, does not exist. Backends without
	//     versions treat every non-empty version as not found.
	//   - return a secret with a zero-length Value, and no error, when the
	//     secret exists and its value is empty; absence is never reported as
	//     an empty value.
	//   - return an error satisfying errors.Is(err, ErrInvalidArgument)
	//     when name is not a valid name for the backend, without contacting it.
	//   - return promptly once ctx is done, with an error satisfying
	//     errors.Is(err, ctx.Err()).
	//   - never include the secret's value in the returned error.
	//
	// The returned Secret's Name is the backend's canonical spelling of
	// name, and its Version is empty when the backend has no versions.
	GetSecret(ctx context.Context, name, version string) (Secret, error)
}

// Lister is the optional ability to enumerate secrets without their values.
type Lister interface {
	// ListSecrets yields the metadata of every secret the caller may see,
	// in no particular order, never including values. Version is empty or
	// names the latest version. On failure it yields a zero Metadata with a
	// non-nil error and stops. It must stop promptly when ctx is done,
	// yielding the context's error.
	ListSecrets(ctx context.Context) iter.Seq2[Metadata, error]
}

// VersionLister is the optional ability to enumerate the versions of one
// secret, without their values.
type VersionLister interface {
	// ListSecretVersions yields the metadata of every version of the secret
	// called name, each with a non-empty Version, in no particular order.
	// A secret that does not exist yields one ErrNotFound error. Errors and
	// cancellation behave as for [Lister.ListSecrets].
	ListSecretVersions(ctx context.Context, name string) iter.Seq2[Metadata, error]
}

// BulkGetter is the optional ability to read many secrets in one call,
// typically cheaper than calling GetSecret in a loop.
type BulkGetter interface {
	// GetSecrets returns one Result per name, in the order of names, each
	// holding either the latest version or the error GetSecret would have
	// returned for that name. A failure for one name (not found, denied,
	// invalid) must not fail the others. The error is non-nil only when
	// no name could be attempted at all, such as when ctx is already done;
	// the results are then nil.
	GetSecrets(ctx context.Context, names []string) ([]Result, error)
}

// Result is one name's outcome in a bulk read: exactly one of Secret (when
// Err is nil) and Err is meaningful.
type Result struct {
	Name   string
	Secret Secret
	Err    error
}

// Metadata describes a secret without its value; it is what listings return.
// Zero times mean the backend does not record that attribute; JSON leaves
// them out and writes the others in RFC 3339 form.
type Metadata struct {
	Name        string            `json:"name"`
	Version     string            `json:"version,omitempty"` // empty when the backend has no versions
	ContentType string            `json:"contentType,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Enabled     bool              `json:"enabled"`
	NotBefore   time.Time         `json:"notBefore,omitzero"`
	Expires     time.Time         `json:"expires,omitzero"`
	Created     time.Time         `json:"created,omitzero"`
	Updated     time.Time         `json:"updated,omitzero"`
}

// Secret is one version of a secret: its metadata and its value. Printing
// it shows only its name and version (see [Secret.String]); encoding it
// as JSON writes the value as [Redacted].
type Secret struct {
	Metadata
	Value Value `json:"value"`
}

// String returns the secret's name and version, as "name@version" (or
// "name" without versions), and " (disabled)" for a disabled version:
// enough to say which secret a log line is about, never its value or tags.
func (s Secret) String() string {
	out := s.Name
	if s.Version != "" {
		out += "@" + s.Version
	}
	if !s.Enabled {
		out += " (disabled)"
	}
	return out
}

// LogValue makes log/slog record the secret as [Secret.String] does.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Capabilities declares which optional abilities a provider really supports.
// The contract suite (package providertest) compares it with the harness's
// declaration, so a provider can neither lose nor gain an ability silently.
type Capabilities struct {
	List         bool // implements Lister
	ListVersions bool // implements VersionLister
	GetMany      bool // implements BulkGetter
	Close        bool // implements io.Closer
	Set          bool // implements Setter
	Delete       bool // implements Deleter
}

// CapabilityReporter is implemented by providers whose Go method set is wider
// than what they can actually do, such as decorators that forward optional
// methods only when the wrapped provider has them. Their optional methods
// return an error satisfying errors.Is(err, errors.ErrUnsupported) when the
// reported capability is false.
type CapabilityReporter interface {
	Capabilities() Capabilities
}

// CapabilitiesOf reports the abilities of p: its own report when it is a
// [CapabilityReporter], otherwise the optional interfaces it implements.
func CapabilitiesOf(p SecretProvider) Capabilities {
	if r, ok := p.(CapabilityReporter); ok {
		return r.Capabilities()
	}
	_, list := p.(Lister)
	_, versions := p.(VersionLister)
	_, bulk := p.(BulkGetter)
	_, closer := p.(io.Closer)
	_, set := p.(Setter)
	_, del := p.(Deleter)
	return Capabilities{List: list, ListVersions: versions, GetMany: bulk, Close: closer, Set: set, Delete: del}
}

// GetMany reads names through p's [BulkGetter] when it has that ability,
// and otherwise by calling GetSecret for each name in turn. Its contract is
// that of [BulkGetter.GetSecrets].
func GetMany(ctx context.Context, p SecretProvider, names []string) ([]Result, error) {
	if CapabilitiesOf(p).GetMany {
		if b, ok := p.(BulkGetter); ok {
			return b.GetSecrets(ctx, names)
		}
	}
	return getEach(ctx, p, names)
}

// getEach is the one-at-a-time bulk get: one Result per name, in order.
func getEach(ctx context.Context, p SecretProvider, names []string) ([]Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]Result, len(names))
	for i, name := range names {
		s, err := p.GetSecret(ctx, name, "")
		results[i] = Result{Name: name, Secret: s, Err: err}
	}
	return results, nil
}

// Close closes p when it has that ability and is a no-op otherwise, so
// callers holding a SecretProvider from [Open] can always release it.
func Close(p SecretProvider) error {
	if c, ok := p.(io.Closer); ok && CapabilitiesOf(p).Close {
		return c.Close()
	}
	return nil
}
