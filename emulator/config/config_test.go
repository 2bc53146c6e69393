package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/google/go-cmp/cmp"

	"github.com/secretkit/secretkit/emulator/access"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/emulator/vault"
	"github.com/secretkit/secretkit/kv"
)

const tenant = "11111111-2222-3333-4444-555555555555"

func mustParse(t *testing.T, src string) *Config {
	t.Helper()
	c, err := Parse("emulator.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func TestDefault(t *testing.T) {
	c := Default()
	sub := c.SubscriptionID()
	want := &Config{
		Tenant:        DefaultTenant,
		TokenLifetime: 24 * time.Hour,
		Identities: []identity.Identity{{
			Name:       "system",
			Kind:       kv.KindSystem,
			ClientID:   derivedGUID(DefaultTenant, "client-id", "system"),
			ObjectID:   derivedGUID(DefaultTenant, "object-id", "system"),
			ResourceID: "/subscriptions/" + sub + "/resourcegroups/emulator/providers/Microsoft.Compute/virtualMachines/system",
		}},
		Vaults: []vault.Settings{{Name: "emulator", RetentionDays: 90}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Default() mismatch (-want +got):\n%s", diff)
	}
	if !identity.IsGUID(sub) {
		t.Errorf("SubscriptionID %q is not a GUID", sub)
	}
}

func TestEmptyDocumentsAreDefault(t *testing.T) {
	for _, src := range []string{"", "\n", "# only a comment\n", "---\n", "~\n", "identities: []\nvaults: []\n", "identities:\nvaults:\n"} {
		if diff := cmp.Diff(Default(), mustParse(t, src)); diff != "" {
			t.Errorf("%q differs from Default() (-want +got):\n%s", src, diff)
		}
	}
}

func TestDerivedIDs(t *testing.T) {
	a := derivedGUID(tenant, "client-id", "web")
	if a != derivedGUID(strings.ToUpper(tenant), "client-id", "WEB") {
		t.Error("derivation depends on case")
	}
	if a == derivedGUID(DefaultTenant, "client-id", "web") {
		t.Error("derivation ignores the tenant")
	}
	if a == derivedGUID(tenant, "object-id", "web") {
		t.Error("client and object ids coincide")
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a) {
		t.Errorf("%q lacks the version-5 layout", a)
	}
	// Pinned: other machines and later versions must derive the same ids,
	// since users paste them into client configuration.
	if want := "f0cdbdde-ee1d-51b1-8116-f4f3af367c2c"; a != want {
		t.Errorf("derived client id = %s, want %s (the derivation changed)", a, want)
	}
	if got, want := Default().Identities[0].ClientID, "364520c2-4525-55d6-9bd9-744662ce2a9f"; got != want {
		t.Errorf("default identity's client id = %s, want %s", got, want)
	}
	c1 := mustParse(t, "tenant: "+tenant+"\nidentities: [{name: web, kind: user}]\n")
	c2 := mustParse(t, "identities: [{name: web, kind: user}]\ntenant: "+strings.ToUpper(tenant)+"\n")
	if diff := cmp.Diff(c1, c2); diff != "" {
		t.Errorf("tenant position or case changed the result:\n%s", diff)
	}
}

// docExample is the example from the package documentation.
const docExample = `
tenant: 11111111-2222-3333-4444-555555555555
identityHeader: some-secret
tokenLifetime: 24h
tlsNames: [emulator, kv.example.test, 10.0.0.5]
identities:
  - {name: web, kind: system}
  - name: batch
    kind: user
    clientId: 6a1e2a52-0f1c-4a49-9a40-1d6c1d0e5b7a
    objectId: 0b8d3c4e-2f5a-4d6b-8c7e-9f0a1b2c3d4e
    resourceId: /subscriptions/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/batch
vaults:
  - name: myvault
    retentionDays: 90
    purgeProtection: false
    access:
      roles:
        - {identity: batch, role: Key Vault Secrets User}
        - {identity: web, role: Key Vault Secrets Officer, scope: /secrets/db-password}
    secrets:
      - {name: db-password, value: hunter2, contentType: text/plain, tags: {env: dev}, enabled: true}
`

func TestDocExample(t *testing.T) {
	c := mustParse(t, docExample)
	yes := true
	sub := derivedGUID(tenant, "subscription")
	want := &Config{
		Tenant:         tenant,
		IdentityHeader: "some-secret",
		TokenLifetime:  24 * time.Hour,
		TLSNames:       []string{"emulator", "kv.example.test", "10.0.0.5"},
		Identities: []identity.Identity{
			{
				Name: "web", Kind: kv.KindSystem,
				ClientID:   derivedGUID(tenant, "client-id", "web"),
				ObjectID:   derivedGUID(tenant, "object-id", "web"),
				ResourceID: "/subscriptions/" + sub + "/resourcegroups/emulator/providers/Microsoft.Compute/virtualMachines/web",
			},
			{
				Name: "batch", Kind: kv.KindUser,
				ClientID:   "6a1e2a52-0f1c-4a49-9a40-1d6c1d0e5b7a",
				ObjectID:   "0b8d3c4e-2f5a-4d6b-8c7e-9f0a1b2c3d4e",
				ResourceID: "/subscriptions/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/batch",
			},
		},
		Vaults: []vault.Settings{{
			Name:          "myvault",
			RetentionDays: 90,
			Access: &access.VaultRules{Model: access.RBAC, Roles: []access.RoleAssignment{
				{Identity: "batch", ObjectID: "0b8d3c4e-2f5a-4d6b-8c7e-9f0a1b2c3d4e", Role: kv.RoleSecretsUser, Scope: "/"},
				{Identity: "web", ObjectID: derivedGUID(tenant, "object-id", "web"), Role: kv.RoleSecretsOfficer, Scope: "/secrets/db-password"},
			}},
			Secrets: []vault.SeedSecret{{
				Name: "db-password", Value: "hunter2", ContentType: "text/plain",
				Tags: map[string]string{"env": "dev"}, Enabled: &yes,
			}},
		}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got := c.ServerNames(); !cmp.Equal(got, []string{"myvault.vault.azure.net", "myvault.localhost", "emulator", "kv.example.test", "10.0.0.5"}) {
		t.Errorf("ServerNames() = %v", got)
	}
}

func TestGoodConfigs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   string
		check func(t *testing.T, c *Config)
	}{
		{"user identity defaults", "identities: [{name: batch, kind: User}]", func(t *testing.T, c *Config) {
			id := c.Identities[0]
			wantRes := "/subscriptions/" + c.SubscriptionID() + "/resourcegroups/emulator/providers/Microsoft.ManagedIdentity/userAssignedIdentities/batch"
			if id.Kind != kv.KindUser || id.ResourceID != wantRes {
				t.Errorf("got %+v, want kind user and resourceId %s", id, wantRes)
			}
		}},
		{"ids normalised to lowercase", "identities: [{name: a, kind: user, clientId: 6A1E2A52-0F1C-4A49-9A40-1D6C1D0E5B7A}]", func(t *testing.T, c *Config) {
			if c.Identities[0].ClientID != "6a1e2a52-0f1c-4a49-9a40-1d6c1d0e5b7a" {
				t.Errorf("ClientID = %q", c.Identities[0].ClientID)
			}
		}},
		{"vault name lowercased", "vaults: [{name: My-Vault1}, {name: second}]", func(t *testing.T, c *Config) {
			if v := c.Vaults[0]; v.Name != "my-vault1" {
				t.Errorf("Vaults[0] = %+v", v)
			}
		}},
		{"throttle: Key Vault's limits unless given", "vaults: [{name: kv1}, {name: kv2, throttle: {}}, {name: kv3, throttle: {creates: 2}}, {name: kv4, throttle: }]", func(t *testing.T, c *Config) {
			want := []*vault.Throttle{nil, {Creates: 300, Other: 4000}, {Creates: 2, Other: 4000}, {Creates: 300, Other: 4000}}
			for i, v := range c.Vaults {
				if (v.Throttle == nil) != (want[i] == nil) || v.Throttle != nil && *v.Throttle != *want[i] {
					t.Errorf("%s: Throttle = %+v, want %+v", v.Name, v.Throttle, want[i])
				}
			}
		}},
		{"identity lookups", "identities: [{name: Web, kind: system}, {name: b, kind: user}]", func(t *testing.T, c *Config) {
			web, ok := c.IdentityByName("WEB")
			if !ok || web.Name != "Web" || web != &c.Identities[0] {
				t.Fatalf("IdentityByName = %+v, %v", web, ok)
			}
			if _, ok := c.IdentityByName("nobody"); ok {
				t.Error("found an identity that does not exist")
			}
		}},
		{"policies: all expands, order canonical, reference canonical", `
identities: [{name: Web, kind: system}]
vaults:
  - name: kv1
    access:
      policies:
        - {identity: web, secrets: [purge, GET, all]}
`, func(t *testing.T, c *Config) {
			want := &access.VaultRules{Model: access.Policies, Policies: []access.Policy{{Identity: "Web", ObjectID: c.Identities[0].ObjectID, Permissions: kv.Permissions}}}
			if diff := cmp.Diff(want, c.Vaults[0].Access); diff != "" {
				t.Error(diff)
			}
		}},
		{"policies keep file order of permissions canonical", `
vaults:
  - name: kv1
    access: {policies: [{identity: system, secrets: [list, get]}, {identity: system2}]}
identities: [{name: system, kind: system}, {name: system2, kind: user}]
`, func(t *testing.T, c *Config) {
			want := []access.Policy{
				{Identity: "system", ObjectID: c.Identities[0].ObjectID, Permissions: []kv.Permission{"get", "list"}},
				{Identity: "system2", ObjectID: c.Identities[1].ObjectID, Permissions: []kv.Permission{}},
			}
			if diff := cmp.Diff(want, c.Vaults[0].Access.Policies); diff != "" {
				t.Error(diff)
			}
		}},
		{"empty policy list is the policy model granting nothing", "vaults: [{name: kv1, access: {policies: []}}]", func(t *testing.T, c *Config) {
			if a := c.Vaults[0].Access; a == nil || a.Model != access.Policies || a.Policies == nil || len(a.Policies) != 0 || a.Roles != nil {
				t.Errorf("Access = %+v", a)
			}
		}},
		{"roles case-insensitive, scopes normalised", `
vaults:
  - name: kv1
    access:
      roles:
        - {identity: system, role: key vault  READER, scope: ""}
        - {identity: system, role: KEY VAULT ADMINISTRATOR, scope: /}
        - {identity: system, role: Key Vault Secrets User, scope: /secrets/a-1}
`, func(t *testing.T, c *Config) {
			oid := c.Identities[0].ObjectID
			want := []access.RoleAssignment{
				{Identity: "system", ObjectID: oid, Role: kv.RoleReader, Scope: "/"},
				{Identity: "system", ObjectID: oid, Role: kv.RoleAdministrator, Scope: "/"},
				{Identity: "system", ObjectID: oid, Role: kv.RoleSecretsUser, Scope: "/secrets/a-1"},
			}
			if diff := cmp.Diff(want, c.Vaults[0].Access.Roles); diff != "" {
				t.Error(diff)
			}
		}},
		{"seed secrets: block value, numeric scalars as text, limits exactly reached", `
vaults:
  - name: kv1
    retentionDays: 7
    purgeProtection: true
    secrets:
      - name: multi
        value: |
          line one
          line two
        enabled: false
      - {name: "0-digits-first", value: 12345, tags: {build: 42, empty: }}
      - {name: big, value: ` + strings.Repeat("x", kv.MaxSecretValueBytes) + `, contentType: ` + strings.Repeat("é", kv.MaxContentTypeLength) + `}
`, func(t *testing.T, c *Config) {
			v := c.Vaults[0]
			if v.RetentionDays != 7 || !v.PurgeProtection {
				t.Errorf("vault = %+v", v)
			}
			s := v.Secrets
			if s[0].Value != "line one\nline two\n" || s[0].Enabled == nil || *s[0].Enabled {
				t.Errorf("multi = %+v", s[0])
			}
			if s[1].Value != "12345" || s[1].Enabled != nil || !cmp.Equal(s[1].Tags, map[string]string{"build": "42", "empty": ""}) {
				t.Errorf("0-digits-first = %+v", s[1])
			}
			if len(s[2].Value) != kv.MaxSecretValueBytes {
				t.Errorf("big value has %d bytes", len(s[2].Value))
			}
		}},
		{"token lifetime bounds", "tokenLifetime: 5m", func(t *testing.T, c *Config) {
			if c.TokenLifetime != 5*time.Minute {
				t.Errorf("TokenLifetime = %v", c.TokenLifetime)
			}
		}},
		{"tls names normalised and deduplicated", "tlsNames: [KV.Example.Test, kv.example.test, '::FFFF:10.0.0.1', '*.Apps.Test', 0:0:0:0:0:0:0:1]", func(t *testing.T, c *Config) {
			if want := []string{"kv.example.test", "10.0.0.1", "*.apps.test", "::1"}; !cmp.Equal(c.TLSNames, want) {
				t.Errorf("TLSNames = %q, want %q", c.TLSNames, want)
			}
		}},
		{"anchors and aliases", `
identities:
  - &web {name: web, kind: system}
vaults:
  - name: kv1
    access: &acc {roles: [{identity: web, role: Key Vault Reader}]}
  - name: kv2
    access: *acc
`, func(t *testing.T, c *Config) {
			if c.Vaults[1].Access.Roles[0].Role != kv.RoleReader {
				t.Errorf("alias not followed: %+v", c.Vaults[1].Access)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, mustParse(t, tc.src))
		})
	}
}

func TestBadConfigs(t *testing.T) {
	guid := func(i int) string { return strings.Repeat(string(rune('a'+i)), 8) + "-0000-4000-8000-000000000000" }
	for _, tc := range []struct {
		name, src, want string
	}{
		// Syntax and structure.
		{"syntax", "vaults:\n  - name: kv1\n    x: y: z\n", "emulator.yaml:3: mapping values are not allowed in this context"},
		{"syntax on line 1", "\t- x\n", "emulator.yaml:1: found character that cannot start any token"},
		{"control character", "tenant: a\nvaults: \x01\n", "emulator.yaml:2: control characters are not allowed"},
		{"two documents", "vaults: []\n---\nvaults: []\n", "emulator.yaml:2: only one YAML document is allowed"},
		{"top level not a mapping", "- a\n", "emulator.yaml:1: the top level must be a mapping"},
		{"unknown top-level key", "tenant: " + tenant + "\nvault: []\n", `emulator.yaml:2: unknown key "vault"`},
		{"duplicate key", "tokenLifetime: 1h\ntokenLifetime: 2h\n", `emulator.yaml:2: duplicate key "tokenLifetime" in the top level (first at line 1)`},
		{"unknown vault key", "vaults:\n  - name: myvault\n\n    retention: 3\n", `emulator.yaml:4: unknown key "retention" in vault "myvault"`},
		{"vaults not a list", "vaults: {name: x}\n", "emulator.yaml:1: vaults must be a list"},

		// Top-level scalars.
		{"tenant not a GUID", "tenant: contoso\n", `emulator.yaml:1: tenant "contoso" is not a GUID`},
		{"tenant a list", "tenant: [a]\n", "emulator.yaml:1: tenant must be a string"},
		{"identity header with space", "identityHeader: a b\n", "emulator.yaml:1: identityHeader must be printable ASCII without spaces"},
		{"token lifetime not a duration", "tokenLifetime: 1 day\n", `emulator.yaml:1: tokenLifetime "1 day" is not a duration such as 24h or 90m`},
		{"token lifetime too short", "tokenLifetime: 4m59s\n", "emulator.yaml:1: tokenLifetime 4m59s is outside 5m..48h"},
		{"token lifetime too long", "tokenLifetime: 49h\n", "emulator.yaml:1: tokenLifetime 49h is outside 5m..48h"},
		{"tls name invalid", "tlsNames:\n  - ok.test\n  - bad_name!\n", `emulator.yaml:3: tlsNames entry "bad_name!" is neither a DNS name nor an IP address`},
		{"tls names not a list", "tlsNames: a.test\n", "emulator.yaml:1: tlsNames must be a list"},

		// Service principals.
		{"principal without credential", "identities:\n  - {name: ci, kind: servicePrincipal}\n", `emulator.yaml:2: service principal "ci" needs a clientSecret or a certificate`},
		{"principal with resource id", "identities:\n  - {name: ci, kind: servicePrincipal, clientSecret: s, resourceId: /subscriptions/" + guid(1) + "/resourcegroups/rg/providers/a.b/c/d}\n", `emulator.yaml:2: service principal "ci" has no resourceId; only managed identities do`},
		{"secret on a managed identity", "identities:\n  - {name: web, kind: user, clientSecret: hunter2}\n", `emulator.yaml:2: identity "web" is a managed identity; only a service principal (kind: servicePrincipal) has a clientSecret or certificate`},
		{"principal secret a list", "identities:\n  - {name: ci, kind: servicePrincipal, clientSecret: [a]}\n", `emulator.yaml:2: clientSecret of service principal "ci" must be a non-empty string`},
		{"principal empty certificate", "identities:\n  - {name: ci, kind: servicePrincipal, certificate: ''}\n", `emulator.yaml:2: certificate of service principal "ci" must name a PEM file`},

		// Identities.
		{"identity without name", "identities:\n  - kind: user\n", "emulator.yaml:2: identities[0] needs a name"},
		{"identity empty name", "identities:\n  - {name: '', kind: user}\n", `emulator.yaml:2: identity name "" is invalid: use 1-128 letters, digits, hyphens and underscores, starting with a letter or digit`},
		{"identity name with slash", "identities:\n  - {name: a/b, kind: user}\n", `emulator.yaml:2: identity name "a/b" is invalid: use 1-128 letters, digits, hyphens and underscores, starting with a letter or digit`},
		{"identity unknown key", "identities:\n  - name: web\n    kind: user\n    clientID: x\n", `emulator.yaml:4: unknown key "clientID" in identity "web"`},
		{"identity without kind", "identities:\n  - name: web\n", `emulator.yaml:2: identity "web" needs kind: system, user or servicePrincipal`},
		{"identity bad kind", "identities:\n  - {name: web, kind: service}\n", `emulator.yaml:2: kind "service" of identity "web" must be system, user or servicePrincipal`},
		{"identity duplicate name", "identities:\n  - {name: web, kind: user}\n  - {name: WEB, kind: user}\n", `emulator.yaml:3: identity "WEB" is defined twice (first at line 2)`},
		{"two system identities", "identities:\n  - {name: a, kind: system}\n  - {name: b, kind: System}\n", `emulator.yaml:3: identity "b" is a second system identity ("a" is one already); a host has at most one`},
		{"client id not a GUID", "identities:\n  - name: a\n    kind: user\n    clientId: 1234\n", `emulator.yaml:4: clientId "1234" of identity "a" is not a GUID`},
		{"object id not a GUID", "identities:\n  - {name: a, kind: user, objectId: '{" + guid(0) + "}'}\n", `emulator.yaml:2: objectId "{` + guid(0) + `}" of identity "a" is not a GUID`},
		{"resource id not ARM", "identities:\n  - {name: a, kind: user, resourceId: /subscriptions/x/a}\n", `emulator.yaml:2: resourceId "/subscriptions/x/a" of identity "a" is not an ARM resource id (/subscriptions/{guid}/resourcegroups/{group}/providers/{namespace}/{type}/{name})`},
		{"client id reused", "identities:\n  - {name: a, kind: user, clientId: " + guid(0) + "}\n  - name: b\n    kind: user\n    clientId: " + strings.ToUpper(guid(0)) + "\n", `emulator.yaml:5: clientId of identity "b" is already the clientId of identity "a"`},
		{"object id equals another's client id", "identities:\n  - {name: a, kind: user, clientId: " + guid(1) + "}\n  - name: b\n    kind: user\n    objectId: " + guid(1) + "\n", `emulator.yaml:5: objectId of identity "b" is already the clientId of identity "a"`},
		{"client equals own object id", "identities:\n  - {name: a, kind: user, clientId: " + guid(1) + ", objectId: " + guid(1) + "}\n", `emulator.yaml:2: objectId of identity "a" is already the clientId of identity "a"`},
		{"service principal named like the default identity", "identities:\n  - {name: System, kind: servicePrincipal, clientSecret: s3cret}\n",
			`emulator.yaml:2: clientId of identity "System" is already the clientId of the default identity "system", added because no managed identity is configured; rename it or configure a managed identity`},
		{"resource id reused", "identities:\n  - {name: a, kind: user, resourceId: /subscriptions/" + guid(2) + "/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x}\n  - {name: b, kind: user,\n     resourceId: /subscriptions/" + guid(2) + "/resourcegroups/RG/providers/Microsoft.ManagedIdentity/userAssignedIdentities/X}\n", `emulator.yaml:4: resourceId of identity "b" is already the resourceId of identity "a"`},

		// Vaults.
		{"vault without name", "vaults:\n  - retentionDays: 7\n", "emulator.yaml:2: vaults[0] needs a name"},
		{"vault name too short", "vaults: [{name: ab}]\n", `emulator.yaml:1: vault name "ab" is invalid: use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"`},
		{"vault name too long", "vaults: [{name: a2345678901234567890123x5}]\n", `emulator.yaml:1: vault name "a2345678901234567890123x5" is invalid: use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"`},
		{"vault name starts with digit", "vaults: [{name: 1abc}]\n", `emulator.yaml:1: vault name "1abc" is invalid: use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"`},
		{"vault name ends with hyphen", "vaults: [{name: abc-}]\n", `emulator.yaml:1: vault name "abc-" is invalid: use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"`},
		{"vault name double hyphen", "vaults: [{name: a--b}]\n", `emulator.yaml:1: vault name "a--b" is invalid: use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"`},
		{"vault name underscore", "vaults: [{name: a_bc}]\n", `emulator.yaml:1: vault name "a_bc" is invalid: use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"`},
		{"vault duplicate", "vaults:\n  - name: kv1\n  - name: KV1\n", `emulator.yaml:3: vault "KV1" is defined twice (first at line 2)`},
		{"throttle unknown key", "vaults:\n  - name: kv1\n    throttle: {reads: 5}\n", `emulator.yaml:3: unknown key "reads" in throttle of vault "kv1"`},
		{"throttle zero", "vaults:\n  - name: kv1\n    throttle:\n      other: 0\n", `emulator.yaml:4: other of throttle of vault "kv1" must be at least 1, got 0`},
		{"throttle not a mapping", "vaults:\n  - name: kv1\n    throttle: yes\n", `emulator.yaml:3: throttle of vault "kv1" must be a mapping`},
		{"retention too low", "vaults:\n  - name: kv1\n    retentionDays: 6\n", `emulator.yaml:3: retentionDays of vault "kv1" must be between 7 and 90, got 6`},
		{"retention too high", "vaults:\n  - name: kv1\n    retentionDays: 91\n", `emulator.yaml:3: retentionDays of vault "kv1" must be between 7 and 90, got 91`},
		{"retention not integer", "vaults:\n  - name: kv1\n    retentionDays: 7.5\n", `emulator.yaml:3: retentionDays of vault "kv1" must be an integer`},
		{"purge protection not bool", "vaults:\n  - name: kv1\n    purgeProtection: maybe\n", `emulator.yaml:3: purgeProtection of vault "kv1" must be true or false`},

		// Access.
		{"both models", "vaults:\n  - name: kv1\n    access:\n      roles: []\n      policies: []\n", `emulator.yaml:4: vault "kv1" uses both access policies and RBAC roles; choose one`},
		{"neither model", "vaults:\n  - name: kv1\n    access: {}\n", `emulator.yaml:3: access of vault "kv1" needs either policies or roles`},
		{"access unknown key", "vaults:\n  - name: kv1\n    access:\n      rbac: []\n", `emulator.yaml:4: unknown key "rbac" in access of vault "kv1"`},
		{"policy unknown identity", "vaults:\n  - name: kv1\n    access:\n      policies:\n        - identity: ghost\n", `emulator.yaml:5: identity "ghost" in access policy of vault "kv1" is not defined under identities`},
		{"policy without identity", "vaults:\n  - name: kv1\n    access:\n      policies:\n        - secrets: [get]\n", `emulator.yaml:5: access policy of vault "kv1" needs an identity`},
		{"policy bad permission", "vaults:\n  - name: kv1\n    access:\n      policies:\n        - identity: system\n          secrets: [get, Read]\n", `emulator.yaml:6: unknown secret permission "read" for identity "system" in vault "kv1" (use get, list, set, delete, recover, backup, restore, purge or all)`},
		{"policy unknown key", "vaults:\n  - name: kv1\n    access:\n      policies:\n        - identity: system\n          keys: [get]\n", `emulator.yaml:6: unknown key "keys" in access policy of vault "kv1"`},
		{"policy duplicate identity", "vaults:\n  - name: kv1\n    access:\n      policies:\n        - identity: system\n        - identity: SYSTEM\n", `emulator.yaml:6: vault "kv1" has two access policies for identity "SYSTEM" (first at line 5); merge them`},
		{"role unknown identity", "vaults:\n  - name: kv1\n    access:\n      roles:\n        - {identity: reader, role: Key Vault Secrets User}\n", `emulator.yaml:5: identity "reader" in role assignment of vault "kv1" is not defined under identities`},
		{"role unknown", "vaults:\n  - name: kv1\n    access:\n      roles:\n        - identity: system\n          role: Owner\n", `emulator.yaml:6: unknown role "Owner" in vault "kv1" (use Key Vault Secrets User, Key Vault Secrets Officer, Key Vault Administrator, Key Vault Reader)`},
		{"role missing", "vaults:\n  - name: kv1\n    access:\n      roles:\n        - identity: system\n", `emulator.yaml:5: role assignment of vault "kv1" needs a role`},
		{"role without identity", "vaults:\n  - name: kv1\n    access:\n      roles:\n        - role: Key Vault Reader\n", `emulator.yaml:5: role assignment of vault "kv1" needs an identity`},
		{"role bad scope", "vaults:\n  - name: kv1\n    access:\n      roles:\n        - identity: system\n          role: Key Vault Reader\n          scope: /keys/k\n", `emulator.yaml:7: scope "/keys/k" in vault "kv1" must be / (the vault) or /secrets/{secret-name}`},
		{"role scope bad secret name", "vaults:\n  - name: kv1\n    access:\n      roles:\n        - {identity: system, role: Key Vault Reader, scope: /secrets/a_b}\n", `emulator.yaml:5: scope "/secrets/a_b" in vault "kv1" must be / (the vault) or /secrets/{secret-name}`},
		{"role unknown key", "vaults:\n  - name: kv1\n    access:\n      roles:\n        - {identity: system, role: Key Vault Reader, principal: x}\n", `emulator.yaml:5: unknown key "principal" in role assignment of vault "kv1"`},

		// Seed secrets.
		{"secret bad name", "vaults:\n  - name: kv1\n    secrets:\n      - {name: db_password, value: x}\n", `emulator.yaml:4: secret name "db_password" in vault "kv1" is invalid: use 1-127 letters, digits and hyphens`},
		{"secret name too long", "vaults:\n  - name: kv1\n    secrets:\n      - {name: " + strings.Repeat("a", 128) + ", value: x}\n", `emulator.yaml:4: secret name "` + strings.Repeat("a", 128) + `" in vault "kv1" is invalid: use 1-127 letters, digits and hyphens`},
		{"secret without name", "vaults:\n  - name: kv1\n    secrets:\n      - value: x\n", `emulator.yaml:4: secrets[0] of vault "kv1" needs a name`},
		{"secret without value", "vaults:\n  - name: kv1\n    secrets:\n      - name: a\n", `emulator.yaml:4: secret "a" of vault "kv1" needs a value`},
		{"secret duplicate", "vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: x}\n      - {name: A, value: y}\n", `emulator.yaml:5: secret "A" is seeded twice in vault "kv1" (first at line 4)`},
		{"secret value too long", "vaults:\n  - name: kv1\n    secrets:\n      - name: a\n        value: " + strings.Repeat("x", kv.MaxSecretValueBytes+1) + "\n", `emulator.yaml:5: value of secret "a" of vault "kv1" is 25601 bytes; the limit is 25600`},
		{"secret value a mapping", "vaults:\n  - name: kv1\n    secrets:\n      - name: a\n        value: {hunter2: x}\n", `emulator.yaml:5: value of secret "a" of vault "kv1" must be a string`},
		{"secret unknown key", "vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: x, expires: 2030-01-01}\n", `emulator.yaml:4: unknown key "expires" in secret "a" of vault "kv1"`},
		{"content type too long", "vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: x, contentType: " + strings.Repeat("c", 256) + "}\n", `emulator.yaml:4: contentType of secret "a" of vault "kv1" is 256 characters; the limit is 255`},
		{"too many tags", "vaults:\n  - name: kv1\n    secrets:\n      - name: a\n        value: x\n        tags: {" + tags(16) + "}\n", `emulator.yaml:6: secret "a" of vault "kv1" has 16 tags; the limit is 15`},
		{"tag name too long", "vaults:\n  - name: kv1\n    secrets:\n      - name: a\n        value: x\n        tags:\n          " + strings.Repeat("k", 513) + ": v\n", `emulator.yaml:7: a tag name of secret "a" of vault "kv1" is 513 characters; the limit is 512`},
		{"tag value too long", "vaults:\n  - name: kv1\n    secrets:\n      - name: a\n        value: x\n        tags:\n          k: " + strings.Repeat("v", 513) + "\n", `emulator.yaml:7: tag "k" of secret "a" of vault "kv1" is 513 characters; the limit is 512`},
		{"tags a list", "vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: x, tags: [a]}\n", `emulator.yaml:4: tags of secret "a" of vault "kv1" must be a mapping`},
		{"enabled not bool", "vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: x, enabled: 1}\n", `emulator.yaml:4: enabled of secret "a" of vault "kv1" must be true or false`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("emulator.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", c)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "emulator.yaml" || ce.Line == 0 {
				t.Errorf("error %#v is not an *Error with file and line", err)
			}
		})
	}
}

func tags(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("t" + string(rune('a'+i)) + ": v")
	}
	return b.String()
}

