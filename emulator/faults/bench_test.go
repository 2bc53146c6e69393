package faults

import (
	"testing"

	"github.com/secretkit/secretkit/kv"
)

// Every vault and identity request asks the Set, which almost always
// holds no rules.
func BenchmarkPickNoRules(b *testing.B) {
	var s Set
	req := Request{Target: Vault, Operation: kv.OpGet, Vault: "myvault"}
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := s.Pick(req); ok {
				b.Fatal("picked a rule from an empty set")
			}
		}
	})
}
