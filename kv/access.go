package kv

import "strings"

// Operation names one of the twelve secret operations of the data plane, the
// unit that access policies and RBAC grant.
type Operation string

// The secret operations.
const (
	OpSet          Operation = "set"
	OpGet          Operation = "get"
	OpUpdate       Operation = "update"
	OpDelete       Operation = "delete"
	OpGetDeleted   Operation = "getDeleted"
	OpListDeleted  Operation = "listDeleted"
	OpPurge        Operation = "purge"
	OpRecover      Operation = "recover"
	OpBackup       Operation = "backup"
	OpRestore      Operation = "restore"
	OpList         Operation = "list"
	OpListVersions Operation = "listVersions"
)

// Operations lists every Operation.
var Operations = []Operation{
	OpSet, OpGet, OpUpdate, OpDelete, OpGetDeleted, OpListDeleted,
	OpPurge, OpRecover, OpBackup, OpRestore, OpList, OpListVersions,
}

// VaultWide reports whether op addresses the vault rather than one named
// secret: list, list-deleted and restore (whose secret name comes from
// inside the backup blob; the service authorizes it against the vault).
func (op Operation) VaultWide() bool {
	switch op {
	case OpList, OpListDeleted, OpRestore:
		return true
	}
	return false
}

// Permission is an access-policy secret permission, spelled as the service
// and its denial messages spell it.
type Permission string

// The access-policy secret permissions.
const (
	PermissionGet     Permission = "get"
	PermissionList    Permission = "list"
	PermissionSet     Permission = "set"
	PermissionDelete  Permission = "delete"
	PermissionRecover Permission = "recover"
	PermissionBackup  Permission = "backup"
	PermissionRestore Permission = "restore"
	PermissionPurge   Permission = "purge"

	// PermissionAll is the shorthand (of the portal, the CLI and
	// templates) for every permission; the service's messages only name
	// the eight above.
	PermissionAll Permission = "all"
)

// Permissions lists every access-policy secret permission, in the order
// the service lists them.
var Permissions = []Permission{
	PermissionGet, PermissionList, PermissionSet, PermissionDelete,
	PermissionRecover, PermissionBackup, PermissionRestore, PermissionPurge,
}

// ParsePermission returns the permission named s, ignoring case;
// PermissionAll is accepted.
func ParsePermission(s string) (Permission, bool) {
	p := Permission(strings.ToLower(s))
	if p == PermissionAll {
		return p, true
	}
	for _, known := range Permissions {
		if p == known {
			return p, true
		}
	}
	return "", false
}

// Grants reports whether holding p allows what need names.
func (p Permission) Grants(need Permission) bool {
	return need != "" && (strings.EqualFold(string(p), string(need)) || strings.EqualFold(string(p), string(PermissionAll)))
}

// PermissionFor returns the access-policy permission op requires. Reading a
// deleted secret needs get and listing deleted secrets needs list, as the
// REST reference states; update needs set. An unknown op returns "".
func PermissionFor(op Operation) Permission {
	switch op {
	case OpGet, OpGetDeleted:
		return PermissionGet
	case OpList, OpListVersions, OpListDeleted:
		return PermissionList
	case OpSet, OpUpdate:
		return PermissionSet
	case OpDelete:
		return PermissionDelete
	case OpRecover:
		return PermissionRecover
	case OpBackup:
		return PermissionBackup
	case OpRestore:
		return PermissionRestore
	case OpPurge:
		return PermissionPurge
	}
	return ""
}

// The RBAC data actions of the secret operations.
const (
	ActionGetSecret    = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
	ActionReadMetadata = "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
	ActionSetSecret    = "Microsoft.KeyVault/vaults/secrets/setSecret/action"
	ActionUpdate       = "Microsoft.KeyVault/vaults/secrets/update/action"
	ActionDelete       = "Microsoft.KeyVault/vaults/secrets/delete"
	ActionBackup       = "Microsoft.KeyVault/vaults/secrets/backup/action"
	ActionRestore      = "Microsoft.KeyVault/vaults/secrets/restore/action"
	ActionRecover      = "Microsoft.KeyVault/vaults/secrets/recover/action"
	ActionPurge        = "Microsoft.KeyVault/vaults/secrets/purge/action"
)

