package token

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/clock"
)

// fuzzKey is one RSA key for every fuzz input: making one costs far more
// than validating a token.
var fuzzKey = sync.OnceValues(func() (*Key, error) {
	// 1024 bits: generating a 2048-bit key in every instrumented fuzz worker takes
	// longer than the fuzzing; the checks do not depend on the size.
	private, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		return nil, err
	}
	return newKey(private), nil
})

// checkRefusal asserts what every refusal promises: an *Error of a known
// reason whose message is one bounded line starting with Key Vault's code,
// and which never carries the token's signature.
func checkRefusal(t *testing.T, raw string, err error) {
	t.Helper()
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("refusal %#v is not a *token.Error", err)
	}
	if te.Reason < ReasonMissing || te.Reason > ReasonIssuer {
		t.Fatalf("refusal %q has reason %d", te.Message, te.Reason)
	}
	if !strings.HasPrefix(te.Message, "AKV100") || strings.ContainsAny(te.Message, "\r\n") {
		t.Fatalf("refusal message is not one Key Vault line: %q", te.Message)
	}
	if parts := strings.Split(raw, "."); len(parts) == 3 && len(parts[2]) >= 16 && strings.Contains(te.Message, parts[2]) {
		t.Fatalf("refusal %q carries the token's signature", te.Message)
	}
}

// expand replaces {tok}, {h}, {p} and {s} in template with a freshly issued
// token and its three segments, so the fuzzer mutates around real tokens.
func expand(template, tok string) string {
	parts := strings.Split(tok, ".")
	return strings.NewReplacer("{tok}", tok, "{h}", parts[0], "{p}", parts[1], "{s}", parts[2]).Replace(template)
}

// FuzzAuthenticate presents arbitrary Authorization values, built around a
// genuine token, to the validator. It never panics, every refusal keeps the
// refusal promises, and whatever it accepts carries exactly the claims the
// emulator issued: no change to a token forges other claims.
func FuzzAuthenticate(f *testing.F) {
	for _, seed := range []string{
		"Bearer {tok}", "{tok}", "bearer   {tok}  ", "Bearer", "Bearer ", "", "Basic {tok}",
		"Bearer {h}.{p}.{s}=", "Bearer {h}.{p}.{s}==", "Bearer {h}=.{p}.{s}", "Bearer {h}.{p}=.{s}",
		"Bearer {h}.{p}.", "Bearer {h}.{p}", "Bearer {h}..{s}", "Bearer .{p}.{s}", "Bearer {h}.{p}.{s}.{s}",
		"Bearer {h}.{p}.{s}x", "Bearer {h}.{p}x.{s}", "Bearer eyJhbGciOiJub25lIn0.{p}.",
		"Bearer {h}.{p}.{s}\n", "Bearer {tok}\x00", "Bearer a.b.c", "Bearer \xff.\xfe.\xfd",
	} {
		f.Add(seed, "https://vault.azure.net")
	}
	f.Add("Bearer {tok}", "https://localhost:8443")
	f.Add("Bearer {tok}", "")
	k, err := fuzzKey()
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	clk := clock.NewFixed(now)
	iss := &Issuer{Key: k, Tenant: tenant, Clock: clk, Lifetime: time.Hour}
	tok, _, err := iss.Issue(sub, VaultAudience)
	if err != nil {
		f.Fatal(err)
	}
	want, err := (&Validator{Key: k, Tenant: tenant, Clock: clk}).Validate(tok)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, template, resource string) {
		bearer := expand(template, tok)
		v := &Validator{Key: k, Tenant: tenant, Clock: clk}
		for range 2 { // the second call is answered from the signature cache
			c, err := v.Authenticate(context.Background(), bearer, resource)
			if err != nil {
				checkRefusal(t, bearer, err)
				continue
			}
			if c != want {
				t.Fatalf("accepted %q with claims %+v; the emulator issued %+v", bearer, c, want)
			}
		}
	})
}

// FuzzValidateClaims signs arbitrary headers and payloads with the
// emulator's own key, so the claim checks behind the signature get fuzzed.
// Validate never panics, refusals keep their promises, and what it accepts
// satisfies every documented check.
func FuzzValidateClaims(f *testing.F) {
	good := func(extra string) string {
		return `{"aud":"https://vault.azure.net","iss":"https://sts.windows.net/` + tenant + `/","tid":"` + tenant +
			`","oid":"o","appid":"a","iat":1764151200,"nbf":1764151200,"exp":1764154800` + extra + `}`
	}
	hdr := `{"alg":"RS256","typ":"JWT","kid":"{kid}"}`
	for _, seed := range [][2]string{
		{hdr, good("")},
		{hdr, good(`,"aud":["x","https://vault.azure.net/"]`)},
		{hdr, good(`,"aud":[]`)},
		{hdr, good(`,"aud":"line\none"`)},
		{hdr, good(`,"iss":"https://sts.windows.net/other/"`)},
		{hdr, good(`,"tid":"other\r\n"`)},
		{hdr, good(`,"exp":-9223372036854775808`)},
		{hdr, good(`,"exp":9223372036854775807,"nbf":9223372036854775807`)},
		{hdr, good(`,"exp":1.5`)},
		{hdr, good(`,"iss":null`)},
		{hdr, `null`},
		{hdr, `[]`},
		{`{"alg":"RS256","kid":5}`, good("")},
		{`{"alg":"none","kid":"{kid}"}`, good("")},
		{`{"alg":"RS256","kid":"` + strings.Repeat("k", 700) + `"}`, good("")},
	} {
		f.Add(seed[0], []byte(seed[1]))
	}
	k, err := fuzzKey()
	if err != nil {
		f.Fatal(err)
	}
	now := time.Date(2025, 11, 26, 10, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, hdrJSON string, payload []byte) {
		head := strings.ReplaceAll(hdrJSON, "{kid}", k.ID())
		raw := forgeRaw(t, k, b64([]byte(head)), b64(payload))
		v := &Validator{Key: k, Tenant: tenant, Clock: clock.NewFixed(now)}
		c, err := v.Validate(raw, VaultAudience, "https://localhost:8443")
		if err != nil {
			checkRefusal(t, raw, err)
			return
		}
		var h header
		if json.Unmarshal([]byte(head), &h) != nil || h.Alg != "RS256" || h.Kid != k.ID() {
			t.Fatalf("accepted a token whose header %q does not name our RS256 key", head)
		}
		if c.Issuer != IssuerURL(tenant) || c.TenantID != tenant {
			t.Fatalf("accepted issuer %q tenant %q", c.Issuer, c.TenantID)
		}
		var claims struct{ Aud json.RawMessage }
		_ = json.Unmarshal(payload, &claims)
		if aud, err := audienceOf(claims.Aud); err != nil || !audienceAccepted(aud, []string{VaultAudience, "https://localhost:8443"}) || c.Audience != aud[0] {
			t.Fatalf("accepted audience %s as %q", claims.Aud, c.Audience)
		}
		if now.After(c.ExpiresAt.Add(Skew)) || (!c.NotBefore.IsZero() && now.Add(Skew).Before(c.NotBefore)) {
			t.Fatalf("accepted a token valid only from %v to %v at %v", c.NotBefore, c.ExpiresAt, now)
		}
	})
}
