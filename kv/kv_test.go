package kv_test

import (
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/kv"
)

// Written out by hand from the service's documentation rather than derived
// from the code, so a wrong mapping fails here.
var (
	wantPermission = map[kv.Operation]kv.Permission{
		kv.OpGet: "get", kv.OpGetDeleted: "get",
		kv.OpList: "list", kv.OpListVersions: "list", kv.OpListDeleted: "list",
		kv.OpSet: "set", kv.OpUpdate: "set",
		kv.OpDelete: "delete", kv.OpRecover: "recover", kv.OpBackup: "backup",
		kv.OpRestore: "restore", kv.OpPurge: "purge",
	}
	wantAction = map[kv.Operation]string{
		kv.OpGet:          "Microsoft.KeyVault/vaults/secrets/getSecret/action",
		kv.OpGetDeleted:   "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
		kv.OpList:         "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
		kv.OpListVersions: "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
		kv.OpListDeleted:  "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
		kv.OpSet:          "Microsoft.KeyVault/vaults/secrets/setSecret/action",
		kv.OpUpdate:       "Microsoft.KeyVault/vaults/secrets/update/action",
		kv.OpDelete:       "Microsoft.KeyVault/vaults/secrets/delete",
		kv.OpBackup:       "Microsoft.KeyVault/vaults/secrets/backup/action",
		kv.OpRestore:      "Microsoft.KeyVault/vaults/secrets/restore/action",
		kv.OpRecover:      "Microsoft.KeyVault/vaults/secrets/recover/action",
		kv.OpPurge:        "Microsoft.KeyVault/vaults/secrets/purge/action",
	}
)

func TestOperationsTableIsComplete(t *testing.T) {
	if len(kv.Operations) != 12 {
		t.Fatalf("Operations has %d entries, want 12", len(kv.Operations))
	}
	for _, op := range kv.Operations {
		if got := kv.PermissionFor(op); got != wantPermission[op] {
			t.Errorf("PermissionFor(%s) = %q, want %q", op, got, wantPermission[op])
		}
		if got := kv.DataActionFor(op); got != wantAction[op] {
			t.Errorf("DataActionFor(%s) = %q, want %q", op, got, wantAction[op])
		}
		want := op == kv.OpList || op == kv.OpListDeleted || op == kv.OpRestore
		if op.VaultWide() != want {
			t.Errorf("%s.VaultWide() = %v, want %v", op, !want, want)
		}
	}
	if kv.PermissionFor("frobnicate") != "" || kv.DataActionFor("frobnicate") != "" {
		t.Error("an unknown operation must map to no permission and no action")
	}
}

func TestParsePermission(t *testing.T) {
	for p, want := range map[string]kv.Permission{
		"get": "get", "LIST": "list", "Set": "set", "delete": "delete", "recover": "recover", "backup": "backup",
		"restore": "restore", "purge": "purge", "all": "all", "ALL": "all",
		"": "", "read": "", "getrotationpolicy": "", "encrypt": "",
	} {
		got, ok := kv.ParsePermission(p)
		if got != want || ok != (want != "") {
			t.Errorf("ParsePermission(%q) = %q, %v; want %q", p, got, ok, want)
		}
	}
	if !kv.PermissionAll.Grants(kv.PermissionPurge) || !kv.Permission("GET").Grants(kv.PermissionGet) ||
		kv.PermissionGet.Grants(kv.PermissionList) || kv.PermissionAll.Grants("") {
		t.Error("Grants: all covers every permission, a name only itself, nothing covers the empty permission")
	}
}

