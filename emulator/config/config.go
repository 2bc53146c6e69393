// Package config is the emulator's configuration file: its YAML schema, the
// defaults that fill what the file leaves out, and validation that names the
// file and line of every problem.
//
// A complete file (every key is optional; an empty file means the defaults):
//
//	tenant: 11111111-2222-3333-4444-555555555555   # default DefaultTenant
//	identityHeader: some-secret    # fixes IDENTITY_HEADER; empty: the caller picks one per start
//	tokenLifetime: 24h             # Go duration, 5m..48h, default 24h
//	claimsChallenge: capable       # who gets a claims challenge for a stale token: capable (default) or renewable
//	tlsNames: [emulator, kv.example.test, 10.0.0.5]  # extra DNS names / IPs for the server certificate
//	identities:                    # default: one system identity named "system"
//	  - {name: web, kind: system}  # at most one identity of kind system
//	  - name: batch
//	    kind: user
//	    clientId: 6a1e2a52-0f1c-4a49-9a40-1d6c1d0e5b7a   # default: derived from tenant and name
//	    objectId: 0b8d3c4e-2f5a-4d6b-8c7e-9f0a1b2c3d4e   # default: derived from tenant and name
//	    resourceId: /subscriptions/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/batch
//	  - name: ci                   # a service principal (CI pipelines): no resourceId,
//	    kind: servicePrincipal     # a clientSecret and/or a PEM certificate (cert + key)
//	    clientSecret: some-long-random-value
//	    certificate: ./ci.pem
//	vaults:                        # default: one vault named "emulator"; the first is the default vault
//	  - name: myvault              # 3-24 letters, digits, hyphens; starts with a letter
//	    retentionDays: 90          # soft-delete retention, 7..90, default 90
//	    purgeProtection: false
//	    throttle:                  # optional: 429 Throttled past these limits per 10 seconds
//	      creates: 300             # set operations (default 300, Key Vault's limit)
//	      other: 4000              # every other operation (default 4000); "throttle: {}" = both defaults
//	    access:                    # optional; exactly one of roles or policies
//	      roles:
//	        - {identity: batch, role: Key Vault Secrets User}     # scope defaults to the vault
//	        - {identity: web, role: Key Vault Secrets Officer, scope: /secrets/db-password}
//	        - {identity: web, role: 21090545-7ca7-4776-b22c-e363652d74d2}   # Key Vault Reader, by its GUID
//	      # policies:
//	      #   - {identity: web, secrets: [get, list, set, delete, recover, backup, restore, purge]}
//	    secrets:                   # seeded when absent; stored state is never overwritten
//	      - {name: db-password, value: hunter2, contentType: text/plain, tags: {env: dev}, enabled: true}
//	faults:                        # optional fault injection (see package faults)
//	  - {operation: get, vault: myvault, status: 503, retryAfter: 1, count: 2}
//	  - {target: identity, delay: 2s, probability: 0.5}
//
// Service principals authenticate only at the Entra token endpoint and are
// granted access like identities. A config of service principals alone
// also gets the default system identity. Missing clientId and objectId are
// derived from the tenant and the identity name; a managed identity's
// missing resourceId becomes
// /subscriptions/{SubscriptionID}/resourcegroups/emulator/providers/ followed
// by Microsoft.ManagedIdentity/userAssignedIdentities/{name} for a user
// identity or Microsoft.Compute/virtualMachines/{name} for the system one.
// Roles are the four built-in secret roles, by display name in any case or
// by role-definition GUID (as Bicep and Terraform write them); scope is "/"
// or empty (the vault) or /secrets/{name}. Policy permissions are get,
// list, set, delete, recover, backup, restore and purge, or all. Names,
// roles and permissions follow package kv, as every other part of the
// emulator does.
//
// Derived values are deterministic (a hash of the tenant and the identity
// name), so restarts and other machines agree on every id without writing
// them down. Names of identities and vaults compare without regard to case;
// references to identities are rewritten to the identity's declared name.
//
// Parse reports the first problem in the file as an *Error whose text is
// "file:line: message". No message ever contains a secret value or the
// identity header.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/secretkit/secretkit/emulator/faults"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/emulator/vault"
)

// Defaults applied to whatever the file leaves out.
const (
	// DefaultTenant is the tenant id when the file names none. It is a
	// fixed made-up GUID, so tokens and challenges are stable across runs.
	DefaultTenant        = "5ec12e7c-e0a1-4f00-9b5a-00000000e111"
	DefaultTokenLifetime = 24 * time.Hour
	MinTokenLifetime     = 5 * time.Minute
	MaxTokenLifetime     = 48 * time.Hour
	DefaultIdentityName  = "system"
	DefaultVaultName     = "emulator"
)

