package access

import (
	"fmt"
	"strings"

	"github.com/secretkit/secretkit/kv"
)

// Model is a vault's permission model. A vault uses exactly one: the
// service refuses to evaluate access policies on an RBAC vault and the
// reverse, so the emulator never mixes them either.
type Model int

const (
	// Open lets every authenticated caller do every operation. It is the
	// zero value so that a vault with no access section in the config is
	// usable at once.
	Open Model = iota
	// Policies evaluates vault access policies (AccessDenied on refusal).
	Policies
	// RBAC evaluates Azure role assignments (ForbiddenByRbac on refusal).
	RBAC
)

// String returns the model's config spelling.
func (m Model) String() string {
	switch m {
	case Open:
		return "open"
	case Policies:
		return "policies"
	case RBAC:
		return "rbac"
	}
	return fmt.Sprintf("Model(%d)", int(m))
}

// Policy is one access-policy entry: the secret permissions granted to the
// principal with ObjectID. kv.PermissionAll grants every one. Entries for
// the same object id add up.
type Policy struct {
	// Identity is the identity's name as a config file gives it; only
	// ObjectID takes part in decisions (the config fills it in).
	Identity    string
	ObjectID    string
	Permissions []kv.Permission
}

// RoleAssignment grants a built-in Key Vault role to the principal with
// ObjectID at Scope: "" or "/" for the whole vault, or "/secrets/{name}" for
// one secret (see kv.ParseScope). Role may also hold the role definition's
// GUID (anything kv.ParseRole accepts); an unknown role or scope grants
// nothing.
type RoleAssignment struct {
	// Identity is the identity's name as a config file gives it; only
	// ObjectID takes part in decisions (the config fills it in).
	Identity string
	ObjectID string
	Role     kv.Role
	Scope    string
}

// VaultRules is the access configuration of one vault. Only the list that
// matches Model is consulted. In a config file it is a vault's access
// section (see DecodeYAML).
type VaultRules struct {
	Model    Model
	Policies []Policy
	Roles    []RoleAssignment
}

// Placement is where a vault pretends to live in Azure. It appears only in
// denial messages (the RBAC resource path and the "location=" suffix), the
// way the service names the vault it refused access to.
type Placement struct {
	SubscriptionID string
	ResourceGroup  string
	Location       string
}

// Rules is the emulator-wide access configuration; *Rules implements
// Authorizer. The three placement fields are shared by every vault (see
// Placement). Vaults is keyed by lowercased vault name; a vault missing from
// it is Open. Rules must not be modified while Authorize may run.
type Rules struct {
	SubscriptionID string
	ResourceGroup  string
	Location       string
	Vaults         map[string]VaultRules
}

var _ Authorizer = (*Rules)(nil)

// Authorize looks up the vault's rules by case-insensitive name and returns
// Decide's answer. vault should be spelled as configured: the real service
// names the vault in its messages with the case it was created with. A nil
// *Rules allows everything.
func (r *Rules) Authorize(vault string, caller Caller, op kv.Operation, secret string) *Denial {
	if r == nil {
		return nil
	}
	where := Placement{SubscriptionID: r.SubscriptionID, ResourceGroup: r.ResourceGroup, Location: r.Location}
	return Decide(vault, r.Vaults[strings.ToLower(vault)], caller, op, secret, where)
}

