// Package access decides who may do what in a vault: the caller a token
// names, the vault's access policies or role assignments, and the denial
// that becomes a 403. It is pure: no HTTP, no store. What operations,
// permissions, data actions and roles exist is Key Vault's vocabulary, in
// package kv.
package access

import (
	"context"

	"github.com/secretkit/secretkit/kv"
)

// Caller is who a validated bearer token says is calling.
type Caller struct {
	TenantID   string
	ObjectID   string // oid
	ClientID   string // appid / azp
	ResourceID string // xms_mirid, empty when the token has none
}

// Authenticator validates bearer tokens. The vault API calls it for every
// request that carries one; resource is what the vault API advertised in its
// challenge for the requested host, which the token's audience must match
// (https://vault.azure.net is always acceptable).
//
// A non-nil error means 401 Unauthorized; its Error() text is sent as the
// error message and must be the service's own wording (AKV100xx: ...).
type Authenticator interface {
	Authenticate(ctx context.Context, bearer, resource string) (Caller, error)
}

// Renewable is implemented by Authenticate errors that a fresh token for
// the same identity would cure: the token expired or is not yet valid on
// the emulator's clock, or was signed by a key or tenant this emulator does
// not use (another emulator in the same process, before a restart with a
// new key). When the error is also ClaimsCapable, the vault API answers
// with a claims challenge, which makes the SDKs bypass their token cache
// and fetch a new token once — the way continuous access evaluation works
// against the real service.
type Renewable interface {
	Renewable() bool
}

// ClaimsCapable is implemented by Authenticate errors about a token whose
// client declared it can answer a claims challenge (the "cp1" client
// capability, carried in the token's xms_cc claim). Key Vault sends a
// claims challenge only to such clients; every other client gets the
// standard challenge, which older SDKs cannot misread.
type ClaimsCapable interface {
	CanAnswerClaimsChallenge() bool
}

// Authorizer decides whether caller may perform op on secret (empty for
// operations on the whole vault, such as list) in the named vault. It
// returns nil to allow, or the Denial that becomes a 403 response.
type Authorizer interface {
	Authorize(vault string, caller Caller, op kv.Operation, secret string) *Denial
}

// Denial is a refused authorization: sent as 403 with code "Forbidden",
// innererror code InnerCode ("AccessDenied" for access policies,
// "ForbiddenByRbac" for RBAC) and Message.
type Denial struct {
	InnerCode string
	Message   string
}
