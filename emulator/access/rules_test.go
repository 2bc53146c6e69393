package access

import (
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/kv"
)

var (
	testPlacement = Placement{
		SubscriptionID: "00000000-aaaa-bbbb-cccc-000000000001",
		ResourceGroup:  "RG-Emulator",
		Location:       "westeurope",
	}
	alice = Caller{
		TenantID:   "72f988bf-0000-0000-0000-0000000000aa",
		ObjectID:   "11111111-1111-1111-1111-111111111111",
		ClientID:   "22222222-2222-2222-2222-222222222222",
		ResourceID: "/subscriptions/x/resourcegroups/y/providers/Microsoft.ManagedIdentity/userAssignedIdentities/alice",
	}
	stranger = Caller{
		TenantID: alice.TenantID,
		ObjectID: "99999999-9999-9999-9999-999999999999",
		ClientID: "88888888-8888-8888-8888-888888888888",
	}
)

// opsOf builds a set for the expectation tables below.
func opsOf(ops ...kv.Operation) map[kv.Operation]bool {
	set := map[kv.Operation]bool{}
	for _, op := range ops {
		set[op] = true
	}
	return set
}

// Written out by hand from the service's documentation rather than derived
// from kv.PermissionFor, so a wrong mapping fails here. (kv's own tests pin
// the permission and data action of each operation.)
var policyGrants = map[string]map[kv.Operation]bool{
	"get":     opsOf(kv.OpGet, kv.OpGetDeleted),
	"list":    opsOf(kv.OpList, kv.OpListVersions, kv.OpListDeleted),
	"set":     opsOf(kv.OpSet, kv.OpUpdate),
	"delete":  opsOf(kv.OpDelete),
	"recover": opsOf(kv.OpRecover),
	"backup":  opsOf(kv.OpBackup),
	"restore": opsOf(kv.OpRestore),
	"purge":   opsOf(kv.OpPurge),
}

var everyOp = opsOf(kv.Operations...)

var roleGrants = map[string]map[kv.Operation]bool{
	"Key Vault Secrets User":    opsOf(kv.OpGet, kv.OpGetDeleted, kv.OpList, kv.OpListVersions, kv.OpListDeleted),
	"Key Vault Secrets Officer": everyOp,
	"Key Vault Administrator":   everyOp,
	"Key Vault Reader":          opsOf(kv.OpGetDeleted, kv.OpList, kv.OpListVersions, kv.OpListDeleted),
}

var vaultWideOps = opsOf(kv.OpList, kv.OpListDeleted, kv.OpRestore)

func TestPolicyMatrix(t *testing.T) {
	for perm, allowed := range policyGrants {
		vr := VaultRules{Model: Policies, Policies: []Policy{{ObjectID: alice.ObjectID, Permissions: []kv.Permission{kv.Permission(perm)}}}}
		for _, op := range kv.Operations {
			d := Decide("kv1", vr, alice, op, "alpha", testPlacement)
			if allowed[op] {
				if d != nil {
					t.Errorf("permission %s, op %s: denied (%s), want allowed", perm, op, d.Message)
				}
				continue
			}
			if d == nil {
				t.Errorf("permission %s, op %s: allowed, want AccessDenied", perm, op)
				continue
			}
			if d.InnerCode != "AccessDenied" {
				t.Errorf("permission %s, op %s: inner code %q, want AccessDenied", perm, op, d.InnerCode)
			}
			want := "does not have secrets " + string(kv.PermissionFor(op)) + " permission on key vault 'kv1;location=westeurope'"
			if !strings.Contains(d.Message, want) {
				t.Errorf("permission %s, op %s: message %q lacks %q", perm, op, d.Message, want)
			}
		}
	}
}

