package access

import (
	"testing"

	"github.com/secretkit/secretkit/kv"
)

// An RBAC decision runs on every request to an RBAC vault.
func BenchmarkDecideRBAC(b *testing.B) {
	vr := VaultRules{Model: RBAC, Roles: []RoleAssignment{
		{ObjectID: "other", Role: kv.RoleReader, Scope: "/"},
		{ObjectID: alice.ObjectID, Role: kv.RoleSecretsUser, Scope: "/"},
	}}
	b.ReportAllocs()
	for b.Loop() {
		if Decide("v", vr, alice, kv.OpGet, "s", Placement{}) != nil {
			b.Fatal("denied")
		}
	}
}
