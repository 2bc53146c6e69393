package access

import (
	"fmt"
	"strings"
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
// principal with ObjectID. Permissions use the service's names (see
// ValidPermission); "all" grants every one. Entries for the same object id
// add up.
type Policy struct {
	ObjectID    string
	Permissions []string
}

// RoleAssignment grants a built-in Key Vault role (see ValidRole) to the
// principal with ObjectID at Scope: "" or "/" for the whole vault, or
// "/secrets/{name}" for one secret (see ValidScope).
type RoleAssignment struct {
	ObjectID string
	Role     string
	Scope    string
}

// VaultRules is the access configuration of one vault. Only the list that
// matches Model is consulted.
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
func (r *Rules) Authorize(vault string, caller Caller, op Operation, secret string) *Denial {
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
func Decide(vault string, vr VaultRules, caller Caller, op Operation, secret string, where Placement) *Denial {
	switch vr.Model {
	case Open:
		return nil
	case Policies:
		perm := PermissionFor(op)
		if policiesGrant(vr.Policies, caller.ObjectID, perm) {
			return nil
		}
		return accessDenied(vault, caller, perm, where)
	case RBAC:
		action := DataActionFor(op)
		target := ""
		if !vaultWide(op) {
			target = secret
		}
		if rolesGrant(vr.Roles, caller.ObjectID, action, target) {
			return nil
		}
		return forbiddenByRBAC(vault, caller, action, target, where)
	}
	return accessDenied(vault, caller, PermissionFor(op), where)
}

// vaultWide reports whether op addresses the vault rather than one secret.
// Restore is among them because the secret's name comes from inside the
// backup blob; the service authorizes it against the vault.
func vaultWide(op Operation) bool {
	switch op {
	case OpList, OpListDeleted, OpRestore:
		return true
	}
	return false
}

func sameID(a, b string) bool {
	return a != "" && strings.EqualFold(a, b)
}

func policiesGrant(policies []Policy, objectID, perm string) bool {
	if perm == "" {
		return false
	}
	for _, p := range policies {
		if !sameID(p.ObjectID, objectID) {
			continue
		}
		for _, granted := range p.Permissions {
			if strings.EqualFold(granted, perm) || strings.EqualFold(granted, permissionAll) {
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
		role, ok := roleByName(a.Role)
		if !ok {
			continue
		}
		for _, pattern := range role.dataActions {
			if actionMatches(pattern, action) {
				return true
			}
		}
	}
	return false
}

// scopeCovers reports whether an assignment at scope applies to the target
// secret ("" for the vault itself). A vault scope covers everything; a
// secret scope covers only that secret, never the vault.
func scopeCovers(scope, secret string) bool {
	name, isSecret, ok := parseScope(scope)
	if !ok {
		return false
	}
	if !isSecret {
		return true
	}
	return secret != "" && strings.EqualFold(name, secret)
}

// parseScope splits a configured scope into the secret it names, if any.
func parseScope(scope string) (secret string, isSecret, ok bool) {
	if scope == "" || scope == "/" {
		return "", false, true
	}
	const prefix = "/secrets/"
	if len(scope) <= len(prefix) || !strings.EqualFold(scope[:len(prefix)], prefix) {
		return "", false, false
	}
	name := scope[len(prefix):]
	if !validSecretName(name) {
		return "", false, false
	}
	return name, true, true
}

// validSecretName applies the service's name rule: 1–127 characters of
// [0-9a-zA-Z-].
func validSecretName(name string) bool {
	if len(name) == 0 || len(name) > 127 {
		return false
	}
	for _, c := range name {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// ValidScope reports whether scope is a role-assignment scope Decide
// understands: "" or "/" (the vault) or "/secrets/{name}" with a valid
// secret name. Config validation should reject anything else, since an
// assignment with an unknown scope grants nothing.
func ValidScope(scope string) bool {
	_, _, ok := parseScope(scope)
	return ok
}

// actionMatches compares an action against a role's data-action pattern the
// way Azure does: case-insensitively, with a trailing "/*" covering every
// action below that prefix.
func actionMatches(pattern, action string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return len(action) >= len(prefix) && strings.EqualFold(action[:len(prefix)], prefix)
	}
	return strings.EqualFold(pattern, action)
}

// callerIdentity is how the service names a caller in both denial messages.
// Only identifiers appear: never a token, never a secret value.
func callerIdentity(c Caller) string {
	return "appid=" + c.ClientID + ";oid=" + c.ObjectID + ";iss=https://sts.windows.net/" + c.TenantID + "/"
}

func accessDenied(vault string, c Caller, perm string, where Placement) *Denial {
	return &Denial{
		InnerCode: "AccessDenied",
		Message: "The user, group or application '" + callerIdentity(c) +
			"' does not have secrets " + perm + " permission on key vault '" +
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