func TestPolicyAllAndUnion(t *testing.T) {
	all := VaultRules{Model: Policies, Policies: []Policy{{ObjectID: alice.ObjectID, Permissions: []kv.Permission{"All"}}}}
	split := VaultRules{Model: Policies, Policies: []Policy{
		{ObjectID: alice.ObjectID, Permissions: []kv.Permission{"Get"}},
		{ObjectID: strings.ToUpper(alice.ObjectID), Permissions: []kv.Permission{"LIST"}},
	}}
	for _, op := range kv.Operations {
		if d := Decide("kv1", all, alice, op, "alpha", testPlacement); d != nil {
			t.Errorf("\"all\": op %s denied: %s", op, d.Message)
		}
		want := policyGrants["get"][op] || policyGrants["list"][op]
		if got := Decide("kv1", split, alice, op, "alpha", testPlacement) == nil; got != want {
			t.Errorf("get+list in two entries: op %s allowed=%v, want %v", op, got, want)
		}
	}
}

func TestRoleMatrix(t *testing.T) {
	scopes := []string{"", "/", "/secrets/Alpha"}
	targets := []string{"alpha", "beta"}
	for role, grants := range roleGrants {
		for _, scope := range scopes {
			secretScoped := strings.HasPrefix(scope, "/secrets/")
			vr := VaultRules{Model: RBAC, Roles: []RoleAssignment{{ObjectID: alice.ObjectID, Role: kv.Role(role), Scope: scope}}}
			for _, target := range targets {
				for _, op := range kv.Operations {
					inScope := !secretScoped || (!vaultWideOps[op] && target == "alpha")
					want := grants[op] && inScope
					d := Decide("kv1", vr, alice, op, target, testPlacement)
					if want {
						if d != nil {
							t.Errorf("%s at %q, op %s on %s: denied, want allowed", role, scope, op, target)
						}
						continue
					}
					if d == nil {
						t.Errorf("%s at %q, op %s on %s: allowed, want ForbiddenByRbac", role, scope, op, target)
						continue
					}
					if d.InnerCode != "ForbiddenByRbac" {
						t.Errorf("%s at %q, op %s: inner code %q", role, scope, op, d.InnerCode)
					}
					if !strings.Contains(d.Message, "\r\nAction: '"+kv.DataActionFor(op)+"'\r\n") {
						t.Errorf("%s at %q, op %s: message %q does not name %s", role, scope, op, d.Message, kv.DataActionFor(op))
					}
					resource := "/providers/microsoft.keyvault/vaults/kv1/secrets/" + target + "'"
					if vaultWideOps[op] {
						resource = "/providers/microsoft.keyvault/vaults/kv1'"
					}
					if !strings.Contains(d.Message, resource) {
						t.Errorf("%s at %q, op %s: message %q lacks resource %q", role, scope, op, d.Message, resource)
					}
				}
			}
		}
	}
}

func TestRoleByDefinitionID(t *testing.T) {
	vr := VaultRules{Model: RBAC, Roles: []RoleAssignment{{ObjectID: alice.ObjectID, Role: "21090545-7CA7-4776-B22C-E363652D74D2"}}}
	if d := Decide("kv1", vr, alice, kv.OpList, "", testPlacement); d != nil {
		t.Errorf("Key Vault Reader by id: list denied: %s", d.Message)
	}
	if d := Decide("kv1", vr, alice, kv.OpGet, "alpha", testPlacement); d == nil {
		t.Error("Key Vault Reader by id: get allowed, want denied")
	}
}

func TestAssignmentWithUnknownRoleOrScopeGrantsNothing(t *testing.T) {
	for _, a := range []RoleAssignment{
		{ObjectID: alice.ObjectID, Role: "Owner"},
		{ObjectID: alice.ObjectID, Role: kv.RoleAdministrator, Scope: "/keys/alpha"},
		{ObjectID: alice.ObjectID, Role: kv.RoleAdministrator, Scope: "/secrets/"},
		{ObjectID: alice.ObjectID, Role: kv.RoleAdministrator, Scope: "/secrets/al_pha"},
	} {
		vr := VaultRules{Model: RBAC, Roles: []RoleAssignment{a}}
		if d := Decide("kv1", vr, alice, kv.OpGet, "alpha", testPlacement); d == nil || d.InnerCode != "ForbiddenByRbac" {
			t.Errorf("assignment %+v: got %+v, want ForbiddenByRbac", a, d)
		}
	}
}