// Secret values and the identity header are secrets: whatever is wrong
// around them, no message may repeat them.
func TestErrorsNeverContainSecrets(t *testing.T) {
	const secret = "hunter2-TOP-SECRET"
	for _, src := range []string{
		"vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: [" + secret + "]}\n",
		"vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: {" + secret + ": 1}}\n",
		"vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: " + secret + strings.Repeat("x", kv.MaxSecretValueBytes) + "}\n",
		"vaults:\n  - name: kv1\n    secrets:\n      - {value: " + secret + "}\n",
		"vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: " + secret + ", bogus: 1}\n",
		"vaults:\n  - name: kv1\n    secrets:\n      - {name: a, value: " + secret + "}\n      - {name: a, value: " + secret + "}\n",
		"identityHeader: " + secret + " x\n",
		"identityHeader: [" + secret + "]\n",
	} {
		_, err := Parse("emulator.yaml", []byte(src))
		if err == nil {
			t.Errorf("no error for %q", src)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error repeats the secret: %v", err)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "emulator.yaml")
	if err := os.WriteFile(path, []byte("vaults:\n  - name: kv1\n    bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if want := path + `:3: unknown key "bogus" in vault "kv1"`; err == nil || err.Error() != want {
		t.Errorf("Load error = %v, want %s", err, want)
	}
	os.WriteFile(path, []byte(docExample), 0o600)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Vaults[0].Name != "myvault" {
		t.Errorf("loaded %+v", c)
	}
	missing := filepath.Join(dir, "missing.yaml")
	_, err = Load(missing)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) = %v, want a not-exist error naming the file", err)
	}
}

// A service principal keeps its credentials, gets derived ids but no
// resource id, and a config of principals alone still has the default
// managed identity. The secret never shows in %v, %+v, %#v or JSON.
func TestServicePrincipalConfig(t *testing.T) {
	const secret = "ci-secret-value-0001"
	c, err := Parse("emulator.yaml", []byte(`
identities:
  - name: ci
    kind: servicePrincipal
    clientSecret: `+secret+`
    certificate: testdata/ci.pem
vaults:
  - name: kv1
    access:
      roles: [{identity: ci, role: Key Vault Secrets User}]
`))
	if err != nil {
		t.Fatal(err)
	}
	ci, ok := c.IdentityByName("ci")
	if !ok || ci.Kind != kv.KindServicePrincipal || ci.ClientSecret.Reveal() != secret || ci.CertificateFile != "testdata/ci.pem" ||
		!identity.IsGUID(ci.ClientID) || !identity.IsGUID(ci.ObjectID) || ci.ResourceID != "" {
		t.Fatalf("service principal = %+v", ci)
	}
	if sys, ok := c.IdentityByName(DefaultIdentityName); !ok || sys.Kind != kv.KindSystem {
		t.Errorf("no default system identity beside the principal: %+v", c.Identities)
	}
	if got := c.Vaults[0].Access.Roles[0].ObjectID; got != ci.ObjectID {
		t.Errorf("role assignment object id %s, want the principal's %s", got, ci.ObjectID)
	}
	js, _ := json.Marshal(ci)
	for _, shown := range []string{fmt.Sprintf("%v", *ci), fmt.Sprintf("%+v", *ci), fmt.Sprintf("%#v", *ci), string(js), fmt.Sprint(ci.ClientSecret)} {
		if strings.Contains(shown, secret) {
			t.Errorf("the client secret leaks: %s", shown)
		}
	}
}

// A UTF-16 file is refused on line 1: yaml.v3 would decode it and number
// its lines by characters (U+2028 included) no editor of the bytes shows.
func TestUTF16Refused(t *testing.T) {
	for _, bom := range []string{"\xff\xfe", "\xfe\xff"} {
		_, err := Parse("cfg.yaml", []byte(bom+"( 00"))
		if err == nil || err.Error() != "cfg.yaml:1: the file is UTF-16; save it as UTF-8" {
			t.Errorf("UTF-16 with BOM %q: err = %v", bom, err)
		}
	}
}
