package access

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/emulator/internal/yamlnode"
	"github.com/secretkit/secretkit/kv"
)

// DecodeYAML reads the access section of the vault named vault from a
// config file: exactly one of
//
//	policies: [{identity: web, secrets: [get, list]}]   # permissions or "all", any case
//	roles: [{identity: web, role: Key Vault Secrets User, scope: /secrets/db}]
//
// A role is a built-in role's display name or its role-definition GUID
// (kv.ParseRole); the scope is / (the default: the vault) or
// /secrets/{name}. Permissions are kept in kv.Permissions order without
// duplicates, "all" expanded; roles are kept by display name. Policies or
// Roles is non-nil (possibly empty: nobody has access) to match Model.
// Identities are kept by the names written; the config resolves them and
// fills in ObjectID. Errors are *yamlnode.Error.
func (r *VaultRules) DecodeYAML(n *yaml.Node, vault string) error {
	of := fmt.Sprintf("access of vault %q", vault)
	m, err := yamlnode.Strict(n, of, " in "+of, "policies", "roles")
	if err != nil {
		return err
	}
	policies, roles := m.Get("policies"), m.Get("roles")
	switch {
	case policies != nil && roles != nil:
		return yamlnode.Errorf(m.Node, "vault %q uses both access policies and RBAC roles; choose one", vault)
	case policies != nil:
		*r = VaultRules{Model: Policies, Policies: []Policy{}}
		return r.decodePolicies(policies, vault)
	case roles != nil:
		*r = VaultRules{Model: RBAC, Roles: []RoleAssignment{}}
		return r.decodeRoles(roles, vault)
	default:
		return yamlnode.Errorf(m.Node, "%s needs either policies or roles", of)
	}
}

func (r *VaultRules) decodePolicies(n *yaml.Node, vault string) error {
	items, err := yamlnode.Seq(n, fmt.Sprintf("policies of vault %q", vault))
	if err != nil {
		return err
	}
	where := fmt.Sprintf(" in access policy of vault %q", vault)
	firstLine := map[string]int{}
	for _, item := range items {
		m, err := yamlnode.Strict(item, "an access policy of vault "+strconv.Quote(vault), where, "identity", "secrets")
		if err != nil {
			return err
		}
		idNode := m.Get("identity")
		if yamlnode.IsNull(idNode) {
			return yamlnode.Errorf(m.Node, "access policy of vault %q needs an identity", vault)
		}
		ident, err := yamlnode.Str(idNode, "identity of an access policy")
		if err != nil {
			return err
		}
		if line, dup := firstLine[strings.ToLower(ident)]; dup {
			return yamlnode.Errorf(idNode, "vault %q has two access policies for identity %q (first at line %d); merge them", vault, ident, line)
		}
		firstLine[strings.ToLower(ident)] = yamlnode.Line(idNode)

		perms, err := yamlnode.Seq(m.Get("secrets"), fmt.Sprintf("secrets of the access policy for %q", ident))
		if err != nil {
			return err
		}
		granted := map[kv.Permission]bool{}
		for _, permNode := range perms {
			s, err := yamlnode.Str(permNode, "a secret permission")
			if err != nil {
				return err
			}
			perm, ok := kv.ParsePermission(s)
			if !ok {
				return yamlnode.Errorf(permNode, "unknown secret permission %q for identity %q in vault %q (use %s or all)", strings.ToLower(s), ident, vault, joined(kv.Permissions))
			}
			granted[perm] = true
		}
		p := Policy{Identity: ident, Permissions: []kv.Permission{}}
		for _, perm := range kv.Permissions {
			if granted[perm] || granted[kv.PermissionAll] {
				p.Permissions = append(p.Permissions, perm)
			}
		}
		r.Policies = append(r.Policies, p)
	}
	return nil
}

func (r *VaultRules) decodeRoles(n *yaml.Node, vault string) error {
	items, err := yamlnode.Seq(n, fmt.Sprintf("roles of vault %q", vault))
	if err != nil {
		return err
	}
	where := fmt.Sprintf(" in role assignment of vault %q", vault)
	for _, item := range items {
		m, err := yamlnode.Strict(item, "a role assignment of vault "+strconv.Quote(vault), where, "identity", "role", "scope")
		if err != nil {
			return err
		}
		idNode, roleNode := m.Get("identity"), m.Get("role")
		if yamlnode.IsNull(idNode) {
			return yamlnode.Errorf(m.Node, "role assignment of vault %q needs an identity", vault)
		}
		if yamlnode.IsNull(roleNode) {
			return yamlnode.Errorf(m.Node, "role assignment of vault %q needs a role", vault)
		}
		ident, err := yamlnode.Str(idNode, "identity of a role assignment")
		if err != nil {
			return err
		}
		roleName, err := yamlnode.Str(roleNode, "role")
		if err != nil {
			return err
		}
		ra := RoleAssignment{Identity: ident, Scope: "/"}
		var ok bool
		if ra.Role, ok = kv.ParseRole(roleName); !ok {
			return yamlnode.Errorf(roleNode, "unknown role %q in vault %q (use %s)", roleName, vault, joined(kv.Roles))
		}
		if sn := m.Get("scope"); !yamlnode.IsNull(sn) {
			scope, err := yamlnode.Str(sn, "scope")
			if err != nil {
				return err
			}
			secret, ok := kv.ParseScope(scope)
			if !ok {
				return yamlnode.Errorf(sn, "scope %q in vault %q must be / (the vault) or /secrets/{secret-name}", scope, vault)
			}
			if secret != "" {
				ra.Scope = scope
			}
		}
		r.Roles = append(r.Roles, ra)
	}
	return nil
}

func joined[S ~string](items []S) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = string(s)
	}
	return strings.Join(parts, ", ")
}
