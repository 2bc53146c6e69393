// Package azurekv provides secrets from Azure Key Vault through the official
// azsecrets client: latest and pinned versions, listings without values,
// bulk reads with bounded parallelism, and the writes a command-line tool
// needs (Set, soft Delete, Recover, Purge, Backup, Restore, property updates).
//
// Errors are *provider.Error whose Err is the SDK's error, so
// errors.As(err, &respErr) with a *azcore.ResponseError still works, and
// [ErrorCode] returns Key Vault's most specific error code (AccessDenied,
// ForbiddenByRbac, SecretDisabled, SecretNotFound, ...). The kinds:
//
//	404                                  provider.ErrNotFound
//	401, 403 (including SecretDisabled)  provider.ErrPermissionDenied
//	400                                  provider.ErrInvalidArgument
//	408, 429, 5xx, network errors,
//	timeouts of a single try             provider.ErrUnavailable
//	the caller's context ended           no kind; errors.Is(err, ctx.Err())
//	misconfigurations (below), 409       no kind
//
// Misconfigurations are failures retrying cannot fix, so they are not
// retried and come back at once instead of after the SDK's back-off: a
// certificate that is not trusted or names another host, a host name that
// does not resolve, and a refused connection to a loopback address (to the
// vault or to the managed-identity endpoint: nothing listens on that port).
// The transport's error (an x509 error, *net.DNSError, *net.OpError) stays
// reachable with errors.As. A refused connection to any other address is a
// network error like the others, retried and ErrUnavailable.
//
// A disabled version is reported as Key Vault reports it: permission denied
// with code SecretDisabled. It is not hidden as not-found, because the
// secret exists and an operator disabled it on purpose; and a read of the
// latest version does not fall back to an older enabled one, because in Key
// Vault disabling the newest version is how a secret is withdrawn.
//
// Importing the package registers the "azurekv" URI scheme with package
// provider, so programs that choose their backend by configuration import it
// for its side effect:
//
//	import _ "github.com/secretkit/secretkit/azurekv"
//
//	azurekv://myvault.vault.azure.net                      identity from the environment (mi.FromEnv)
//	azurekv://myvault.vault.azure.net?identity=system      the system-assigned identity
//	azurekv://myvault.vault.azure.net?identity=client:<guid>
//	azurekv://127.0.0.1:8443?disableChallengeResourceVerification=true
//
// The registered URI form uses a managed identity (package mi) and the
// process's default TLS trust (SSL_CERT_FILE is honoured on Linux); register
// a configured [URLOpener] with a provider.URLMux, or build a Provider with
// [New], for any other credential or transport.
package azurekv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/internal/fastfail"
	"github.com/secretkit/secretkit/internal/redact"
	"github.com/secretkit/secretkit/kv"
	"github.com/secretkit/secretkit/provider"
)

// Name is the provider name in errors.
const Name = "azurekv"

// Scheme is the URI scheme this package registers.
const Scheme = "azurekv"

// DefaultMaxConcurrency bounds the requests one GetSecrets call has in
// flight when Options.MaxConcurrency is zero. Key Vault allows 4,000 reads
// per vault per 10 s, shared by every client of the vault; eight parallel
// reads stay far below that while hiding most of the round-trip latency.
const DefaultMaxConcurrency = 8

// MaxNameLength is the longest secret name Key Vault accepts.
const MaxNameLength = kv.MaxSecretNameLength

// Options configures [New]. A nil *Options means the defaults.
type Options struct {
	// ClientOptions configures the HTTP pipeline of the azsecrets client
	// (Transport, Retry, Logging, ...), exactly as in
	// azsecrets.ClientOptions. It does not configure the credential, which
	// has options of its own.
	ClientOptions azcore.ClientOptions

	// DisableChallengeResourceVerification turns off the SDK's check that
	// the vault's authentication challenge names a resource whose host is
	// a parent domain of the vault URL's host. Leave it off for real
	// vaults; it is needed only for a vault reached by an address such as
	// https://127.0.0.1:8443/.
	DisableChallengeResourceVerification bool

	// MaxConcurrency bounds the requests one GetSecrets call has in
	// flight. Zero or less means DefaultMaxConcurrency.
	MaxConcurrency int

	// RootCAs, when non-nil, is the only set of CAs the vault's TLS
	// certificate is verified against: New builds a transport (a clone of
	// http.DefaultTransport) that trusts exactly these CAs. It cannot be
	// combined with ClientOptions.Transport; configure that transport's
	// TLS instead.
	RootCAs *x509.CertPool
}

// Provider reads and writes the secrets of one Key Vault. It implements
// provider.SecretProvider, provider.Lister, provider.VersionLister,
// provider.BulkGetter, provider.Setter, provider.Deleter,
// provider.Recoverer, provider.Purger, provider.DeletedLister and
// provider.Updater, has Key Vault's own BackupSecret and RestoreSecret, and
// is safe for concurrent use. It holds no
// resources that need closing.
type Provider struct {
	client         *azsecrets.Client
	maxConcurrency int
}

