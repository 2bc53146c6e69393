package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/token"
)

// Issue 4, part 3: the access matrix. One identity per access-policy
// permission and per built-in role at vault and at secret scope, in two
// vaults (one on access policies, one on RBAC); every identity performs
// every secret operation over HTTPS with its own IMDS token, and gets the
// operation's success or the exact 403 the service sends.
//
// The expectations are written out here from the service's documentation,
// independently of emulator/access, so the test checks that package rather
// than restating it.

// matrixOp is one secret operation as a client sends it, on the secret
// "target" (the secret-scoped role assignments' scope).
type matrixOp struct {
	name   string // access.Operation spelling
	method string
	path   string // below the vault URL, without api-version
	body   func(blob string) string
	status int // on success
	// fixture prepares the state the operation needs to succeed.
	fixture string // "", "deleted" or "purged"
	// policyPermission and dataAction are what the service requires.
	policyPermission string
	dataAction       string
	vaultWide        bool // authorized against the vault, never a secret scope
}

const actionPrefix = "Microsoft.KeyVault/vaults/secrets/"

var matrixOps = []matrixOp{
	{"set", http.MethodPut, "secrets/target", func(string) string { return `{"value":"matrix-new-value"}` }, 200, "", "set", "setSecret/action", false},
	{"get", http.MethodGet, "secrets/target", nil, 200, "", "get", "getSecret/action", false},
	{"update", http.MethodPatch, "secrets/target/", func(string) string { return `{"contentType":"text/matrix"}` }, 200, "", "set", "update/action", false},
	{"delete", http.MethodDelete, "secrets/target", nil, 200, "", "delete", "delete", false},
	{"getDeleted", http.MethodGet, "deletedsecrets/target", nil, 200, "deleted", "get", "readMetadata/action", false},
	{"listDeleted", http.MethodGet, "deletedsecrets", nil, 200, "deleted", "list", "readMetadata/action", true},
	{"purge", http.MethodDelete, "deletedsecrets/target", nil, 204, "deleted", "purge", "purge/action", false},
	{"recover", http.MethodPost, "deletedsecrets/target/recover", nil, 200, "deleted", "recover", "recover/action", false},
	{"backup", http.MethodPost, "secrets/target/backup", nil, 200, "", "backup", "backup/action", false},
	{"restore", http.MethodPost, "secrets/restore", func(blob string) string { return `{"value":"` + blob + `"}` }, 200, "purged", "restore", "restore/action", true},
	{"list", http.MethodGet, "secrets", nil, 200, "", "list", "readMetadata/action", true},
	{"listVersions", http.MethodGet, "secrets/target/versions", nil, 200, "", "list", "readMetadata/action", false},
}

// roleActions are the secret data actions each built-in role holds.
var roleActions = map[string][]string{
	"Key Vault Secrets User":    {"getSecret/action", "readMetadata/action"},
	"Key Vault Secrets Officer": {"*"},
	"Key Vault Administrator":   {"*"},
	"Key Vault Reader":          {"readMetadata/action"},
}

// grant is one identity and what it holds.
type grant struct {
	identity   string
	permission string // access-policy permission, on policyvault
	role       string // built-in role, on rbacvault
	secretOnly bool   // role scoped to /secrets/target
	principal  bool   // a service principal (client secret at Entra), not a managed identity
}

func matrixGrants() []grant {
	var gs []grant
	for _, p := range []string{"get", "list", "set", "delete", "recover", "backup", "restore", "purge"} {
		gs = append(gs, grant{identity: "policy-" + p, permission: p})
	}
	for _, role := range []string{"Key Vault Secrets User", "Key Vault Secrets Officer", "Key Vault Administrator", "Key Vault Reader"} {
		short := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(role, "Key Vault "), "Secrets "))
		gs = append(gs, grant{identity: "role-" + short + "-vault", role: role},
			grant{identity: "role-" + short + "-secret", role: role, secretOnly: true})
	}
	// A service principal is granted like an identity: get in the policy
	// vault, Secrets User in the RBAC vault.
	gs = append(gs, grant{identity: "principal-ci", permission: "get", role: "Key Vault Secrets User", principal: true})
	return append(gs, grant{identity: "nobody"})
}

// principalSecret is the client secret matrixConfig gives principal g.
func (g grant) principalSecret() string { return "matrix-secret-" + g.identity }