func TestExactMessages(t *testing.T) {
	policies := VaultRules{Model: Policies, Policies: []Policy{{ObjectID: alice.ObjectID, Permissions: []kv.Permission{"list"}}}}
	d := Decide("MyVault", policies, alice, kv.OpGet, "alpha", testPlacement)
	want := Denial{
		InnerCode: "AccessDenied",
		Message: "The user, group or application 'appid=22222222-2222-2222-2222-222222222222;" +
			"oid=11111111-1111-1111-1111-111111111111;iss=https://sts.windows.net/72f988bf-0000-0000-0000-0000000000aa/' " +
			"does not have secrets get permission on key vault 'MyVault;location=westeurope'. " +
			"For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
	}
	if d == nil || *d != want {
		t.Errorf("access-policy denial:\n got %+v\nwant %+v", d, want)
	}

	rbac := VaultRules{Model: RBAC, Roles: []RoleAssignment{{ObjectID: alice.ObjectID, Role: kv.RoleReader}}}
	d = Decide("MyVault", rbac, alice, kv.OpGet, "Db-Password", testPlacement)
	want = Denial{
		InnerCode: "ForbiddenByRbac",
		Message: "Caller is not authorized to perform action on resource.\r\n" +
			"If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n" +
			"Caller: appid=22222222-2222-2222-2222-222222222222;oid=11111111-1111-1111-1111-111111111111;iss=https://sts.windows.net/72f988bf-0000-0000-0000-0000000000aa/\r\n" +
			"Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'\r\n" +
			"Resource: '/subscriptions/00000000-aaaa-bbbb-cccc-000000000001/resourcegroups/rg-emulator/providers/microsoft.keyvault/vaults/myvault/secrets/db-password'\r\n" +
			"Assignment: (not found)\r\n" +
			"DenyAssignmentId: null\r\n" +
			"DecisionReason: null \r\n" +
			"Vault: MyVault;location=westeurope\r\n",
	}
	if d == nil || *d != want {
		t.Errorf("RBAC denial:\n got %+v\nwant %+v", d, want)
	}

	d = Decide("MyVault", VaultRules{Model: RBAC}, alice, kv.OpRestore, "ignored", testPlacement)
	wantResource := "\r\nResource: '/subscriptions/00000000-aaaa-bbbb-cccc-000000000001/resourcegroups/rg-emulator/providers/microsoft.keyvault/vaults/myvault'\r\n"
	if d == nil || !strings.Contains(d.Message, wantResource) || !strings.Contains(d.Message, "Action: 'Microsoft.KeyVault/vaults/secrets/restore/action'") {
		t.Errorf("vault-wide RBAC denial: got %+v, want resource %q", d, wantResource)
	}
}

func TestUnknownCallerDenied(t *testing.T) {
	policies := VaultRules{Model: Policies, Policies: []Policy{{ObjectID: alice.ObjectID, Permissions: []kv.Permission{"all"}}}}
	rbac := VaultRules{Model: RBAC, Roles: []RoleAssignment{{ObjectID: alice.ObjectID, Role: kv.RoleAdministrator}}}
	for _, op := range kv.Operations {
		if d := Decide("kv1", policies, stranger, op, "alpha", testPlacement); d == nil || d.InnerCode != "AccessDenied" {
			t.Errorf("policies, stranger, %s: got %+v, want AccessDenied", op, d)
		}
		if d := Decide("kv1", rbac, stranger, op, "alpha", testPlacement); d == nil || d.InnerCode != "ForbiddenByRbac" {
			t.Errorf("rbac, stranger, %s: got %+v, want ForbiddenByRbac", op, d)
		}
	}
}

func TestEmptyObjectIDMatchesNothing(t *testing.T) {
	anonymous := Caller{TenantID: alice.TenantID, ClientID: alice.ClientID}
	policies := VaultRules{Model: Policies, Policies: []Policy{{ObjectID: "", Permissions: []kv.Permission{"all"}}}}
	rbac := VaultRules{Model: RBAC, Roles: []RoleAssignment{{ObjectID: "", Role: kv.RoleAdministrator}}}
	if d := Decide("kv1", policies, anonymous, kv.OpGet, "alpha", testPlacement); d == nil {
		t.Error("policy with empty object id matched a caller with no oid")
	}
	if d := Decide("kv1", rbac, anonymous, kv.OpGet, "alpha", testPlacement); d == nil {
		t.Error("role with empty object id matched a caller with no oid")
	}
}

