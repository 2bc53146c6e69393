package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/clock"
)

// Padded or otherwise non-canonical copies of a valid token must not
// validate: each would be a distinct cache entry for one signature, and
// "=" padding can be made arbitrarily long (issue 11, item 1).
func TestNonCanonicalSegmentsRejected(t *testing.T) {
	k := newKeyForTest(t)
	clk := clock.NewFixed(start)
	raw, _, err := (&Issuer{Key: k, Tenant: tenant, Clock: clk, Lifetime: time.Hour}).Issue(sub, VaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	v := &Validator{Key: k, Tenant: tenant, Clock: clk}
	if _, err := v.Validate(raw); err != nil {
		t.Fatalf("canonical token refused: %v", err)
	}
	parts := strings.Split(raw, ".")
	with := func(i int, seg string) string {
		p := append([]string(nil), parts...)
		p[i] = seg
		return strings.Join(p, ".")
	}
	// The signature (256 bytes) ends in a 2-character group whose last
	// 4 bits are unused: flipping them decodes to the same bytes.
	sig := parts[2]
	last := strings.IndexByte(b64alphabet, sig[len(sig)-1])
	nonCanonicalSig := sig[:len(sig)-1] + string(b64alphabet[last^1])
	const (
		bad    = "AKV10001: Token is malformed."
		badSig = "AKV10016: Token signature validation failed."
	)
	cases := []struct{ name, token, want string }{
		{"signature padded", with(2, sig+"=="), badSig},
		{"signature long pad", with(2, sig+strings.Repeat("=", 4096)), badSig},
		{"signature stray bits", with(2, nonCanonicalSig), badSig},
		{"signature std base64", with(2, strings.NewReplacer("-", "+", "_", "/").Replace(sig)), badSig},
		{"signature line break", with(2, sig[:10]+"\r\n"+sig[10:]), badSig},
		{"header padded", with(0, parts[0]+"="), bad},
		{"header line break", with(0, parts[0][:5]+"\n"+parts[0][5:]), bad},
		// The signature covers the segment's text, so it fails first.
		{"payload padded", with(1, parts[1]+"=="), badSig},
	}
	for _, c := range cases {
		if c.token == raw {
			t.Fatalf("%s: not a distinct token", c.name)
		}
		_, err := v.Validate(c.token)
		var te *Error
		if !errors.As(err, &te) || te.Error() != c.want {
			t.Errorf("%s: Validate = %v, want %q", c.name, err, c.want)
		}
	}
}

const b64alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// The signature cache is bounded in bytes however large the tokens
// presented: N distinct valid 40 KB tokens keep it under maxVerifiedBytes
// (shrunk to 512 KiB so the test stays fast; the arithmetic is the same).
func TestVerifiedCacheBoundedInBytes(t *testing.T) {
	defer func(old int) { maxVerifiedBytes = old }(maxVerifiedBytes)
	maxVerifiedBytes = 512 << 10
	k := newKeyForTest(t)
	clk := clock.NewFixed(start)
	v := &Validator{Key: k, Tenant: tenant, Clock: clk}
	filler := strings.Repeat("x", 40<<10)
	const n = 30 // 1.2 MB of tokens
	for i := range n {
		raw, err := k.Sign(map[string]any{
			"iss": IssuerURL(tenant), "aud": VaultAudience, "exp": start.Add(time.Hour).Unix(),
			"n": i, "filler": filler,
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Validate(raw); err != nil {
			t.Fatalf("token %d: %v", i, err)
		}
		if got := v.cachedBytes(); got > maxVerifiedBytes {
			t.Fatalf("after %d tokens the cache holds %d bytes, bound %d", i+1, got, maxVerifiedBytes)
		}
	}
	if v.cachedBytes() == 0 {
		t.Error("nothing cached: the cache is not exercised")
	}
}