// New returns a provider for the vault at vaultURL, such as
// "https://myvault.vault.azure.net/", authenticating with cred. It sends no
// request; the first call elicits the vault's authentication challenge.
//
// Errors are *provider.Error with Op "open" and Kind ErrInvalidArgument: a
// vaultURL that is not an absolute https URL without query or fragment, a
// nil cred, or both RootCAs and ClientOptions.Transport set.
func New(vaultURL string, cred azcore.TokenCredential, opts *Options) (*Provider, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	invalid := func(format string, args ...any) (*Provider, error) {
		return nil, provider.NewError(Name, "open", "", provider.ErrInvalidArgument, fmt.Errorf(format, args...))
	}
	u, err := url.Parse(vaultURL)
	if err != nil {
		return invalid("vault URL: %v", redact.ParseError(err))
	}
	// The SDK refuses to send a bearer token over plain HTTP, so an http
	// URL would fail on every call; say so now.
	if u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		// A vault URL's fragment names no secret, unlike a provider URI's
		// (which redact.URL keeps), and may hold a token: leave it out too.
		shown := *u
		shown.Fragment, shown.RawFragment = "", ""
		return invalid("vault URL %q (user, query and fragment not shown) must be https://host[:port]/ with no user, query or fragment", redact.URL(&shown))
	}
	if cred == nil {
		return invalid("a credential is required")
	}
	if o.RootCAs != nil {
		if o.ClientOptions.Transport != nil {
			return invalid("RootCAs and ClientOptions.Transport are exclusive; set the CAs on the transport")
		}
		o.ClientOptions.Transport = transportTrusting(o.RootCAs)
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = DefaultMaxConcurrency
	}
	// Misconfigurations (untrusted certificate, unknown host, nothing
	// listening on a loopback port) fail at once instead of after the
	// retry policy's back-off; see classify for how they are reported.
	o.ClientOptions.Transport = fastfail.Transport(o.ClientOptions.Transport)
	client, err := azsecrets.NewClient(vaultURL, recordingCredential{cred}, &azsecrets.ClientOptions{
		ClientOptions:                        o.ClientOptions,
		DisableChallengeResourceVerification: o.DisableChallengeResourceVerification,
	})
	if err != nil {
		return invalid("%v", err)
	}
	return &Provider{client: client, maxConcurrency: o.MaxConcurrency}, nil
}

// transportTrusting returns an HTTP client like the default one whose TLS
// verification uses pool alone.
func transportTrusting(pool *x509.CertPool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t}
}

// Capabilities implements provider.CapabilityReporter.
func (p *Provider) Capabilities() provider.Capabilities {
	return provider.Capabilities{List: true, ListVersions: true, GetMany: true, Set: true, Delete: true,
		Recover: true, Purge: true, ListDeleted: true, Update: true}
}

// GetSecret implements provider.SecretProvider with one GET request. An
// empty version reads the newest version, as Key Vault defines it (see the
// package documentation for disabled versions). The returned Secret's Name
// is the vault's spelling of the name (names are case-insensitive), its
// Version the 32-hex-digit version id, and ContentType, Tags and the
// attributes are those of the version read.
func (p *Provider) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	if err := checkName(name); err != nil {
		return provider.Secret{}, provider.NewError(Name, "get", name, provider.ErrInvalidArgument, err)
	}
	if err := checkVersion(version); err != nil {
		return provider.Secret{}, provider.NewError(Name, "get", name, provider.ErrInvalidArgument, err)
	}
	// The pipeline would notice a done context too, but only after building
	// and starting the request.
	if err := ctx.Err(); err != nil {
		return provider.Secret{}, provider.NewError(Name, "get", name, nil, err)
	}
	resp, err := p.client.GetSecret(ctx, name, version, nil)
	if err != nil {
		return provider.Secret{}, classify(ctx, "get", name, err)
	}
	return secretOf(&resp.Secret, name), nil
}

// checkName applies Key Vault's name rule (1–127 of ASCII letters, digits
// and '-') before any request, so a name the service would reject costs
// no round trip and cannot alter the request path.
func checkName(name string) error { return kv.CheckSecretName(name) }

// checkVersion accepts the empty version (latest) and anything shaped like
// a version id the service issues, which is letters and digits only; other
// characters would change the meaning of the request path.
func checkVersion(version string) error {
	for i := 0; i < len(version); i++ {
		if !isAlnum(version[i]) {
			return fmt.Errorf("version %q is malformed; Key Vault versions are letters and digits", version)
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// secretOf converts a response bundle. fallbackName is used only if the
// service sent no id, which it always does.
func secretOf(s *azsecrets.Secret, fallbackName string) provider.Secret {
	out := provider.Secret{Metadata: metadataOf(s.ID, s.ContentType, s.Tags, s.Attributes)}
	if out.Name == "" {
		out.Name = fallbackName
	}
	if s.Value != nil {
		out.Value = provider.NewValue(*s.Value)
	}
	return out
}

func metadataOf(id *azsecrets.ID, contentType *string, tags map[string]*string, attrs *azsecrets.SecretAttributes) provider.Metadata {
	var m provider.Metadata
	if id != nil {
		m.Name, m.Version = idParts(id)
	}
	if contentType != nil {
		m.ContentType = *contentType
	}
	if len(tags) > 0 {
		m.Tags = make(map[string]string, len(tags))
		for k, v := range tags {
			if v != nil {
				m.Tags[k] = *v
			} else {
				m.Tags[k] = ""
			}
		}
	}
	// Key Vault always sends attributes; a version without them is treated
	// as enabled because the service answered for it.
	m.Enabled = true
	if attrs != nil {
		if attrs.Enabled != nil {
			m.Enabled = *attrs.Enabled
		}
		m.NotBefore = timeOf(attrs.NotBefore)
		m.Expires = timeOf(attrs.Expires)
		m.Created = timeOf(attrs.Created)
		m.Updated = timeOf(attrs.Updated)
	}
	return m
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// idParts returns the name and version of an id such as
// https://myvault.vault.azure.net/secrets/db-password/0123... with the SDK's
// own parser; the version is empty in ids that carry none (listings of
// secrets). An id the SDK cannot split gives empty strings: ID.Name
// dereferences a nil name for such ids (azsecrets v1.5.1), and a server's
// odd answer must not crash the caller.
func idParts(id *azsecrets.ID) (name, version string) {
	defer func() {
		if recover() != nil {
			name, version = "", ""
		}
	}()
	return id.Name(), id.Version()
}
