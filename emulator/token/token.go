package token

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/secretkit/secretkit/emulator/clock"
)

// DefaultLifetime is the lifetime of an access token when Issuer.Lifetime is
// zero; managed-identity tokens from Entra live about a day.
const DefaultLifetime = 24 * time.Hour

// Skew is how far the validator lets exp and nbf miss the emulator clock,
// the same five minutes Microsoft's token validation libraries allow, so a
// client whose clock differs slightly from the emulator's is not refused.
const Skew = 5 * time.Minute

// VaultAudience is the audience Key Vault always accepts.
const VaultAudience = "https://vault.azure.net"

// IssuerURL is the iss claim of tokens for tenant: the v1 Entra issuer that
// managed-identity tokens carry.
func IssuerURL(tenant string) string { return "https://sts.windows.net/" + tenant + "/" }

// Subject is the identity a token is issued to.
type Subject struct {
	ObjectID   string // oid and sub
	ClientID   string // appid and azp
	ResourceID string // xms_mirid; empty for identities that are not managed identities
	// ClientCapabilities are what the client declared when it asked for
	// the token (MSAL's client capabilities, e.g. "cp1"), carried as the
	// xms_cc claim; nil for a client that declared none.
	ClientCapabilities []string
	// AppAuthenticatedBySecret marks a service principal that proved
	// itself with a client secret (appidacr 1) rather than a certificate,
	// federated assertion or managed identity (appidacr 2).
	AppAuthenticatedBySecret bool
}

// Issuer mints access tokens. Key, Tenant and Clock are required; the fields
// must not change while Issue may run.
type Issuer struct {
	Key      *Key
	Tenant   string
	Clock    clock.Clock
	Lifetime time.Duration // 0 means DefaultLifetime
}

// accessClaims is the payload of an issued token: the claims Entra puts in
// a managed identity's v1 access token.
type accessClaims struct {
	Audience     string   `json:"aud"`
	Issuer       string   `json:"iss"`
	IssuedAt     int64    `json:"iat"`
	NotBefore    int64    `json:"nbf"`
	ExpiresAt    int64    `json:"exp"`
	AppID        string   `json:"appid"`
	AppIDACR     string   `json:"appidacr"`
	AuthorizedBy string   `json:"azp"`
	IdentityProv string   `json:"idp"`
	IdentityType string   `json:"idtyp"`
	ObjectID     string   `json:"oid"`
	Subject      string   `json:"sub"`
	TenantID     string   `json:"tid"`
	UniqueID     string   `json:"uti"`
	Version      string   `json:"ver"`
	ResourceID   string   `json:"xms_mirid,omitempty"`
	Capabilities []string `json:"xms_cc,omitempty"`
}

// Issue returns a signed access token naming sub for audience, and the time
// it expires (whole seconds, as carried in exp). audience is used as given:
// callers strip any "/.default" scope suffix first.
func (i *Issuer) Issue(sub Subject, audience string) (raw string, expiresOn time.Time, err error) {
	if i.Key == nil || i.Clock == nil || i.Tenant == "" {
		return "", time.Time{}, errors.New("token: Issuer needs Key, Clock and Tenant")
	}
	if audience == "" {
		return "", time.Time{}, errors.New("token: empty audience")
	}
	lifetime := i.Lifetime
	if lifetime <= 0 {
		lifetime = DefaultLifetime
	}
	now := i.Clock.Now().Truncate(time.Second)
	expiresOn = now.Add(lifetime)
	claims := accessClaims{
		Audience:     audience,
		Issuer:       IssuerURL(i.Tenant),
		IssuedAt:     now.Unix(),
		NotBefore:    now.Unix(),
		ExpiresAt:    expiresOn.Unix(),
		AppID:        sub.ClientID,
		AppIDACR:     "2", // 2 = authenticated by a managed identity / federated credential, not a secret
		AuthorizedBy: sub.ClientID,
		IdentityProv: IssuerURL(i.Tenant),
		IdentityType: "app",
		ObjectID:     sub.ObjectID,
		Subject:      sub.ObjectID,
		TenantID:     i.Tenant,
		UniqueID:     uniqueID(),
		Version:      "1.0",
		ResourceID:   sub.ResourceID,
		Capabilities: sub.ClientCapabilities,
	}
	if sub.AppAuthenticatedBySecret {
		claims.AppIDACR = "1"
	}
	raw, err = i.Key.Sign(claims)
	if err != nil {
		return "", time.Time{}, err
	}
	return raw, expiresOn, nil
}

func uniqueID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return b64(b[:])
}

