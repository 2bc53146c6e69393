package provider

import (
	"errors"
	"strconv"
)

// The error kinds. Every *Error a provider returns unwraps to at most one of
// them; test with errors.Is, never by matching message text.
var (
	// ErrNotFound: the secret, or the requested version, does not exist
	// (or is disabled where the backend hides disabled secrets). Not retryable.
	ErrNotFound = errors.New("secret not found")
	// ErrPermissionDenied: the backend refused the caller. Retrying with the
	// same identity will not help.
	ErrPermissionDenied = errors.New("permission denied")
	// ErrInvalidArgument: the name, version or a provider option is not
	// acceptable to the backend; the request was not attempted.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrUnavailable: a transient failure (network, throttling, a server
	// error); the same call may succeed later.
	ErrUnavailable = errors.New("backend unavailable")
)

// Error is the typed error providers return. It names where the failure
// happened but never carries a secret value: Err must not contain one either.
//
// Error unwraps to both Kind and Err, so errors.Is matches the kind (or a
// context error) and errors.As reaches the backend's own error type.
type Error struct {
	Provider string // backend name, e.g. "env", "file", "azurekv"
	Op       string // operation, e.g. "get", "list", "open"
	Name     string // secret name, or empty when the operation has none
	Kind     error  // one of the Err* kinds, or nil when none fits
	Err      error  // the backend's error; may be nil when Kind says it all
}

// NewError returns an *Error. It is a convenience for backends; kind may be
// nil and err may be nil, but not both.
func NewError(provider, op, name string, kind, err error) error {
	return &Error{Provider: provider, Op: op, Name: name, Kind: kind, Err: err}
}

// Error formats as `provider: op "name": kind: err`, omitting empty parts.
func (e *Error) Error() string {
	msg := e.Provider + ": " + e.Op
	if e.Name != "" {
		msg += " " + strconv.Quote(e.Name)
	}
	if e.Kind != nil {
		msg += ": " + e.Kind.Error()
	}
	if e.Err != nil && e.Err != e.Kind {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns Kind and Err, whichever are set.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}
