package token

import (
	"fmt"
	"strings"
	"unicode"
)

// Reason classifies why a token was refused, so callers branch on a value
// instead of matching message text.
type Reason int

// Reasons a token fails validation.
const (
	ReasonMissing     Reason = iota + 1 // no token at all
	ReasonMalformed                     // not a decodable JWT, or a required claim is absent
	ReasonUnknownKey                    // algorithm or kid names a key the emulator does not have
	ReasonSignature                     // our key, but the signature does not verify
	ReasonExpired                       // exp (plus skew) is in the past
	ReasonNotYetValid                   // nbf (minus skew) is in the future
	ReasonAudience                      // aud is not an accepted audience
	ReasonIssuer                        // iss or tid is not the emulator's tenant
)

// Error is a refused token. Error() is the message Key Vault itself sends in
// the body of its 401 response, so the vault API can forward it unchanged.
// It never contains the token's signature or any secret.
type Error struct {
	Reason  Reason
	Message string
}

func (e *Error) Error() string { return e.Message }

// Renewable reports whether a fresh token from this emulator would be
// accepted where this one was not (the vault API asks through its
// Renewable interface): true for lifetime failures and for tokens of
// another key or tenant, false for tokens that are malformed, tampered
// with or meant for another audience.
func (e *Error) Renewable() bool {
	switch e.Reason {
	case ReasonExpired, ReasonNotYetValid, ReasonUnknownKey, ReasonIssuer:
		return true
	}
	return false
}

// maxEchoedHeader bounds how much of a client-supplied JWT header is echoed
// back in AKV10046, so garbage input cannot inflate responses or logs.
const maxEchoedHeader = 512

func missing() *Error {
	return &Error{ReasonMissing, "AKV10000: Request is missing a Bearer or PoP token."}
}

func malformed() *Error {
	// unconfirmed: no public record of Key Vault's wording for an undecodable token.
	return &Error{ReasonMalformed, "AKV10001: Token is malformed."}
}

func unknownKey(encodedHeader string) *Error {
	if len(encodedHeader) > maxEchoedHeader {
		encodedHeader = encodedHeader[:maxEchoedHeader]
	}
	return &Error{ReasonUnknownKey, fmt.Sprintf(
		"AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '%s'.", encodedHeader)}
}

func signatureInvalid() *Error {
	// unconfirmed: code and wording chosen; Key Vault's text for a bad signature under a known key is not public.
	return &Error{ReasonSignature, "AKV10016: Token signature validation failed."}
}

func expired() *Error {
	// unconfirmed: code chosen; "Token expired" wording follows the service's other lifetime message.
	return &Error{ReasonExpired, "AKV10010: Token expired."}
}

func notYetValid() *Error {
	// unconfirmed: code chosen; "Token not yet valid" is the wording Managed HSM users have reported.
	return &Error{ReasonNotYetValid, "AKV10011: Token not yet valid."}
}

func invalidAudience(expected, found string) *Error {
	return &Error{ReasonAudience, fmt.Sprintf("AKV10022: Invalid audience. Expected %s, found: %s.", expected, echoed(found))}
}

func invalidIssuer(expected, found string) *Error {
	return &Error{ReasonIssuer, fmt.Sprintf("AKV10032: Invalid issuer. Expected one of %s, found %s.", expected, echoed(found))}
}

// echoed prepares a claim for a refusal message: bounded like an echoed
// header, with control characters escaped so the message stays one line
// (a token's aud comes from whatever scope a client asked for).
func echoed(claim string) string {
	if len(claim) > maxEchoedHeader {
		claim = strings.ToValidUTF8(claim[:maxEchoedHeader], "")
	}
	if !strings.ContainsFunc(claim, unicode.IsControl) {
		return claim
	}
	var b strings.Builder
	for _, r := range claim {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\u%04x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// capableError is an *Error about a token of ours that declared the "cp1"
// client capability (xms_cc): its client can answer a claims challenge.
// errors.As still finds the *Error inside.
type capableError struct{ err *Error }

func (c *capableError) Error() string   { return c.err.Error() }
func (c *capableError) Unwrap() error   { return c.err }
func (c *capableError) Renewable() bool { return c.err.Renewable() }

// CanAnswerClaimsChallenge reports that the token's client declared it
// can answer a claims challenge; the vault API asks through its
// ClaimsCapable interface.
func (c *capableError) CanAnswerClaimsChallenge() bool { return true }