func TestOpenAndUnknownModels(t *testing.T) {
	for _, op := range kv.Operations {
		if d := Decide("kv1", VaultRules{}, stranger, op, "alpha", testPlacement); d != nil {
			t.Errorf("open vault denied %s: %s", op, d.Message)
		}
		d := Decide("kv1", VaultRules{Model: Model(7)}, alice, op, "alpha", testPlacement)
		if d == nil || d.InnerCode != "AccessDenied" {
			t.Errorf("unknown model, %s: got %+v, want AccessDenied", op, d)
		}
	}
}

func TestRulesAuthorize(t *testing.T) {
	rules := &Rules{
		SubscriptionID: testPlacement.SubscriptionID,
		ResourceGroup:  testPlacement.ResourceGroup,
		Location:       testPlacement.Location,
		Vaults: map[string]VaultRules{
			"locked": {Model: Policies, Policies: []Policy{{ObjectID: alice.ObjectID, Permissions: []kv.Permission{"get"}}}},
			"roles":  {Model: RBAC},
		},
	}
	d := rules.Authorize("roles", alice, kv.OpGet, "alpha")
	wantResource := "Resource: '/subscriptions/00000000-aaaa-bbbb-cccc-000000000001/resourcegroups/rg-emulator/providers/microsoft.keyvault/vaults/roles/secrets/alpha'"
	if d == nil || !strings.Contains(d.Message, wantResource) || !strings.Contains(d.Message, "Vault: roles;location=westeurope") {
		t.Errorf("RBAC vault through Rules: got %+v, want resource %q and location westeurope", d, wantResource)
	}
	if d := rules.Authorize("Locked", alice, kv.OpGet, "alpha"); d != nil {
		t.Errorf("granted get denied: %s", d.Message)
	}
	d = rules.Authorize("Locked", alice, kv.OpSet, "alpha")
	if d == nil || !strings.Contains(d.Message, "key vault 'Locked;location=westeurope'") {
		t.Errorf("set on Locked: got %+v, want AccessDenied naming 'Locked;location=westeurope'", d)
	}
	if d := rules.Authorize("unconfigured", stranger, kv.OpPurge, "alpha"); d != nil {
		t.Errorf("vault missing from Rules must be open, got %s", d.Message)
	}
	var none *Rules
	if d := none.Authorize("locked", stranger, kv.OpPurge, "alpha"); d != nil {
		t.Errorf("nil Rules must allow, got %s", d.Message)
	}
}

func TestMessagesNameOnlyIdentifiers(t *testing.T) {
	policies := VaultRules{Model: Policies}
	rbac := VaultRules{Model: RBAC}
	for _, op := range kv.Operations {
		for _, d := range []*Denial{
			Decide("kv1", policies, alice, op, "alpha", testPlacement),
			Decide("kv1", rbac, alice, op, "alpha", testPlacement),
		} {
			if strings.Contains(d.Message, alice.ResourceID) || strings.Contains(d.Message, "userAssignedIdentities") {
				t.Errorf("%s: message leaks the caller's resource id: %q", op, d.Message)
			}
		}
		// The access-policy wording never names the secret; only the RBAC
		// resource path does, as the service's does.
		if d := Decide("kv1", policies, alice, op, "alpha", testPlacement); strings.Contains(d.Message, "alpha") {
			t.Errorf("%s: access-policy message names the secret: %q", op, d.Message)
		}
	}
}

func TestModelString(t *testing.T) {
	for m, want := range map[Model]string{Open: "open", Policies: "policies", RBAC: "rbac", Model(9): "Model(9)"} {
		if got := m.String(); got != want {
			t.Errorf("Model(%d).String() = %q, want %q", int(m), got, want)
		}
	}
}