// Config is a validated configuration with every default filled in. Parse,
// Load and Default return one; its fields are safe to read concurrently and
// should not be changed afterwards. Identities and vaults are the rooms'
// own settings types, decoded by their UnmarshalYAML methods; this package
// adds the defaults and the checks that span them.
type Config struct {
	// Tenant is a lowercase GUID.
	Tenant string
	// IdentityHeader is the fixed IDENTITY_HEADER, or empty when the
	// caller should choose one per start.
	IdentityHeader string
	// TokenLifetime is how long issued access tokens are valid.
	TokenLifetime time.Duration
	// ClaimsChallenge is who gets a claims challenge when a fresh token
	// would cure a refused one: "" or ClaimsChallengeCapable (as Key
	// Vault: only clients that declared cp1), or ClaimsChallengeRenewable.
	ClaimsChallenge string
	// TLSNames are extra server-certificate names (DNS names lowercased,
	// IP addresses in canonical form), in file order without duplicates.
	TLSNames []string
	// Identities has at least one entry and at most one of kv.KindSystem.
	// Every ClientID, ObjectID and ResourceID is filled in and unique.
	Identities []identity.Identity
	// Vaults has at least one entry; Vaults[0] is the default vault. Access
	// entries name declared identities (as declared) and carry their
	// object ids.
	Vaults []vault.Settings
	// Faults are the fault-injection rules in force at start
	// (faults.Rule.UnmarshalYAML); POST /_emulator/faults replaces them.
	Faults []faults.Rule
}

// The claimsChallenge values.
const (
	// ClaimsChallengeCapable sends a claims challenge only for tokens
	// whose client declared it can answer one (xms_cc "cp1"), as Key Vault
	// does; other clients get the standard challenge.
	ClaimsChallengeCapable = "capable"
	// ClaimsChallengeRenewable sends one for every token a fresh token
	// would cure (expired, not yet valid, another key or tenant). Current
	// Go and JS managed-identity credentials answer it by refetching, so
	// they recover after the emulator clock is advanced; clients that
	// cannot parse a claims challenge (older Python SDKs) fail on it.
	ClaimsChallengeRenewable = "renewable"
)

// Error is a problem in a configuration file. Line is 0 when the problem
// has no position (e.g. unreadable YAML without a line).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Default returns the configuration used without a file: DefaultTenant, one
// system identity named DefaultIdentityName, one vault DefaultVaultName.
func Default() *Config {
	c, err := Parse("default", nil)
	if err != nil {
		panic("config: defaults do not validate: " + err.Error())
	}
	return c
}

// Load reads and parses the file at path; errors name path as given.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// SubscriptionID is the subscription GUID in default resource ids, derived
// from the tenant.
func (c *Config) SubscriptionID() string {
	return derivedGUID(c.Tenant, "subscription")
}

// IdentityByName returns the identity with the given name, ignoring case.
func (c *Config) IdentityByName(name string) (*identity.Identity, bool) {
	for i := range c.Identities {
		if strings.EqualFold(c.Identities[i].Name, name) {
			return &c.Identities[i], true
		}
	}
	return nil, false
}

// ServerNames returns the names the TLS server certificate needs beyond
// the fixed defaults: {vault}.vault.azure.net and {vault}.localhost for
// every vault, then TLSNames.
func (c *Config) ServerNames() []string {
	names := make([]string, 0, 2*len(c.Vaults)+len(c.TLSNames))
	for _, v := range c.Vaults {
		names = append(names, v.Name+".vault.azure.net", v.Name+".localhost")
	}
	return append(names, c.TLSNames...)
}

// derivedGUID hashes its parts into a GUID with the RFC 4122 version-5
// layout (version and variant bits set), so derived ids look like the real
// thing to parsers that check.
func derivedGUID(parts ...string) string {
	h := sha256.New()
	h.Write([]byte("secretkit emulator"))
	for _, part := range parts {
		h.Write([]byte{0})
		h.Write([]byte(strings.ToLower(part)))
	}
	b := h.Sum(nil)[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b)
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:32]
}

// normalizeTLSName returns the canonical form of a DNS name (lowercase, an
// optional leading "*." label) or IP address, or false.
func normalizeTLSName(n string) (string, bool) {
	if ip := net.ParseIP(n); ip != nil {
		return ip.String(), true
	}
	n = strings.ToLower(n)
	rest := strings.TrimPrefix(n, "*.")
	if rest == "" || len(rest) > 253 {
		return "", false
	}
	for _, label := range strings.Split(rest, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return "", false
			}
		}
	}
	return n, true
}

func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
