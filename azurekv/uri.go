package azurekv

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
)

func init() {
	provider.Register(Scheme, &URLOpener{})
}

// URLOpener opens azurekv URIs:
//
//	azurekv://{vault-host}[:port][/]?identity=...&disableChallengeResourceVerification=true
//
// The host becomes https://{vault-host}/. Its zero value is what importing
// the package registers with [provider.DefaultURLMux]: a managed identity
// chosen by the URI's identity= (read by mi.Parse), else mi.FromEnv
// (AZURE_CLIENT_ID, else the system-assigned identity), over the default
// HTTP pipeline. Register a configured one with a [provider.URLMux] to use
// another credential or transport:
//
//	mux := new(provider.URLMux)
//	mux.RegisterProvider(azurekv.Scheme, &azurekv.URLOpener{Credential: cred})
type URLOpener struct {
	// Credential, when set, authenticates to every vault the opener opens,
	// and a URI's identity= is refused (it would be silently ignored).
	// When nil, a managed-identity credential is built per URI.
	Credential azcore.TokenCredential

	// ClientOptions configures the HTTP pipeline of each vault client and,
	// when Credential is nil, of the managed-identity credential: one
	// Transport then carries both, as a test against the emulator needs.
	ClientOptions azcore.ClientOptions

	// MaxConcurrency is Options.MaxConcurrency of each provider.
	MaxConcurrency int

	// DisableChallengeResourceVerification is the default of the URI
	// parameter of the same name; see Options.
	DisableChallengeResourceVerification bool
}

// OpenProviderURL implements provider.URLOpener. It sends no request.
// Errors are *provider.Error with Op "open" and Kind ErrInvalidArgument.
func (o *URLOpener) OpenProviderURL(_ context.Context, u *url.URL) (provider.SecretProvider, error) {
	fail := func(format string, args ...any) error {
		return provider.NewError(Name, "open", "", provider.ErrInvalidArgument, fmt.Errorf(format, args...))
	}
	// The query is checked first: its mistakes (a bad identity) are the
	// most specific thing to report about a URI that is wrong twice.
	sel := mi.FromEnv(nil)
	opts := Options{
		ClientOptions:                        o.ClientOptions,
		MaxConcurrency:                       o.MaxConcurrency,
		DisableChallengeResourceVerification: o.DisableChallengeResourceVerification,
	}
	for key, values := range u.Query() {
		if len(values) != 1 {
			return nil, fail("query parameter %q given %d times", key, len(values))
		}
		switch key {
		case "identity":
			if o.Credential != nil {
				return nil, fail("identity= cannot be used here: this opener has a configured credential")
			}
			s, err := mi.Parse(values[0])
			if err != nil {
				return nil, provider.NewError(Name, "open", "", provider.ErrInvalidArgument, err)
			}
			sel = s
		case "disableChallengeResourceVerification":
			b, err := strconv.ParseBool(values[0])
			if err != nil {
				return nil, fail("disableChallengeResourceVerification=%q is not a boolean", values[0])
			}
			opts.DisableChallengeResourceVerification = b
		default:
			return nil, fail("unknown query parameter %q (known: identity, disableChallengeResourceVerification)", key)
		}
	}
	if u.Opaque != "" || u.Host == "" {
		return nil, fail("azurekv URIs name the vault host: azurekv://myvault.vault.azure.net")
	}
	if u.User != nil {
		return nil, fail("azurekv URIs take no user information")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fail("azurekv URIs have no path; got %q", u.Path)
	}
	cred := o.Credential
	if cred == nil {
		c, err := mi.NewCredential(sel, &mi.Options{ClientOptions: o.ClientOptions})
		if err != nil {
			return nil, provider.NewError(Name, "open", "", provider.ErrInvalidArgument, err)
		}
		cred = c
	}
	return New("https://"+u.Host+"/", cred, &opts)
}
