package token

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/internal/keygen"
	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/testutil"

	"github.com/secretkit/secretkit/emulator/clock"
)

// LoadOrCreateKey takes its new keys from a pool made once per machine
// rather than generating one each.
func init() { testutil.PoolSigningKeys() }

const (
	tenant      = "11111111-2222-3333-4444-555555555555"
	otherTenant = "99999999-8888-7777-6666-555555555555"
)

var start = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

var sub = Subject{
	ObjectID:   "0b7e2c6d-0000-4000-8000-00000000000a",
	ClientID:   "c1e27c1d-0000-4000-8000-00000000000b",
	ResourceID: "/subscriptions/s/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app",
}

func newKeyForTest(t *testing.T) *Key {
	t.Helper()
	k, err := LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestIssueValidateRoundTrip(t *testing.T) {
	k := newKeyForTest(t)
	clk := clock.NewFixed(start)
	iss := &Issuer{Key: k, Tenant: tenant, Clock: clk, Lifetime: time.Hour}
	raw, exp, err := iss.Issue(sub, VaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add(time.Hour); !exp.Equal(want) {
		t.Errorf("expiresOn = %v, want %v", exp, want)
	}
	v := &Validator{Key: k, Tenant: tenant, Clock: clk}
	c, err := v.Validate(raw)
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := Claims{
		Audience: VaultAudience, Issuer: "https://sts.windows.net/" + tenant + "/", TenantID: tenant,
		ObjectID: sub.ObjectID, Subject: sub.ObjectID, AppID: sub.ClientID, ResourceID: sub.ResourceID,
		IdentityType: "app", IssuedAt: start, NotBefore: start, ExpiresAt: start.Add(time.Hour),
	}
	if c != want {
		t.Errorf("claims = %+v\nwant     %+v", c, want)
	}

	// The raw payload carries every claim a real managed-identity token has.
	var payload map[string]any
	parts := strings.Split(raw, ".")
	b, _ := parser.DecodeSegment(parts[1])
	if err := json.Unmarshal(b, &payload); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"aud", "iss", "tid", "oid", "appid", "azp", "xms_mirid", "idtyp", "iat", "nbf", "exp"} {
		if _, ok := payload[name]; !ok {
			t.Errorf("claim %q missing from %v", name, payload)
		}
	}
	var h map[string]string
	hb, _ := parser.DecodeSegment(parts[0])
	_ = json.Unmarshal(hb, &h)
	if h["alg"] != "RS256" || h["kid"] != k.ID() || h["typ"] != "JWT" {
		t.Errorf("header = %v", h)
	}
}

func TestDefaultLifetime(t *testing.T) {
	k := newKeyForTest(t)
	iss := &Issuer{Key: k, Tenant: tenant, Clock: clock.NewFixed(start)}
	_, exp, err := iss.Issue(sub, VaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	if !exp.Equal(start.Add(24 * time.Hour)) {
		t.Errorf("expiresOn = %v, want 24h after %v", exp, start)
	}
}

func TestIssueRequiresConfiguration(t *testing.T) {
	k := newKeyForTest(t)
	if _, _, err := (&Issuer{Key: k, Clock: clock.NewFixed(start)}).Issue(sub, VaultAudience); err == nil {
		t.Error("Issue without tenant succeeded")
	}
	if _, _, err := (&Issuer{Key: k, Tenant: tenant, Clock: clock.NewFixed(start)}).Issue(sub, ""); err == nil {
		t.Error("Issue without audience succeeded")
	}
}

// forge signs arbitrary header and claims with priv, for building bad tokens.
func forge(t *testing.T, priv *rsa.PrivateKey, head, claims any) string {
	t.Helper()
	hb, _ := json.Marshal(head)
	cb, _ := json.Marshal(claims)
	input := b64(hb) + "." + b64(cb)
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64(sig)
}

func goodClaims(now time.Time) map[string]any {
	return map[string]any{
		"aud": VaultAudience, "iss": IssuerURL(tenant), "tid": tenant, "oid": sub.ObjectID,
		"appid": sub.ClientID, "iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

func with(m map[string]any, key string, value any) map[string]any {
	out := maps.Clone(m)
	if value == nil {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

func TestValidateRejects(t *testing.T) {
	k := newKeyForTest(t)
	foreign, err := keygen.RSA(2048)
	if err != nil {
		t.Fatal(err)
	}
	foreignKey := newKey(foreign)
	now := start
	ours := map[string]string{"alg": "RS256", "typ": "JWT", "kid": k.ID()}
	good := forge(t, k.private, ours, goodClaims(now))
	goodParts := strings.Split(good, ".")

	pubDER, _ := x509.MarshalPKIXPublicKey(k.Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hsInput := b64([]byte(`{"alg":"HS256","typ":"JWT","kid":"`+k.ID()+`"}`)) + "." + goodParts[1]
	mac := hmac.New(sha256.New, pubPEM)
	mac.Write([]byte(hsInput))
	hs256 := hsInput + "." + b64(mac.Sum(nil))

	noneHeader := b64([]byte(`{"alg":"none","typ":"JWT"}`))
	tamperedClaims, _ := json.Marshal(with(goodClaims(now), "oid", "someone-else"))

	const (
		msgMalformed = "AKV10001: Token is malformed."
		msgSignature = "AKV10016: Token signature validation failed."
		msgExpired   = "AKV10010: Token expired."
		msgFuture    = "AKV10011: Token not yet valid."
	)
	unknown := func(encodedHeader string) string {
		return "AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '" + encodedHeader + "'."
	}
	foreignToken := forge(t, foreign, map[string]string{"alg": "RS256", "typ": "JWT", "kid": foreignKey.ID()}, goodClaims(now))
	foreignWithOurKid := forge(t, foreign, ours, goodClaims(now))
	unknownKid := forge(t, k.private, map[string]string{"alg": "RS256", "kid": "not-our-kid"}, goodClaims(now))

	cases := []struct {
		name   string
		raw    string
		reason Reason
		msg    string
	}{
		{"empty", "", ReasonMissing, "AKV10000: Request is missing a Bearer or PoP token."},
		{"garbage", "not a token", ReasonMalformed, msgMalformed},
		{"two parts", goodParts[0] + "." + goodParts[1], ReasonMalformed, msgMalformed},
		{"four parts", good + ".x", ReasonMalformed, msgMalformed},
		{"bad base64 header", "!!!." + goodParts[1] + "." + goodParts[2], ReasonMalformed, msgMalformed},
		{"bad JSON header", b64([]byte("{not json")) + "." + goodParts[1] + "." + goodParts[2], ReasonMalformed, msgMalformed},
		{"alg none", noneHeader + "." + goodParts[1] + ".", ReasonUnknownKey, unknown(noneHeader)},
		{"HS256 with public key as secret", hs256, ReasonUnknownKey, unknown(strings.Split(hs256, ".")[0])},
		{"foreign RSA key", foreignToken, ReasonUnknownKey, unknown(strings.Split(foreignToken, ".")[0])},
		{"kid unknown", unknownKid, ReasonUnknownKey, unknown(strings.Split(unknownKid, ".")[0])},
		{"foreign key claiming our kid", foreignWithOurKid, ReasonSignature, msgSignature},
		{"tampered payload", goodParts[0] + "." + b64(tamperedClaims) + "." + goodParts[2], ReasonSignature, msgSignature},
		{"bad base64 signature", goodParts[0] + "." + goodParts[1] + ".***", ReasonSignature, msgSignature},
		{"payload not JSON", forge(t, k.private, ours, "just a string"), ReasonMalformed, msgMalformed},
		{"missing exp", forge(t, k.private, ours, with(goodClaims(now), "exp", nil)), ReasonMalformed, msgMalformed},
		{"missing iss", forge(t, k.private, ours, with(goodClaims(now), "iss", nil)), ReasonMalformed, msgMalformed},
		{"missing aud", forge(t, k.private, ours, with(goodClaims(now), "aud", nil)), ReasonMalformed, msgMalformed},
		{"aud not a string", forge(t, k.private, ours, with(goodClaims(now), "aud", 42)), ReasonMalformed, msgMalformed},
		{"expired", forge(t, k.private, ours, with(goodClaims(now), "exp", now.Add(-Skew-time.Second).Unix())), ReasonExpired, msgExpired},
		{"nbf in future", forge(t, k.private, ours, with(goodClaims(now), "nbf", now.Add(Skew+time.Minute).Unix())), ReasonNotYetValid, msgFuture},
		{"wrong aud", forge(t, k.private, ours, with(goodClaims(now), "aud", "https://management.azure.com/")), ReasonAudience,
			"AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com/."},
		{"wrong iss", forge(t, k.private, ours, with(goodClaims(now), "iss", IssuerURL(otherTenant))), ReasonIssuer,
			"AKV10032: Invalid issuer. Expected one of https://sts.windows.net/" + tenant + "/, found https://sts.windows.net/" + otherTenant + "/."},
		{"wrong tid", forge(t, k.private, ours, with(goodClaims(now), "tid", otherTenant)), ReasonIssuer,
			"AKV10032: Invalid issuer. Expected one of https://sts.windows.net/" + tenant + "/, found https://sts.windows.net/" + otherTenant + "/."},
	}
	v := &Validator{Key: k, Tenant: tenant, Clock: clock.NewFixed(now)}
	if _, err := v.Validate(good); err != nil {
		t.Fatalf("control token refused: %v", err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Validate(tc.raw)
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("Validate = %v, want *Error", err)
			}
			if te.Reason != tc.reason || err.Error() != tc.msg {
				t.Errorf("got (%d) %q\nwant (%d) %q", te.Reason, err.Error(), tc.reason, tc.msg)
			}
		})
	}
}

func TestSkewAllowance(t *testing.T) {
	k := newKeyForTest(t)
	clk := clock.NewFixed(start)
	raw, _, err := (&Issuer{Key: k, Tenant: tenant, Clock: clk, Lifetime: time.Hour}).Issue(sub, VaultAudience)
	if err != nil {
		t.Fatal(err)
	}
	v := &Validator{Key: k, Tenant: tenant, Clock: clk}
	clk.Advance(time.Hour + Skew) // exactly at the edge: still accepted
	if _, err := v.Validate(raw); err != nil {
		t.Errorf("at exp+skew: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := v.Validate(raw); err == nil || err.Error() != "AKV10010: Token expired." {
		t.Errorf("past exp+skew: %v", err)
	}
	// A token minted by a clock slightly ahead is accepted.
	ahead := &Issuer{Key: k, Tenant: tenant, Clock: clock.NewFixed(start.Add(4 * time.Minute))}
	raw2, _, _ := ahead.Issue(sub, VaultAudience)
	if _, err := (&Validator{Key: k, Tenant: tenant, Clock: clock.NewFixed(start)}).Validate(raw2); err != nil {
		t.Errorf("nbf within skew: %v", err)
	}
}

func TestValidatorRequiresConfiguration(t *testing.T) {
	k := newKeyForTest(t)
	for _, v := range []*Validator{{Tenant: tenant, Clock: clock.NewFixed(start)}, {Key: k, Clock: clock.NewFixed(start)}, {Key: k, Tenant: tenant}} {
		_, err := v.Validate("x.y.z")
		var te *Error
		if err == nil || errors.As(err, &te) {
			t.Errorf("misconfigured validator returned %v, want a plain configuration error", err)
		}
	}
}

func TestAudiences(t *testing.T) {
	k := newKeyForTest(t)
	clk := clock.NewFixed(start)
	iss := &Issuer{Key: k, Tenant: tenant, Clock: clk}
	v := &Validator{Key: k, Tenant: tenant, Clock: clk}
	slash, _, _ := iss.Issue(sub, "https://vault.azure.net/")
	if _, err := v.Validate(slash); err != nil {
		t.Errorf("trailing slash audience: %v", err)
	}
	custom, _, _ := iss.Issue(sub, "https://vault.example.test")
	if _, err := v.Validate(custom, VaultAudience, "https://vault.example.test"); err != nil {
		t.Errorf("advertised resource: %v", err)
	}
	if _, err := v.Validate(custom); err == nil {
		t.Error("custom audience accepted without being advertised")
	}
}

func TestAuthenticate(t *testing.T) {
	k := newKeyForTest(t)
	clk := clock.NewFixed(start)
	raw, _, _ := (&Issuer{Key: k, Tenant: tenant, Clock: clk}).Issue(sub, "https://myvault.example.test")
	v := &Validator{Key: k, Tenant: tenant, Clock: clk}
	for _, bearer := range []string{raw, "Bearer " + raw, "bearer " + raw} {
		c, err := v.Authenticate(context.Background(), bearer, "https://myvault.example.test")
		if err != nil {
			t.Fatalf("Authenticate(%.10q): %v", bearer, err)
		}
		if c.ObjectID != sub.ObjectID || c.AppID != sub.ClientID || c.ResourceID != sub.ResourceID || c.TenantID != tenant {
			t.Errorf("claims = %+v", c)
		}
	}
	_, err := v.Authenticate(context.Background(), "", "https://vault.azure.net")
	if err == nil || err.Error() != "AKV10000: Request is missing a Bearer or PoP token." {
		t.Errorf("empty bearer: %v", err)
	}
	_, err = v.Authenticate(context.Background(), "Bearer ", VaultAudience)
	if err == nil || err.Error() != "AKV10000: Request is missing a Bearer or PoP token." {
		t.Errorf("scheme only: %v", err)
	}
	_, err = v.Authenticate(context.Background(), raw, VaultAudience)
	want := "AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://myvault.example.test."
	if err == nil || err.Error() != want {
		t.Errorf("unadvertised audience: %v", err)
	}
}

func TestKeySurvivesReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	k1, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %v, want 0600", perm)
	}
	k2, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k1.ID() != k2.ID() {
		t.Errorf("kid changed across reload: %s → %s", k1.ID(), k2.ID())
	}
	clk := clock.NewFixed(start)
	raw, _, _ := (&Issuer{Key: k1, Tenant: tenant, Clock: clk}).Issue(sub, VaultAudience)
	if _, err := (&Validator{Key: k2, Tenant: tenant, Clock: clk}).Validate(raw); err != nil {
		t.Errorf("token from before reload refused: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key (temporary file left behind?)", len(entries))
	}
}

func TestKeyFileCorruptIsAnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, KeyFileName)
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir); err == nil {
		t.Fatal("corrupt key file accepted")
	}
	if b, _ := os.ReadFile(path); string(b) != "not a key" {
		t.Error("corrupt key file was overwritten")
	}
}

func TestKidIsRFC7638Thumbprint(t *testing.T) {
	// RFC 7638 section 3.1 example key and its published thumbprint.
	n := "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	nb, _ := parser.DecodeSegment(n)
	pub := &rsa.PublicKey{E: 65537}
	pub.N = new(bigInt).SetBytes(nb)
	if got := thumbprint(pub); got != "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs" {
		t.Errorf("thumbprint = %s", got)
	}
}

func TestJWKSIsPublicOnly(t *testing.T) {
	k := newKeyForTest(t)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(k.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("keys = %d, want 1", len(set.Keys))
	}
	jwk := set.Keys[0]
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := jwk[private]; ok {
			t.Errorf("JWKS exposes private member %q", private)
		}
	}
	for name, want := range map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.ID(), "e": "AQAB"} {
		if jwk[name] != want {
			t.Errorf("%s = %v, want %s", name, jwk[name], want)
		}
	}
	nb, err := parser.DecodeSegment(jwk["n"].(string))
	if err != nil || new(bigInt).SetBytes(nb).Cmp(k.Public().N) != 0 {
		t.Error("JWKS n does not match the public key")
	}
}

type bigInt = big.Int

func TestConcurrentCreateAgreesOnOneKey(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	ids := make(chan string, n)
	for range n {
		go func() {
			k, err := LoadOrCreateKey(dir)
			if err != nil {
				t.Error(err)
				ids <- ""
				return
			}
			ids <- k.ID()
		}()
	}
	first := <-ids
	for range n - 1 {
		if id := <-ids; id != first {
			t.Errorf("concurrent creators disagree: %s vs %s", id, first)
		}
	}
}

func TestPKCS1KeyFileAccepted(t *testing.T) {
	dir := t.TempDir()
	priv, err := keygen.RSA(2048)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)})
	if err := os.WriteFile(filepath.Join(dir, KeyFileName), pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID() != thumbprint(&priv.PublicKey) {
		t.Error("loaded a different key than the one on disk")
	}
}
