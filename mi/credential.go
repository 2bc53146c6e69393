package mi

import (
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
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
func NewCredential(sel Selector, opts *Options) (*azidentity.ManagedIdentityCredential, error) {
	if opts == nil {
		opts = &Options{}
	}
	if err := sel.validate(); err != nil {
		return nil, fmt.Errorf("mi: invalid identity %s: %s", sel, err)
	}
	if err := sel.Check(DetectSource(Environment{})); err != nil {
		return nil, err
	}
	o := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts.ClientOptions}
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