// Claims are the validated contents of an access token.
type Claims struct {
	Audience     string
	Issuer       string
	TenantID     string
	ObjectID     string
	Subject      string
	AppID        string // appid, falling back to azp
	ResourceID   string // xms_mirid
	IdentityType string
	// ClaimsCapable is set when the xms_cc claim holds "cp1": the client
	// can answer a claims challenge.
	ClaimsCapable bool
	IssuedAt      time.Time
	NotBefore     time.Time
	ExpiresAt     time.Time
}

// Validator checks bearer tokens presented to the vault. Key, Tenant and
// Clock are required and must not change while Validate may run.
type Validator struct {
	Key    *Key
	Tenant string
	Clock  clock.Clock

	// verified remembers the decoded claims of tokens whose signature has
	// been checked: an SDK presents the same token on every call for its
	// lifetime, and the RSA check is most of a request's cost. Claims are
	// still judged (issuer, audience, lifetime) on every call.
	// Entries are keyed by the token's SHA-256, so a key costs 32 bytes
	// whatever the token's size, and the cache is bounded in bytes as
	// well as entries.
	mu            sync.Mutex
	verified      map[[sha256.Size]byte]verifiedEntry
	verifiedBytes int
}

type verifiedEntry struct {
	claims *wireClaims
	size   int
}

// The signature cache is bounded by entries and by bytes (an estimate of
// the decoded claims held); when either bound would be passed it starts
// over, which costs one RSA check per token in use. A token whose claims
// alone exceed maxCachedClaims is never cached.
const (
	maxVerified     = 4096
	maxCachedClaims = 64 << 10
	// entryOverhead approximates the map slot, key and struct per entry.
	entryOverhead = 256
)

// maxVerifiedBytes is a variable only so tests can shrink it.
var maxVerifiedBytes = 8 << 20

// cachedBytes is the signature cache's accounted size.
func (v *Validator) cachedBytes() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.verifiedBytes
}

// verifiedClaims checks raw's signature (or finds it checked before) and
// decodes its claims.
func (v *Validator) verifiedClaims(raw string) (*wireClaims, error) {
	sum := sha256.Sum256([]byte(raw))
	v.mu.Lock()
	e, ok := v.verified[sum]
	v.mu.Unlock()
	if ok {
		return e.claims, nil
	}
	payload, err := v.Key.Verify(raw)
	if err != nil {
		return nil, err
	}
	w := new(wireClaims)
	if err := json.Unmarshal(payload, w); err != nil {
		return nil, malformed()
	}
	size := len(payload) + entryOverhead
	if len(payload) > maxCachedClaims {
		return w, nil
	}
	v.mu.Lock()
	if v.verified == nil || len(v.verified) >= maxVerified || v.verifiedBytes+size > maxVerifiedBytes {
		v.verified = make(map[[sha256.Size]byte]verifiedEntry)
		v.verifiedBytes = 0
	}
	if _, dup := v.verified[sum]; !dup {
		v.verified[sum] = verifiedEntry{claims: w, size: size}
		v.verifiedBytes += size
	}
	v.mu.Unlock()
	return w, nil
}

// wireClaims decodes the claims Validate inspects; pointers tell an absent
// claim from a zero one.
type wireClaims struct {
	Audience     json.RawMessage `json:"aud"`
	Issuer       *string         `json:"iss"`
	TenantID     string          `json:"tid"`
	ObjectID     string          `json:"oid"`
	Subject      string          `json:"sub"`
	AppID        string          `json:"appid"`
	AuthorizedBy string          `json:"azp"`
	ResourceID   string          `json:"xms_mirid"`
	IdentityType string          `json:"idtyp"`
	Capabilities []string        `json:"xms_cc"`
	IssuedAt     *int64          `json:"iat"`
	NotBefore    *int64          `json:"nbf"`
	ExpiresAt    *int64          `json:"exp"`
}

// Validate checks raw (the token alone, without a "Bearer " prefix) and
// returns its claims. audiences are the accepted aud values; with none,
// only VaultAudience is accepted. An audience matches with or without one
// trailing slash.
//
// Checks, in order: structure and signature (see Key.Verify), presence of
// iss, aud and exp, issuer https://sts.windows.net/{Tenant}/, tid equal to
// Tenant when present, audience, then exp and nbf against Clock with Skew
// allowed either way. Every failure is an *Error whose Error() is Key
// Vault's 401 message.
//
// A failure after the signature check (issuer, audience, lifetime) of a
// token that declared the "cp1" client capability also implements
// CanAnswerClaimsChallenge() bool, reporting true: that decides which
// challenge Key Vault sends.
func (v *Validator) Validate(raw string, audiences ...string) (Claims, error) {
	c, w, err := v.validate(raw, audiences)
	if te, ok := err.(*Error); ok && w != nil && HasCP1(w.Capabilities) {
		return c, &capableError{te}
	}
	return c, err
}