// Decide is the whole access decision, with no state: whether caller may
// perform op in vault under vr. secret names the secret the operation
// addresses; it is ignored for the vault-wide operations (list, listDeleted,
// restore), which only a vault-scoped grant allows. It returns nil to allow,
// or the Denial the service would send: AccessDenied naming the missing
// "secrets <permission>" for Policies, ForbiddenByRbac naming the data
// action and resource for RBAC. The caller is matched by object id only
// (case-insensitively), as the service does; a caller with no object id
// matches nothing. An unknown Model denies, so a damaged config never opens
// a vault.
func Decide(vault string, vr VaultRules, caller Caller, op kv.Operation, secret string, where Placement) *Denial {
	switch vr.Model {
	case Open:
		return nil
	case Policies:
		perm := kv.PermissionFor(op)
		if policiesGrant(vr.Policies, caller.ObjectID, perm) {
			return nil
		}
		return accessDenied(vault, caller, perm, where)
	case RBAC:
		action := kv.DataActionFor(op)
		target := ""
		if !op.VaultWide() {
			target = secret
		}
		if rolesGrant(vr.Roles, caller.ObjectID, action, target) {
			return nil
		}
		return forbiddenByRBAC(vault, caller, action, target, where)
	}
	return accessDenied(vault, caller, kv.PermissionFor(op), where)
}

func sameID(a, b string) bool {
	return a != "" && strings.EqualFold(a, b)
}

func policiesGrant(policies []Policy, objectID string, perm kv.Permission) bool {
	for _, p := range policies {
		if !sameID(p.ObjectID, objectID) {
			continue
		}
		for _, granted := range p.Permissions {
			if granted.Grants(perm) {
				return true
			}
		}
	}
	return false
}

func rolesGrant(roles []RoleAssignment, objectID, action, secret string) bool {
	for _, a := range roles {
		if !sameID(a.ObjectID, objectID) || !scopeCovers(a.Scope, secret) {
			continue
		}
		// A config holds roles by display name, looked up directly; any
		// other spelling (a role-definition GUID, another case) goes
		// through ParseRole, which allocates, so only then.
		role := a.Role
		if role.ID() == "" {
			role, _ = kv.ParseRole(string(role))
		}
		if role.Allows(action) {
			return true
		}
	}
	return false
}

// scopeCovers reports whether an assignment at scope applies to the target
// secret ("" for the vault itself). A vault scope covers everything; a
// secret scope covers only that secret, never the vault.
func scopeCovers(scope, secret string) bool {
	name, ok := kv.ParseScope(scope)
	if !ok {
		return false
	}
	return name == "" || secret != "" && strings.EqualFold(name, secret)
}

// callerIdentity is how the service names a caller in both denial messages.
// Only identifiers appear: never a token, never a secret value.
func callerIdentity(c Caller) string {
	return "appid=" + c.ClientID + ";oid=" + c.ObjectID + ";iss=https://sts.windows.net/" + c.TenantID + "/"
}

func accessDenied(vault string, c Caller, perm kv.Permission, where Placement) *Denial {
	return &Denial{
		InnerCode: "AccessDenied",
		Message: "The user, group or application '" + callerIdentity(c) +
			"' does not have secrets " + string(perm) + " permission on key vault '" +
			vault + ";location=" + where.Location +
			"'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
	}
}

// armResource is the vault's (or one secret's) ARM resource id as the
// service prints it in RBAC denials: lowercased after the subscription id.
func armResource(vault, secret string, where Placement) string {
	path := "/resourcegroups/" + where.ResourceGroup + "/providers/microsoft.keyvault/vaults/" + vault
	if secret != "" {
		path += "/secrets/" + secret
	}
	return "/subscriptions/" + where.SubscriptionID + strings.ToLower(path)
}

func forbiddenByRBAC(vault string, c Caller, action, secret string, where Placement) *Denial {
	// The service separates lines with CRLF and leaves a space before the
	// CRLF after "DecisionReason: null"; clients print the text verbatim.
	return &Denial{
		InnerCode: "ForbiddenByRbac",
		Message: "Caller is not authorized to perform action on resource.\r\n" +
			"If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n" +
			"Caller: " + callerIdentity(c) + "\r\n" +
			"Action: '" + action + "'\r\n" +
			"Resource: '" + armResource(vault, secret, where) + "'\r\n" +
			"Assignment: (not found)\r\n" +
			"DenyAssignmentId: null\r\n" +
			"DecisionReason: null \r\n" +
			"Vault: " + vault + ";location=" + where.Location + "\r\n",
	}
}