// The role-definition GUIDs are Azure's, the same in every tenant.
func TestParseRole(t *testing.T) {
	for role, want := range map[string]kv.Role{
		"key vault secrets user":               kv.RoleSecretsUser,
		" Key  Vault Secrets\tOfficer ":        kv.RoleSecretsOfficer,
		"KEY VAULT ADMINISTRATOR":              kv.RoleAdministrator,
		"Key Vault Reader":                     kv.RoleReader,
		"4633458b-17de-408a-b874-0445c86b69e6": kv.RoleSecretsUser,
		"b86a8fe4-44ce-4948-aee5-eccb2c155cd7": kv.RoleSecretsOfficer,
		"00482a5a-887f-4fb3-b363-3b7fe8e74483": kv.RoleAdministrator,
		"21090545-7CA7-4776-B22C-E363652D74D2": kv.RoleReader,
		"Owner":                                "",
		"Key Vault Crypto User":                "",
		"":                                     "",
	} {
		got, ok := kv.ParseRole(role)
		if got != want || ok != (want != "") {
			t.Errorf("ParseRole(%q) = %q, %v; want %q, %v", role, got, ok, want, want != "")
		}
		if ok {
			if back, _ := kv.ParseRole(got.ID()); back != got {
				t.Errorf("%s.ID() = %q does not parse back", got, got.ID())
			}
		}
	}
	if kv.Role("Owner").ID() != "" || kv.Role("Owner").Allows(kv.ActionGetSecret) {
		t.Error("a role that is not built in has no id and allows nothing")
	}
}

func TestRoleAllows(t *testing.T) {
	values := map[kv.Role]bool{kv.RoleSecretsUser: true, kv.RoleSecretsOfficer: true, kv.RoleAdministrator: true, kv.RoleReader: false}
	writes := map[kv.Role]bool{kv.RoleSecretsUser: false, kv.RoleSecretsOfficer: true, kv.RoleAdministrator: true, kv.RoleReader: false}
	for _, r := range kv.Roles {
		if got := r.Allows(kv.ActionGetSecret); got != values[r] {
			t.Errorf("%s allows getSecret = %v, want %v", r, got, values[r])
		}
		if !r.Allows(strings.ToLower(kv.ActionReadMetadata)) {
			t.Errorf("%s must allow readMetadata (actions compare without case)", r)
		}
		if got := r.Allows(kv.ActionPurge); got != writes[r] {
			t.Errorf("%s allows purge = %v, want %v", r, got, writes[r])
		}
	}
}

func TestParseScope(t *testing.T) {
	for scope, want := range map[string]struct {
		secret string
		ok     bool
	}{
		"": {"", true}, "/": {"", true}, "/secrets/db-password": {"db-password", true}, "/SECRETS/x": {"x", true},
		"/secrets/": {}, "/secrets/a/b": {}, "/keys/a": {}, "secrets/a": {},
		"/secrets/" + strings.Repeat("a", 128): {},
	} {
		secret, ok := kv.ParseScope(scope)
		if secret != want.secret || ok != want.ok {
			t.Errorf("ParseScope(%q) = %q, %v; want %q, %v", scope, secret, ok, want.secret, want.ok)
		}
	}
}

func TestVaultNames(t *testing.T) {
	for name, want := range map[string]bool{
		"abc": true, "my-vault1": true, "MyVault": true, strings.Repeat("a", 24): true, "a1b": true,
		"ab": false, strings.Repeat("a", 25): false, "1abc": false, "-abc": false, "abc-": false,
		"ab--c": false, "ab_c": false, "ab.c": false, "": false, "abç": false,
	} {
		if got := kv.ValidVaultName(name); got != want {
			t.Errorf("ValidVaultName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestSecretNames(t *testing.T) {
	for name, want := range map[string]string{
		"a": "", "0-leading-digit": "", "-": "", "MiXeD": "", strings.Repeat("a", 127): "",
		"":                       "the name is empty",
		strings.Repeat("a", 128): "the name is 128 characters long; Key Vault allows at most 127",
		"bad_name":               `character '_' at offset 3 is not allowed; Key Vault names use only letters, digits and '-'`,
		"dot.":                   `character '.' at offset 3 is not allowed; Key Vault names use only letters, digits and '-'`,
	} {
		err := kv.CheckSecretName(name)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want || kv.ValidSecretName(name) != (want == "") {
			t.Errorf("CheckSecretName(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestParseIdentityKind(t *testing.T) {
	for s, want := range map[string]kv.IdentityKind{"system": kv.KindSystem, "User": kv.KindUser, "SYSTEM": kv.KindSystem, "servicePrincipal": kv.KindServicePrincipal, "group": "", "": ""} {
		got, ok := kv.ParseIdentityKind(s)
		if got != want || ok != (want != "") {
			t.Errorf("ParseIdentityKind(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
}
