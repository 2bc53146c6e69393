package token

import (
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/clock"
)

// BenchmarkValidate measures the vault's per-request token check: warm is
// an SDK presenting the token it already presented (the signature cache
// answers), cold is a token's first presentation (signature verified,
// claims decoded).
func BenchmarkValidate(b *testing.B) {
	k, err := LoadOrCreateKey(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	clk := clock.NewFixed(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))
	raw, _, err := (&Issuer{Key: k, Tenant: tenant, Clock: clk}).Issue(sub, VaultAudience)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("warm", func(b *testing.B) {
		v := &Validator{Key: k, Tenant: tenant, Clock: clk}
		if _, err := v.Validate(raw); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Validate(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v := &Validator{Key: k, Tenant: tenant, Clock: clk}
			if _, err := v.Validate(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIssue measures minting one access token (an RS256 signature).
func BenchmarkIssue(b *testing.B) {
	k, err := LoadOrCreateKey(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	iss := &Issuer{Key: k, Tenant: tenant, Clock: clock.NewFixed(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC))}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := iss.Issue(sub, VaultAudience); err != nil {
			b.Fatal(err)
		}
	}
}
