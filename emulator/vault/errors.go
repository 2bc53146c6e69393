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
	kindMalformedBackup                        // 400 "Malformed backup blob"
)

// ruleError is a refusal by the secret rules. Message is the service's own
// wording and is sent to the client; it must never contain a secret value.
type ruleError struct {
	kind    failureKind
	message string
	// secretPath, when set, is a /secrets/{name}/{version} path that the
	// HTTP layer turns into an absolute id (it alone knows the host) and
	// substitutes for %s in message.
	secretPath string
}

func (e *ruleError) Error() string {
	if e.secretPath != "" {
		return fmt.Sprintf(e.message, e.secretPath)
	}
	return e.message
}

// messageFor returns the message with ids on the given base URL.
func (e *ruleError) messageFor(base string) string {
	if e.secretPath != "" {
		return fmt.Sprintf(e.message, base+e.secretPath)
	}
	return e.message
}

// notFoundHint is the tail the service appends to every "secret not found"
// message.
const notFoundHint = " If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"

func errSecretNotFound(name string) error {
	return &ruleError{kind: kindNotFound, message: fmt.Sprintf("A secret with (name/id) %s was not found in this key vault.%s", name, notFoundHint)}
}

// errVersionNotFound names name/version, as the service does when a
// version is addressed.
func errVersionNotFound(name, version string) error {
	if version == "" {
		return errSecretNotFound(name)
	}
	return &ruleError{kind: kindNotFound, message: fmt.Sprintf("A secret with (name/id) %s/%s was not found in this key vault.%s", name, version, notFoundHint)}
}

// errDeletedNotFound is the service's answer for get-deleted of a name it
// has never heard of: the same text as for an active secret (recorded:
// .NET SessionRecords GetDeletedSecretNonExisting, 7.3-preview, 2021).
func errDeletedNotFound(name string) error { return errSecretNotFound(name) }

// errNotDeleted is its answer for get-deleted of a secret that exists but
// is not deleted (recorded: azure-sdk-for-js "can restore a secret",
// 7.4-preview.1, 2022, right after its delete).
func errNotDeleted(name string) error {
	return &ruleError{kind: kindNotFound, message: "Deleted Secret not found: " + name}
}

func errDeletedButRecoverable(name string) error {
	return &ruleError{kind: kindDeletedConflict, message: fmt.Sprintf("Secret %s is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.", name)}
}

// errRestoreConflict is the service's answer (recorded) to a restore whose
// name is in use, active or soft-deleted; it names the latest version in use.
func errRestoreConflict(name, version string) error {
	return &ruleError{kind: kindNameInUse, secretPath: "/secrets/" + name + "/" + version,
		message: "There was a conflict restoring the secret '%s'. This can happen if either: a second secret with the same name was created after the first secret was deleted; thus trying to restore a secret whose name is already in use. To fix this, rename the second secret to something else so that the restore works. The second probable cause of this exception is when multiple operations are performed in parallel against the secret. To avoid this error, perform operations against a secret in a sequential manner."}
}

func errDisabled(op string) error {
	return &ruleError{kind: kindDisabled, message: fmt.Sprintf("Operation %s is not allowed on a disabled secret.", op)}
}

func errPurgeProtected(vault string) error {
	// "location" has no meaning in the emulator; the service names the
	// Azure region there.
	return &ruleError{kind: kindPurgeProtected, message: fmt.Sprintf("Operation \"purge\" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.\r\nVault: %s;location=emulator", vault)}
}

func errInvalid(message string) error { return &ruleError{kind: kindInvalid, message: message} }

// Validation messages.
const (
	msgInvalidProperty = "Property has invalid value"
	// unconfirmed: the service's text for an oversized value.
	msgValueTooLarge = "Secret value exceeds the maximum allowed size of 25600 bytes."
	// unconfirmed: the service's text for a set without a value.
	msgValueRequired = "Property 'value' is required."
	// The service's code and text for a restore blob it cannot read
	// (recorded: .NET SessionRecords RestoreSecretMalformedBackup, 7.x).
	codeMalformedBackup = "Malformed backup blob"
	msgBadBackup        = "Backup blob is corrupt."
)

// errMalformedBackup refuses a restore blob that is not one this
// emulator's backup made (or was made with another backup key).
func errMalformedBackup() error { return &ruleError{kind: kindMalformedBackup, message: msgBadBackup} }