// matrixConfig gives every grant its identity; "fixture" may do anything
// in both vaults and prepares state.
func matrixConfig(grants []grant) string {
	var ids, policies, roles strings.Builder
	ids.WriteString("  - {name: fixture, kind: user}\n")
	policies.WriteString("        - {identity: fixture, secrets: [all]}\n")
	roles.WriteString("        - {identity: fixture, role: Key Vault Administrator}\n")
	for _, g := range grants {
		if g.principal {
			fmt.Fprintf(&ids, "  - {name: %s, kind: servicePrincipal, clientSecret: %s}\n", g.identity, g.principalSecret())
		} else {
			fmt.Fprintf(&ids, "  - {name: %s, kind: user}\n", g.identity)
		}
		if g.permission != "" {
			fmt.Fprintf(&policies, "        - {identity: %s, secrets: [%s]}\n", g.identity, g.permission)
		}
		if g.role != "" {
			scope := "/"
			if g.secretOnly {
				scope = "/secrets/target"
			}
			fmt.Fprintf(&roles, "        - {identity: %s, role: %s, scope: %s}\n", g.identity, g.role, scope)
		}
	}
	seeds := "    secrets:\n      - {name: target, value: matrix-value}\n      - {name: bystander, value: bystander-value}\n"
	return "identities:\n" + ids.String() +
		"vaults:\n  - name: policyvault\n    access:\n      policies:\n" + policies.String() + seeds +
		"  - name: rbacvault\n    access:\n      roles:\n" + roles.String() + seeds
}

// allowed is the documented decision for g doing op in the vault.
func (g grant) allowed(vault string, op matrixOp) bool {
	if vault == "policyvault" {
		return g.permission == op.policyPermission
	}
	if g.role == "" || (g.secretOnly && op.vaultWide) {
		return false
	}
	for _, a := range roleActions[g.role] {
		if a == "*" || a == op.dataAction {
			return true
		}
	}
	return false
}

func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	grants := matrixGrants()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: matrixConfig(grants)})
	tenant := e.Config.Tenant
	caller := func(name string) string {
		id := e.Identity(t, name)
		return "appid=" + id.ClientID + ";oid=" + id.ObjectID + ";iss=" + token.IssuerURL(tenant)
	}
	tokens := map[string]string{}
	tokens["fixture"] = "Bearer " + imdsToken(t, e, e.Identity(t, "fixture").ClientID, "https://vault.azure.net")
	for _, g := range grants {
		if g.principal {
			tokens[g.identity] = "Bearer " + entraSecretToken(t, e, e.Identity(t, g.identity).ClientID, g.principalSecret(), "")
			continue
		}
		tokens[g.identity] = "Bearer " + imdsToken(t, e, e.Identity(t, g.identity).ClientID, "https://vault.azure.net")
	}
	client := e.Client()
	url := func(vault, path string) string {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return e.VaultURLFor(vault) + path + sep + "api-version=2026-04-01"
	}
	fixture := func(t *testing.T, vault, method, path, body string, want int) vaultReply {
		t.Helper()
		r := vaultCall(t, client, method, url(vault, path), tokens["fixture"], body)
		if r.status != want {
			t.Fatalf("fixture %s %s in %s: %d %s", method, path, vault, r.status, r.body)
		}
		return r
	}
	blobs := map[string]string{}
	for _, vault := range []string{"policyvault", "rbacvault"} {
		var backup struct {
			Value string `json:"value"`
		}
		if err := json.Unmarshal(fixture(t, vault, http.MethodPost, "secrets/target/backup", "", 200).body, &backup); err != nil || backup.Value == "" {
			t.Fatalf("backup blob: %v", err)
		}
		blobs[vault] = backup.Value
	}

	allowedCount, deniedCount := 0, 0
	for _, vault := range []string{"policyvault", "rbacvault"} {
		for _, op := range matrixOps {
			for _, g := range grants {
				name := vault + "/" + op.name + "/" + g.identity
				if err := e.Server.Reset(context.Background()); err != nil {
					t.Fatal(err)
				}
				switch op.fixture {
				case "deleted":
					fixture(t, vault, http.MethodDelete, "secrets/target", "", 200)
				case "purged":
					fixture(t, vault, http.MethodDelete, "secrets/target", "", 200)
					fixture(t, vault, http.MethodDelete, "deletedsecrets/target", "", 204)
				}
				body := ""
				if op.body != nil {
					body = op.body(blobs[vault])
				}
				r := vaultCall(t, client, op.method, url(vault, op.path), tokens[g.identity], body)
				if g.allowed(vault, op) {
					allowedCount++
					if r.status != op.status {
						t.Errorf("%s: got %d %s, want %d", name, r.status, r.body, op.status)
					}
					continue
				}
				deniedCount++
				want := expectedDenial(vault, caller(g.identity), op, e.Config.SubscriptionID())
				if r.status != http.StatusForbidden || r.err.Code != "Forbidden" || r.innerCode() != want.inner {
					t.Errorf("%s: got %d %q/%q, want 403 Forbidden/%s (body %s)", name, r.status, r.err.Code, r.innerCode(), want.inner, r.body)
					continue
				}
				if r.err.Message != want.message {
					t.Errorf("%s: message\n got %q\nwant %q", name, r.err.Message, want.message)
				}
				// A refused operation changed nothing: the secret is where
				// the fixture left it.
				where := "secrets/target"
				if op.fixture == "deleted" {
					where = "deletedsecrets/target"
				}
				if op.fixture != "purged" {
					fixture(t, vault, http.MethodGet, where, "", 200)
				}
			}
		}
	}
	// A matrix that only ever allowed (or only refused) would prove
	// nothing about the other outcome.
	t.Logf("%d allowed and %d refused operations", allowedCount, deniedCount)
	if allowedCount == 0 || deniedCount == 0 {
		t.Fatal("the matrix exercised only one outcome")
	}
}