// HasCP1 reports whether capabilities include "cp1", compared without
// regard to case (MSAL Go sends "CP1", MSAL Node "cp1").
func HasCP1(capabilities []string) bool {
	for _, c := range capabilities {
		if strings.EqualFold(strings.TrimSpace(c), "cp1") {
			return true
		}
	}
	return false
}

// validate is Validate, returning the decoded claims (nil before the
// signature is checked) beside the result.
func (v *Validator) validate(raw string, audiences []string) (Claims, *wireClaims, error) {
	if v.Key == nil || v.Clock == nil || v.Tenant == "" {
		return Claims{}, nil, errors.New("token: Validator needs Key, Clock and Tenant")
	}
	if raw == "" {
		return Claims{}, nil, missing()
	}
	w, err := v.verifiedClaims(raw)
	if err != nil {
		return Claims{}, nil, err
	}
	if w.Issuer == nil || w.ExpiresAt == nil || len(w.Audience) == 0 {
		return Claims{}, w, malformed()
	}
	wantIssuer := IssuerURL(v.Tenant)
	if *w.Issuer != wantIssuer {
		return Claims{}, w, invalidIssuer(wantIssuer, *w.Issuer)
	}
	if w.TenantID != "" && w.TenantID != v.Tenant {
		// A token whose tid disagrees with its iss is not one Entra would
		// issue; report it as the issuer the tid implies.
		return Claims{}, w, invalidIssuer(wantIssuer, IssuerURL(w.TenantID))
	}
	aud, err := audienceOf(w.Audience)
	if err != nil {
		return Claims{}, w, malformed()
	}
	if len(audiences) == 0 {
		audiences = []string{VaultAudience}
	}
	if !audienceAccepted(aud, audiences) {
		return Claims{}, w, invalidAudience(audiences[0], strings.Join(aud, ", "))
	}
	now := v.Clock.Now()
	exp := time.Unix(*w.ExpiresAt, 0).UTC()
	if now.After(exp.Add(Skew)) {
		return Claims{}, w, expired()
	}
	c := Claims{
		Audience:      aud[0],
		Issuer:        *w.Issuer,
		TenantID:      w.TenantID,
		ObjectID:      w.ObjectID,
		Subject:       w.Subject,
		AppID:         w.AppID,
		ResourceID:    w.ResourceID,
		IdentityType:  w.IdentityType,
		ExpiresAt:     exp,
		ClaimsCapable: HasCP1(w.Capabilities),
	}
	if c.TenantID == "" {
		c.TenantID = v.Tenant
	}
	if c.AppID == "" {
		c.AppID = w.AuthorizedBy
	}
	if w.NotBefore != nil {
		c.NotBefore = time.Unix(*w.NotBefore, 0).UTC()
		if now.Add(Skew).Before(c.NotBefore) {
			return Claims{}, w, notYetValid()
		}
	}
	if w.IssuedAt != nil {
		c.IssuedAt = time.Unix(*w.IssuedAt, 0).UTC()
	}
	return c, w, nil
}

// audienceOf accepts aud as a string or an array of strings (RFC 7519).
func audienceOf(raw json.RawMessage) ([]string, error) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil || len(many) == 0 {
		return nil, fmt.Errorf("aud is neither a string nor a non-empty array")
	}
	return many, nil
}

func audienceAccepted(have, accepted []string) bool {
	for _, h := range have {
		for _, a := range accepted {
			if a != "" && strings.TrimSuffix(h, "/") == strings.TrimSuffix(a, "/") {
				return true
			}
		}
	}
	return false
}

// Authenticate validates a bearer token presented to the vault. bearer is
// the token, with or without the "Bearer " scheme prefix; resource is the
// resource the vault advertised in its challenge, accepted as an audience
// alongside VaultAudience. ctx is unused: validation is local and does not
// block.
func (v *Validator) Authenticate(_ context.Context, bearer, resource string) (Claims, error) {
	raw := strings.TrimSpace(bearer)
	if scheme, rest, ok := strings.Cut(raw, " "); ok && strings.EqualFold(scheme, "bearer") {
		raw = strings.TrimSpace(rest)
	} else if strings.EqualFold(raw, "bearer") {
		raw = "" // the scheme with no token after it
	}
	audiences := []string{VaultAudience}
	if resource != "" && resource != VaultAudience {
		audiences = append(audiences, resource)
	}
	return v.Validate(raw, audiences...)
}
