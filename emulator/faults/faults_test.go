package faults

import (
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/kv"
)

func TestPickMatchesAndCounts(t *testing.T) {
	var s Set
	if err := s.Replace([]Rule{
		{Operation: kv.OpGet, Vault: "MyVault", Status: 503, Count: 2},
		{Identity: "batch", Drop: true},
		{Target: Vault, Delay: time.Second},
	}); err != nil {
		t.Fatal(err)
	}
	get := Request{Target: Vault, Operation: kv.OpGet, Vault: "myvault"}
	for i := range 2 {
		if r, ok := s.Pick(get); !ok || r.Status != 503 {
			t.Fatalf("get %d: %+v %v, want the 503 rule", i, r, ok)
		}
	}
	if r, _ := s.Pick(get); r.Status != 0 || r.Delay != time.Second {
		t.Errorf("third get: %+v, want the delay rule (the 503 rule is spent)", r)
	}
	if r, _ := s.Pick(Request{Target: Vault, Operation: kv.OpSet, Vault: "myvault"}); r.Delay != time.Second {
		t.Errorf("set: %+v, want the delay rule", r)
	}
	if r, ok := s.Pick(Request{Target: Identity, Identities: []string{"id-1", "Batch"}}); !ok || !r.Drop {
		t.Errorf("identity batch: %+v %v, want the drop rule", r, ok)
	}
	if r, ok := s.Pick(Request{Target: Identity, Identities: []string{"system"}}); ok {
		t.Errorf("identity system: %+v, want no rule", r)
	}
	if rules := s.Rules(); len(rules) != 2 || !rules[0].Drop {
		t.Errorf("rules in force: %+v, want the two unspent ones", rules)
	}
	var nilSet *Set
	if _, ok := nilSet.Pick(get); ok {
		t.Error("a nil set injected a fault")
	}
}

func TestPickProbability(t *testing.T) {
	var s Set
	if err := s.Replace([]Rule{{Status: 500, Probability: 0.5}}); err != nil {
		t.Fatal(err)
	}
	hits := 0
	for range 10000 {
		if _, ok := s.Pick(Request{Target: Vault}); ok {
			hits++
		}
	}
	// Ten standard deviations either way.
	if hits < 4500 || hits > 5500 {
		t.Errorf("%d of 10000 requests hit by a rule of probability 0.5", hits)
	}
}

// Operation and vault imply target vault, identity implies target
// identity: such a rule never matches a request of the other side.
func TestMatchFieldsImplyTarget(t *testing.T) {
	var s Set
	if err := s.Replace([]Rule{{Vault: "myvault", Status: 500}, {Identity: "batch", Status: 503}}); err != nil {
		t.Fatal(err)
	}
	if r, ok := s.Pick(Request{Target: Identity, Vault: "myvault", Identities: []string{"web"}}); ok {
		t.Errorf("identity request picked %+v, want no rule", r)
	}
	if r, ok := s.Pick(Request{Target: Vault, Vault: "other", Identities: []string{"batch"}}); ok {
		t.Errorf("vault request picked %+v, want no rule", r)
	}
	if r, ok := s.Pick(Request{Target: Identity, Identities: []string{"batch"}}); !ok || r.Status != 503 {
		t.Errorf("identity batch: %+v %v, want the 503 rule", r, ok)
	}
}

func TestActiveFollowsTheRulesInForce(t *testing.T) {
	var none *Set
	if none.Active() {
		t.Error("a nil Set is active")
	}
	s := &Set{}
	if s.Active() {
		t.Error("an empty Set is active")
	}
	if err := s.Replace([]Rule{{Status: 503}}); err != nil {
		t.Fatal(err)
	}
	if !s.Active() {
		t.Error("a Set with a rule is not active")
	}
	if err := s.Replace(nil); err != nil {
		t.Fatal(err)
	}
	if s.Active() {
		t.Error("a Set whose rules were replaced by none is active")
	}
}