type wantDenial struct{ inner, message string }

// expectedDenial is the service's 403 for callerID doing op in vault.
func expectedDenial(vault, callerID string, op matrixOp, subscription string) wantDenial {
	if vault == "policyvault" {
		return wantDenial{"AccessDenied", "The user, group or application '" + callerID +
			"' does not have secrets " + op.policyPermission + " permission on key vault '" + vault +
			";location=local'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"}
	}
	resource := "/subscriptions/" + subscription + "/resourcegroups/emulator/providers/microsoft.keyvault/vaults/" + vault
	if !op.vaultWide {
		resource += "/secrets/target"
	}
	return wantDenial{"ForbiddenByRbac", "Caller is not authorized to perform action on resource.\r\n" +
		"If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n" +
		"Caller: " + callerID + "\r\n" +
		"Action: '" + actionPrefix + op.dataAction + "'\r\n" +
		"Resource: '" + resource + "'\r\n" +
		"Assignment: (not found)\r\n" +
		"DenyAssignmentId: null\r\n" +
		"DecisionReason: null \r\n" +
		"Vault: " + vault + ";location=local\r\n"}
}

// A correctly signed token naming an identity the vault has never heard of
// (deleted since, or from another directory object) authenticates but is
// refused by both permission models.
func TestUnknownIdentityIsForbidden(t *testing.T) {
	t.Parallel()
	grants := []grant{{identity: "policy-get", permission: "get"}, {identity: "role-user-vault", role: "Key Vault Secrets User"}}
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: matrixConfig(grants)})
	tenant := e.Config.Tenant
	now := e.Now().Unix()
	const ghostOID, ghostApp = "9e9e9e9e-0000-4000-8000-0000000000aa", "9e9e9e9e-0000-4000-8000-0000000000bb"
	ghost := "Bearer " + signJWT(t, map[string]string{"alg": "RS256", "typ": "JWT", "kid": signingKey(t, e).ID()}, map[string]any{
		"aud": "https://vault.azure.net", "iss": token.IssuerURL(tenant), "tid": tenant,
		"iat": now, "nbf": now, "exp": now + 3600, "oid": ghostOID, "sub": ghostOID, "appid": ghostApp,
		"idtyp": "app", "ver": "1.0",
	}, emulatorPrivateKey(t, e))
	get := matrixOps[1]
	callerID := "appid=" + ghostApp + ";oid=" + ghostOID + ";iss=" + token.IssuerURL(tenant)
	for _, vault := range []string{"policyvault", "rbacvault"} {
		r := vaultCall(t, e.Client(), http.MethodGet, e.VaultURLFor(vault)+"secrets/target?api-version=2026-04-01", ghost, "")
		want := expectedDenial(vault, callerID, get, e.Config.SubscriptionID())
		if r.status != http.StatusForbidden || r.err.Code != "Forbidden" || r.innerCode() != want.inner || r.err.Message != want.message {
			t.Errorf("%s: got %d %q/%q %q, want 403 Forbidden/%s %q", vault, r.status, r.err.Code, r.innerCode(), r.err.Message, want.inner, want.message)
		}
	}
}