// DataActionFor returns the RBAC data action op requires. Only reading a
// live secret's value needs getSecret; everything that returns metadata
// alone — the lists and the deleted-secret reads, whose bundles carry no
// value — needs readMetadata. (No published table names the action for
// get-deleted and list-deleted; readMetadata is the one whose description,
// "list or view the properties of a secret, but not its value", fits, and
// it is what Key Vault Reader holds.) An unknown op returns "".
func DataActionFor(op Operation) string {
	switch op {
	case OpGet:
		return ActionGetSecret
	case OpList, OpListVersions, OpListDeleted, OpGetDeleted:
		return ActionReadMetadata
	case OpSet:
		return ActionSetSecret
	case OpUpdate:
		return ActionUpdate
	case OpDelete:
		return ActionDelete
	case OpBackup:
		return ActionBackup
	case OpRestore:
		return ActionRestore
	case OpRecover:
		return ActionRecover
	case OpPurge:
		return ActionPurge
	}
	return ""
}

// Role is a built-in Azure role that grants secret data actions, held by its
// display name. Use ParseRole to accept the spellings people copy from the
// portal, Bicep or Terraform.
type Role string

// The built-in roles that grant secret data actions.
const (
	RoleSecretsUser    Role = "Key Vault Secrets User"
	RoleSecretsOfficer Role = "Key Vault Secrets Officer"
	RoleAdministrator  Role = "Key Vault Administrator"
	RoleReader         Role = "Key Vault Reader"
)

// Roles lists every built-in role ParseRole accepts.
var Roles = []Role{RoleSecretsUser, RoleSecretsOfficer, RoleAdministrator, RoleReader}

type roleDefinition struct {
	// id is the role definition's GUID, the same in every tenant.
	id          string
	dataActions []string
}

// roleDefinitions holds the secret-relevant part of each role's
// dataActions. Key Vault Reader also holds "Microsoft.KeyVault/vaults/*/read",
// which matches no secret action (secrets define no read action), so it is
// left out.
var roleDefinitions = map[Role]roleDefinition{
	RoleSecretsUser:    {"4633458b-17de-408a-b874-0445c86b69e6", []string{ActionGetSecret, ActionReadMetadata}},
	RoleSecretsOfficer: {"b86a8fe4-44ce-4948-aee5-eccb2c155cd7", []string{"Microsoft.KeyVault/vaults/secrets/*"}},
	RoleAdministrator:  {"00482a5a-887f-4fb3-b363-3b7fe8e74483", []string{"Microsoft.KeyVault/vaults/*"}},
	RoleReader:         {"21090545-7ca7-4776-b22c-e363652d74d2", []string{ActionReadMetadata}},
}

// ParseRole returns the built-in role named s: by display name, ignoring
// case and runs of white space ("key vault  secrets user"), or by its
// role-definition GUID in any case ("4633458b-17de-408a-b874-0445c86b69e6").
func ParseRole(s string) (Role, bool) {
	name := strings.Join(strings.Fields(s), " ")
	for _, r := range Roles {
		if strings.EqualFold(name, string(r)) || strings.EqualFold(name, roleDefinitions[r].id) {
			return r, true
		}
	}
	return "", false
}

// ID is the role definition's GUID, the same in every tenant; "" for a
// Role that is not built in.
func (r Role) ID() string { return roleDefinitions[r].id }

// Allows reports whether the role's data actions cover action, matched the
// way Azure matches them: case-insensitively, a trailing "*" covering every
// action below that prefix. A Role that is not built in allows nothing.
func (r Role) Allows(action string) bool {
	for _, pattern := range roleDefinitions[r].dataActions {
		if actionMatches(pattern, action) {
			return true
		}
	}
	return false
}

func actionMatches(pattern, action string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return len(action) >= len(prefix) && strings.EqualFold(action[:len(prefix)], prefix)
	}
	return strings.EqualFold(pattern, action)
}

// ParseScope splits a role-assignment scope relative to the vault: "" or
// "/" is the whole vault (secret ""), "/secrets/{name}" (the prefix in any
// case) one secret with a valid name. ok is false for anything else.
func ParseScope(scope string) (secret string, ok bool) {
	if scope == "" || scope == "/" {
		return "", true
	}
	const prefix = "/secrets/"
	if len(scope) <= len(prefix) || !strings.EqualFold(scope[:len(prefix)], prefix) {
		return "", false
	}
	name := scope[len(prefix):]
	if !ValidSecretName(name) {
		return "", false
	}
	return name, true
}
