// Package config is the emulator's configuration file: its YAML schema, the
// defaults that fill what the file leaves out, and validation that names the
// file and line of every problem.
//
// A complete file (every key is optional; an empty file means the defaults):
//
//	tenant: 11111111-2222-3333-4444-555555555555   # default DefaultTenant
//	identityHeader: some-secret    # fixes IDENTITY_HEADER; empty: the caller picks one per start
//	tokenLifetime: 24h             # Go duration, 5m..48h, default 24h
//	tlsNames: [emulator, kv.example.test, 10.0.0.5]  # extra DNS names / IPs for the server certificate
//	identities:                    # default: one system identity named "system"
//	  - {name: web, kind: system}  # at most one identity of kind system
//	  - name: batch
//	    kind: user
//	    clientId: 6a1e2a52-0f1c-4a49-9a40-1d6c1d0e5b7a   # default: derived from tenant and name
//	    objectId: 0b8d3c4e-2f5a-4d6b-8c7e-9f0a1b2c3d4e   # default: derived from tenant and name
//	    resourceId: /subscriptions/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/batch
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
//	      # policies:
//	      #   - {identity: web, secrets: [get, list, set, delete, recover, backup, restore, purge]}
//	    secrets:                   # seeded when absent; stored state is never overwritten
//	      - {name: db-password, value: hunter2, contentType: text/plain, tags: {env: dev}, enabled: true}
//
// Missing clientId and objectId are derived from the tenant and the
// identity name; a missing resourceId becomes
// /subscriptions/{SubscriptionID}/resourcegroups/emulator/providers/ followed
// by Microsoft.ManagedIdentity/userAssignedIdentities/{name} for a user
// identity or Microsoft.Compute/virtualMachines/{name} for the system one.
// Roles are the four built-in secret roles in any case; scope is "/" or
// empty (the vault) or /secrets/{name}. Policy permissions are get, list,
// set, delete, recover, backup, restore and purge, or all.
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
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
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
	DefaultRetentionDays = 90
	MinRetentionDays     = 7
	MaxRetentionDays     = 90
)

// Key Vault's limits on seeded secrets, the same the vault API enforces.
const (
	MaxSecretNameLength  = 127
	MaxSecretValueBytes  = 25600
	MaxContentTypeLength = 255
	MaxTags              = 15
	MaxTagLength         = 512
)

// Identity kinds.
const (
	KindSystem = "system"
	KindUser   = "user"
)

// Built-in Key Vault roles that grant access to secrets, spelled as Azure
// spells them. RoleAssignment.Role always holds one of these.
const (
	RoleSecretsUser    = "Key Vault Secrets User"
	RoleSecretsOfficer = "Key Vault Secrets Officer"
	RoleAdministrator  = "Key Vault Administrator"
	RoleReader         = "Key Vault Reader"
)

// Roles lists every accepted role.
var Roles = []string{RoleSecretsUser, RoleSecretsOfficer, RoleAdministrator, RoleReader}

// SecretPermissions lists the access-policy permissions on secrets, in the
// order Policy.Secrets keeps them. "all" in a file stands for every one.
var SecretPermissions = []string{"get", "list", "set", "delete", "recover", "backup", "restore", "purge"}

// AccessModel says how a vault decides who may do what.
type AccessModel string

// Access models.
const (
	// AccessPolicies: Access.Policies grant permissions per identity.
	AccessPolicies AccessModel = "policies"
	// AccessRBAC: Access.Roles assign built-in roles per identity and scope.
	AccessRBAC AccessModel = "rbac"
)

// Config is a validated configuration with every default filled in. Parse,
// Load and Default return one; its fields are safe to read concurrently and
// should not be changed afterwards.
type Config struct {
	// Tenant is a lowercase GUID.
	Tenant string
	// IdentityHeader is the fixed IDENTITY_HEADER, or empty when the
	// caller should choose one per start.
	IdentityHeader string
	// TokenLifetime is how long issued access tokens are valid.
	TokenLifetime time.Duration
	// TLSNames are extra server-certificate names (DNS names lowercased,
	// IP addresses in canonical form), in file order without duplicates.
	TLSNames []string
	// Identities has at least one entry and at most one of KindSystem.
	Identities []Identity
	// Vaults has at least one entry; Vaults[0] is the default vault.
	Vaults []Vault
}

// Identity is a managed identity that can obtain tokens.
type Identity struct {
	Name string
	// Kind is KindSystem or KindUser.
	Kind string
	// ClientID and ObjectID are lowercase GUIDs, unique across identities.
	ClientID string
	ObjectID string
	// ResourceID is an ARM resource id: the user-assigned identity's own,
	// or for the system identity the resource (a virtual machine) it
	// belongs to.
	ResourceID string
}

// Throttle holds a vault's request limits per 10-second window.
type Throttle struct {
	Creates int // set operations
	Other   int // every other operation
}

// Key Vault's own limits per vault and 10 seconds, used for the keys a
// throttle mapping leaves out.
const (
	DefaultThrottleCreates = 300
	DefaultThrottleOther   = 4000
)

