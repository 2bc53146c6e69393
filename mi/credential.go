package mi

import (
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretkit/secretkit/internal/fastfail"
)

// Options configures NewCredential. A nil *Options means the defaults.
type Options struct {
	// ClientOptions configures the credential's HTTP pipeline exactly as in
	// azidentity.ManagedIdentityCredentialOptions: Transport, Retry,
	// Logging and so on.
	ClientOptions azcore.ClientOptions
}

// NewCredential builds azidentity's ManagedIdentityCredential for sel in the
// running process's environment. It validates sel first (a Selector built
// by hand, or taken from FromEnv, may hold an id that is not a GUID) and
// checks it against DetectSource(Environment{}), so an identity the source
// cannot serve fails here with an error wrapping ErrUnsupportedIdentity
// rather than inside the SDK. It sends no request: the first token request
// happens on the credential's first GetToken.
//
// Token requests that fail in a way retrying cannot fix — a refused
// connection to a loopback endpoint (the emulator or the Arc agent is not
// running, or the port is wrong), a host name that does not exist, an
// untrusted certificate — fail at once instead of after the SDK's retries
// (about 8 s); other failures are retried as the SDK's policy says.
func NewCredential(sel Selector, opts *Options) (*azidentity.ManagedIdentityCredential, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := sel.validate(); err != nil {
		return nil, fmt.Errorf("mi: invalid identity %s: %s", sel, err)
	}
	src := DetectSource(Environment{})
	if err := sel.Check(src); err != nil {
		return nil, err
	}
	o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts.ClientOptions}
	// Service Fabric pins its certificate on an *http.Client the SDK
	// clones, so its transport is left as given.
	if src.Name != ServiceFabric {
		o.ClientOptions.Transport = fastfail.Transport(o.ClientOptions.Transport)
	}
	switch sel.Kind {
	case ClientID:
		o.ID = azidentity.ClientID(sel.Value)
	case ObjectID:
		o.ID = azidentity.ObjectID(sel.Value)
	case ResourceID:
		o.ID = azidentity.ResourceID(sel.Value)
	}
	cred, err := azidentity.NewManagedIdentityCredential(o)
	if err != nil {
		return nil, fmt.Errorf("mi: %s: %w", sel, err)
	}
	return cred, nil
}
