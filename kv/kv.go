// Package kv is Azure Key Vault's fixed vocabulary for secrets, written once:
// the rules for vault and secret names and the service's limits on a secret,
// the data-plane operations, the access-policy permissions and RBAC data
// actions they need, the built-in roles (by display name and by
// role-definition GUID), role-assignment scopes, and managed-identity kinds.
//
// These are facts of the service, not of any one program: the client
// library (azurekv) checks names with them before a request, and the
// emulator's config, routing, access control and identity endpoints all
// decide with them, so they can never disagree. It lives outside emulator/
// because azurekv must not import the emulator.
package kv

import (
	"fmt"
	"strings"
	"time"
)

// Limits of the service on vault names and on a secret.
const (
	MinVaultNameLength   = 3
	MaxVaultNameLength   = 24
	MaxSecretNameLength  = 127
	MaxSecretValueBytes  = 25 * 1024
	MaxContentTypeLength = 255 // characters
	MaxTags              = 15
	MaxTagLength         = 512 // characters, for a tag's name and its value alike
)

// A vault's soft-delete retention, fixed when the vault is created.
const (
	MinRetentionDays     = 7
	MaxRetentionDays     = 90
	DefaultRetentionDays = MaxRetentionDays
)

// Key Vault's request limits per vault for secrets, in one ThrottleWindow:
// set operations, and every other operation.
const (
	ThrottleWindow         = 10 * time.Second
	DefaultThrottleCreates = 300
	DefaultThrottleOther   = 4000
)

// VaultNameRule and SecretNameRule describe the name rules in words, for
// messages that tell the user what to type instead.
const (
	VaultNameRule  = `use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"`
	SecretNameRule = "use 1-127 letters, digits and hyphens"
)

// ValidVaultName reports whether name is a legal vault name: 3-24 ASCII
// letters, digits and hyphens, starting with a letter, ending with a letter
// or digit, with no two hyphens in a row. Vault names are case-insensitive.
func ValidVaultName(name string) bool {
	if len(name) < MinVaultNameLength || len(name) > MaxVaultNameLength || strings.Contains(name, "--") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case i == 0 && !isLetter(c):
			return false
		case i == len(name)-1 && !isLetter(c) && !isDigit(c):
			return false
		case !isLetter(c) && !isDigit(c) && c != '-':
			return false
		}
	}
	return true
}

// ValidSecretName reports whether name is a legal secret name: 1-127 ASCII
// letters, digits and hyphens, in any position.
func ValidSecretName(name string) bool { return CheckSecretName(name) == nil }

// CheckSecretName is ValidSecretName with the reason: nil for a legal name,
// else an error saying what is wrong with it.
func CheckSecretName(name string) error {
	if name == "" {
		return errEmptyName
	}
	if len(name) > MaxSecretNameLength {
		return fmt.Errorf("the name is %d characters long; Key Vault allows at most %d", len(name), MaxSecretNameLength)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !isDigit(c) && c != '-' {
			return fmt.Errorf("character %q at offset %d is not allowed; Key Vault names use only letters, digits and '-'", c, i)
		}
	}
	return nil
}

var errEmptyName = fmt.Errorf("the name is empty")

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }

// IdentityKind is how a managed identity is assigned, or that the
// principal is an application's service principal.
type IdentityKind string

// Identity kinds.
const (
	// KindSystem is a system-assigned identity: at most one per host, the
	// one a token request without a selector gets.
	KindSystem IdentityKind = "system"
	// KindUser is a user-assigned identity, chosen by client, object or
	// resource id.
	KindUser IdentityKind = "user"
	// KindServicePrincipal is an application's service principal: it
	// authenticates at the Entra token endpoint with a client secret or a
	// certificate, never at a managed-identity endpoint. Written
	// "servicePrincipal" in a config file.
	KindServicePrincipal IdentityKind = "serviceprincipal"
)

// ParseIdentityKind returns the kind named s, ignoring case.
func ParseIdentityKind(s string) (IdentityKind, bool) {
	switch k := IdentityKind(strings.ToLower(s)); k {
	case KindSystem, KindUser, KindServicePrincipal:
		return k, true
	}
	return "", false
}
