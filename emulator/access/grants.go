package access

import "strings"

// The access-policy secret permissions, spelled as the service and its
// denial messages spell them.
const (
	PermissionGet     = "get"
	PermissionList    = "list"
	PermissionSet     = "set"
	PermissionDelete  = "delete"
	PermissionRecover = "recover"
	PermissionBackup  = "backup"
	PermissionRestore = "restore"
	PermissionPurge   = "purge"

	// permissionAll is the config shorthand for every permission; the
	// service itself only knows the eight names above.
	permissionAll = "all"
)

// Permissions lists every access-policy secret permission.
var Permissions = []string{
	PermissionGet, PermissionList, PermissionSet, PermissionDelete,
	PermissionRecover, PermissionBackup, PermissionRestore, PermissionPurge,
}

// PermissionFor returns the access-policy permission op requires. Reading a
// deleted secret needs get and listing deleted secrets needs list, as the
// REST reference states; update needs set. An unknown op returns "".
func PermissionFor(op Operation) string {
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

// ValidPermission reports whether p is an access-policy secret permission
// or "all", case-insensitively.
func ValidPermission(p string) bool {
	if strings.EqualFold(p, permissionAll) {
		return true
	}
	for _, known := range Permissions {
		if strings.EqualFold(p, known) {
			return true
		}
	}
	return false
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

// The built-in roles that grant secret data actions, by their display names.
const (
	RoleSecretsUser    = "Key Vault Secrets User"
	RoleSecretsOfficer = "Key Vault Secrets Officer"
	RoleAdministrator  = "Key Vault Administrator"
	RoleReader         = "Key Vault Reader"
)

type builtinRole struct {
	name string
	// id is the role definition's GUID, the same in every tenant; configs
	// copied from Bicep or Terraform often name roles this way.
	id          string
	dataActions []string
}

// builtinRoles holds the secret-relevant part of each role definition's
// dataActions. Key Vault Reader also holds "Microsoft.KeyVault/vaults/*/read",
// which matches no secret action (secrets define no read action), so it is
// left out.
var builtinRoles = []builtinRole{
	{RoleSecretsUser, "4633458b-17de-408a-b874-0445c86b69e6", []string{ActionGetSecret, ActionReadMetadata}},
	{RoleSecretsOfficer, "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", []string{"Microsoft.KeyVault/vaults/secrets/*"}},
	{RoleAdministrator, "00482a5a-887f-4fb3-b363-3b7fe8e74483", []string{"Microsoft.KeyVault/vaults/*"}},
	{RoleReader, "21090545-7ca7-4776-b22c-e363652d74d2", []string{ActionReadMetadata}},
}

// Roles lists the built-in role names ValidRole accepts.
var Roles = []string{RoleSecretsUser, RoleSecretsOfficer, RoleAdministrator, RoleReader}

func roleByName(role string) (builtinRole, bool) {
	for _, r := range builtinRoles {
		if strings.EqualFold(role, r.name) || strings.EqualFold(role, r.id) {
			return r, true
		}
	}
	return builtinRole{}, false
}

// ValidRole reports whether role names a built-in role that grants secret
// access — by display name (case-insensitive) or role definition id — and
// returns its display name.
func ValidRole(role string) (canonical string, ok bool) {
	r, ok := roleByName(role)
	return r.name, ok
}
