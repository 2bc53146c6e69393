package vault

import "fmt"

// failureKind classifies why a secret rule refused a request. The HTTP layer
// maps each kind to one status, error code and inner error code, so the
// domain layer never speaks HTTP.
type failureKind int

const (
	kindNotFound        failureKind = iota + 1 // 404 SecretNotFound
	kindDeletedConflict                        // 409 Conflict / ObjectIsDeletedButRecoverable
	kindNameInUse                              // 409 Conflict
	kindDisabled                               // 403 Forbidden / SecretDisabled
	kindPurgeProtected                         // 403 Forbidden
	kindInvalid                                // 400 BadParameter
)

// ruleError is a refusal by the secret rules. Message is the service's own
// wording and is sent to the client; it must never contain a secret value.
type ruleError struct {
	kind    failureKind
	message string
}

func (e *ruleError) Error() string { return e.message }

// notFoundHint is the tail the service appends to every "secret not found"
// message.
const notFoundHint = " If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"

func errSecretNotFound(name string) error {
	return &ruleError{kindNotFound, fmt.Sprintf("A secret with (name/id) %s was not found in this key vault.%s", name, notFoundHint)}
}

// unconfirmed: the service's wording for a missing version of an existing
// secret; the name/id form is the documented one for missing secrets.
func errVersionNotFound(name, version string) error {
	return &ruleError{kindNotFound, fmt.Sprintf("A secret with (name/id) %s/%s was not found in this key vault.%s", name, version, notFoundHint)}
}

func errDeletedNotFound(name string) error {
	return &ruleError{kindNotFound, "Deleted Secret not found: " + name}
}

func errDeletedButRecoverable(name string) error {
	return &ruleError{kindDeletedConflict, fmt.Sprintf("Secret %s is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", name)}
}

// unconfirmed: wording of the restore-into-an-existing-name conflict.
func errNameInUse(name string) error {
	return &ruleError{kindNameInUse, fmt.Sprintf("Secret %s already exists. Restore cannot overwrite an existing secret.", name)}
}

func errDisabled(op string) error {
	return &ruleError{kindDisabled, fmt.Sprintf("Operation %s is not allowed on a disabled secret.", op)}
}

func errPurgeProtected(vault string) error {
	// "location" has no meaning in the emulator; the service names the
	// Azure region there.
	return &ruleError{kindPurgeProtected, fmt.Sprintf("Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: %s;location=emulator", vault)}
}

func errInvalid(message string) error { return &ruleError{kindInvalid, message} }

// Validation messages.
const (
	msgInvalidProperty = "Property has invalid value"
	// unconfirmed: the service's text for an oversized value.
	msgValueTooLarge = "Secret value exceeds the maximum allowed size of 25600 bytes."
	// unconfirmed: the service's text for a set without a value.
	msgValueRequired = "Property 'value' is required."
	// The text az CLI surfaces for a blob from another vault/subscription.
	msgBadBackup = "Cannot decrypt backup blob"
)
