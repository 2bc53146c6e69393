package provider

import "context"

// SetOptions are the optional properties of a new version written by a
// [Setter]. A nil *SetOptions sets none of them. A backend without such
// properties rejects non-empty options with ErrInvalidArgument rather than
// dropping them.
type SetOptions struct {
	// ContentType is a free-form hint such as "text/plain".
	ContentType string
	// Tags belong to the new version only; they replace nothing.
	Tags map[string]string
}

// Setter is the optional ability to write secrets.
type Setter interface {
	// SetSecret stores value as the new latest version of the secret
	// called name, creating the secret if needed, and returns it (its
	// Value is value). Errors follow [SecretProvider.GetSecret]: a name
	// the backend cannot spell is ErrInvalidArgument without a request, a
	// caller who may not write gets ErrPermissionDenied, and the error
	// never includes the value.
	SetSecret(ctx context.Context, name string, value Value, opts *SetOptions) (Secret, error)
}

// Deleter is the optional ability to delete secrets.
type Deleter interface {
	// DeleteSecret removes the secret called name with all its versions,
	// so that reads report ErrNotFound. Deleting a secret that does not
	// exist is ErrNotFound. Backends with soft delete (Key Vault) keep
	// the secret recoverable and its name taken for a while.
	DeleteSecret(ctx context.Context, name string) error
}
