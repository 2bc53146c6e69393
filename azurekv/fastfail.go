package azurekv

import (
	"context"
	"errors"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/secretkit/secretkit/internal/fastfail"
)

// recordingCredential passes token requests to a credential and, when one
// fails, attaches the permanent transport error it met (see package
// fastfail) to the credential's error. azidentity reports a failed token
// request with the transport error's text only; attached, the error stays
// inspectable (errors.As reaches both) and is classified as a
// misconfiguration rather than an outage.
type recordingCredential struct{ cred azcore.TokenCredential }

func (c recordingCredential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	ctx, rec := fastfail.WithRecorder(ctx)
	tok, err := c.cred.GetToken(ctx, opts)
	if err != nil {
		if cause := rec.Err(); cause != nil && !errors.Is(err, cause) {
			err = &tokenError{err: err, cause: cause}
		}
	}
	return tok, err
}

// tokenError is a credential's error with the permanent transport error
// behind it. Its text is the credential's, which already quotes the cause.
type tokenError struct {
	err   error
	cause error
}

func (e *tokenError) Error() string   { return e.err.Error() }
func (e *tokenError) Unwrap() []error { return []error{e.err, e.cause} }

// NonRetriable: the vault's pipeline must not retry a request whose token
// request failed for good.
func (*tokenError) NonRetriable() {}