// Vault is one emulated key vault.
type Vault struct {
	// Name is lowercase, as in the vault's DNS name {name}.vault.azure.net.
	Name string
	// RetentionDays is the soft-delete retention, MinRetentionDays to
	// MaxRetentionDays.
	RetentionDays   int
	PurgeProtection bool
	// Throttle is nil unless the vault enforces request limits.
	Throttle *Throttle
	// Access is nil when the file configures no access control for the
	// vault; the vault API decides what that means.
	Access *Access
	// Secrets are seeded when the vault holds no secret of that name
	// (active or deleted); existing state always wins.
	Secrets []SeedSecret
}

// Access is a vault's access control. With Model AccessPolicies, Policies
// is non-nil (possibly empty: nobody has access) and Roles nil; with
// AccessRBAC, Roles is non-nil and Policies nil.
type Access struct {
	Model    AccessModel
	Policies []Policy
	Roles    []RoleAssignment
}

// Policy is an access policy: the secret permissions one identity holds.
type Policy struct {
	// Identity is the Name of an entry in Config.Identities.
	Identity string
	// Secrets are permissions from SecretPermissions, lowercase, in that
	// list's order, without duplicates ("all" expanded).
	Secrets []string
}

// RoleAssignment grants a built-in role to an identity at a scope.
type RoleAssignment struct {
	// Identity is the Name of an entry in Config.Identities.
	Identity string
	// Role is one of Roles.
	Role string
	// Scope is "/" for the whole vault or "/secrets/{name}" for one secret.
	Scope string
}

// SeedSecret is a secret created at start-up when absent.
type SeedSecret struct {
	Name        string
	Value       string
	ContentType string
	Tags        map[string]string
	// Enabled is nil when the file does not say; the secret is then
	// enabled, as Key Vault does by default.
	Enabled *bool
}

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

// Parse parses and validates data, naming it name in errors. Unknown keys,
// duplicate keys, wrong types, out-of-range values and dangling references
// are errors; an empty document yields the defaults.
func Parse(name string, data []byte) (*Config, error) {
	p := &parser{file: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, p.yamlError(err, data)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, p.errorf(&extra, "only one YAML document is allowed")
	} else if !errors.Is(err, io.EOF) {
		return nil, p.yamlError(err, data)
	}
	cfg := &Config{Tenant: DefaultTenant, TokenLifetime: DefaultTokenLifetime}
	if len(doc.Content) > 0 {
		if err := p.top(doc.Content[0], cfg); err != nil {
			return nil, err
		}
	}
	if err := p.finish(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// SubscriptionID is the subscription GUID in default resource ids, derived
// from the tenant.
func (c *Config) SubscriptionID() string {
	return derivedGUID(c.Tenant, "subscription")
}

// DefaultVault returns Vaults[0].
func (c *Config) DefaultVault() *Vault { return &c.Vaults[0] }

// Vault returns the vault with the given name, ignoring case.
func (c *Config) Vault(name string) (*Vault, bool) {
	for i := range c.Vaults {
		if strings.EqualFold(c.Vaults[i].Name, name) {
			return &c.Vaults[i], true
		}
	}
	return nil, false
}

// IdentityByName returns the identity with the given name, ignoring case.
func (c *Config) IdentityByName(name string) (*Identity, bool) {
	return c.findIdentity(func(id *Identity) bool { return strings.EqualFold(id.Name, name) })
}

// IdentityByClientID returns the identity with the given client id,
// ignoring case.
func (c *Config) IdentityByClientID(clientID string) (*Identity, bool) {
	return c.findIdentity(func(id *Identity) bool { return strings.EqualFold(id.ClientID, clientID) })
}

// IdentityByObjectID returns the identity with the given object id,
// ignoring case.
func (c *Config) IdentityByObjectID(objectID string) (*Identity, bool) {
	return c.findIdentity(func(id *Identity) bool { return strings.EqualFold(id.ObjectID, objectID) })
}

// IdentityByResourceID returns the identity with the given resource id,
// ignoring case (ARM ids are case-insensitive).
func (c *Config) IdentityByResourceID(resourceID string) (*Identity, bool) {
	return c.findIdentity(func(id *Identity) bool { return strings.EqualFold(id.ResourceID, resourceID) })
}

// SystemIdentity returns the identity of KindSystem, if there is one: the
// identity a managed-identity request without client_id, object_id or
// resource id gets.
func (c *Config) SystemIdentity() (*Identity, bool) {
	return c.findIdentity(func(id *Identity) bool { return id.Kind == KindSystem })
}

func (c *Config) findIdentity(match func(*Identity) bool) (*Identity, bool) {
	for i := range c.Identities {
		if match(&c.Identities[i]) {
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

var (
	guidPattern       = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	armIDPattern      = regexp.MustCompile(`(?i)^/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/resourcegroups/[^/]+/providers/[a-z0-9.]+/[a-z0-9]+/[^/]+(/[a-z0-9]+/[^/]+)*$`)
	identityPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)
	secretNamePattern = regexp.MustCompile(`^[0-9A-Za-z-]{1,127}$`)
)

// validVaultName is Key Vault's rule: 3-24 letters, digits and hyphens,
// starting with a letter, ending with a letter or digit, no "--".
func validVaultName(name string) bool {
	if len(name) < 3 || len(name) > 24 || strings.Contains(name, "--") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		digit := c >= '0' && c <= '9'
		switch {
		case i == 0 && !letter:
			return false
		case i == len(name)-1 && !letter && !digit:
			return false
		case !letter && !digit && c != '-':
			return false
		}
	}
	return true
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

func charCount(s string) int { return utf8.RuneCountInString(s) }
