package azurekv

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
)

func init() {
	provider.Register(Scheme, provider.URLOpenerFunc(openURL))
}

// openURL opens azurekv://{vault-host}[:port][/]?identity=...&
// disableChallengeResourceVerification=true. The host becomes
// https://{vault-host}/; identity is read by mi.Parse and defaults to
// mi.FromEnv (AZURE_CLIENT_ID, else the system-assigned identity).
func openURL(_ context.Context, u *url.URL) (provider.SecretProvider, error) {
	fail := func(format string, args ...any) error {
		return provider.NewError(Name, "open", "", provider.ErrInvalidArgument, fmt.Errorf(format, args...))
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
	sel := mi.FromEnv(nil)
	var opts Options
	for key, values := range u.Query() {
		if len(values) != 1 {
			return nil, fail("query parameter %q given %d times", key, len(values))
		}
		switch key {
		case "identity":
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
	cred, err := mi.NewCredential(sel, nil)
	if err != nil {
		return nil, provider.NewError(Name, "open", "", provider.ErrInvalidArgument, err)
	}
	return New("https://"+u.Host+"/", cred, &opts)
}
