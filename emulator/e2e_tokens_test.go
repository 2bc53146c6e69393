package emulator_test

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/emulator/token"
	"github.com/secretkit/secretkit/internal/keygen"
)

// Issue 4, part 2: bad and misdirected bearer tokens sent to the vault
// over HTTPS, each refused with 401 Unauthorized, Key Vault's message, and
// the challenge that tells a client what to do next.

const tokensConfig = `
tenant: 7a7a7a7a-0000-4000-8000-00000000000a
identities:
  - {name: vm, kind: system}
  - {name: app, kind: user}
vaults:
  - name: tokens
    secrets:
      - {name: probe, value: token-probe-value}
`

const (
	tokensTenant = "7a7a7a7a-0000-4000-8000-00000000000a"
	otherTenant  = "0badbad0-0000-4000-8000-000000000bad"
)

// plainChallenge is the challenge for a request without a usable token: it
// names the tenant's authority and the resource to ask a token for.
const plainChallenge = `Bearer authorization="https://login.windows.net/` + tokensTenant + `", resource="https://vault.azure.net"`

// claimsChallengePrefix starts the continuous-access-evaluation challenge
// the vault sends when a fresh token would be accepted (expired, not yet
// valid, another key or tenant); claims demands a token issued after now.
const claimsChallengePrefix = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="`

// signJWT signs header and claims with key (RS256); a nil key leaves the
// signature empty.
func signJWT(t *testing.T, header, claims any, key *rsa.PrivateKey) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64url(h) + "." + b64url(c)
	if key == nil {
		return input + "."
	}
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + b64url(sig)
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// emulatorPrivateKey reads the signing key from the TLS directory, to mint
// tokens the emulator's issuer never would.
func emulatorPrivateKey(t *testing.T, e *emulatortest.Emulator) *rsa.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(e.Server.Authority().CAPath), token.KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatal("signing key file holds no PEM block")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return parsed.(*rsa.PrivateKey)
}

// forgingKeys sign tokens the emulator's issuer never would: ours with
// the emulator's own key and kid, foreign with a key it does not know.
func forgingKeys(t *testing.T, e *emulatortest.Emulator) (ours *rsa.PrivateKey, kid string, foreign *rsa.PrivateKey) {
	t.Helper()
	foreign, err := keygen.RSA(2048)
	if err != nil {
		t.Fatal(err)
	}
	return emulatorPrivateKey(t, e), signingKey(t, e).ID(), foreign
}

func TestBadTokensAreRefusedWithKeyVaultsAnswer(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: tokensConfig})
	probeURL := e.VaultURLFor("tokens") + "secrets/probe?api-version=2026-04-01"
	ours, kid, foreign := forgingKeys(t, e)
	app := e.Identity(t, "app")
	valid := imdsToken(t, e, app.ClientID, "https://vault.azure.net")

	now := e.Now().Unix()
	rs256 := map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid}
	// claims is a well-formed access token for app; change one thing per row.
	claims := func(change func(map[string]any)) map[string]any {
		c := map[string]any{
			"aud": "https://vault.azure.net", "iss": token.IssuerURL(tokensTenant), "tid": tokensTenant,
			"iat": now - 60, "nbf": now - 60, "exp": now + 3600,
			"oid": app.ObjectID, "sub": app.ObjectID, "appid": app.ClientID, "azp": app.ClientID,
			"idtyp": "app", "ver": "1.0",
		}
		if change != nil {
			change(c)
		}
		return c
	}
	encodedHeader := func(jwt string) string { h, _, _ := strings.Cut(jwt, "."); return h }

	unsigned := signJWT(t, map[string]string{"alg": "none", "typ": "JWT"}, claims(nil), nil)
	hsHeader, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT", "kid": kid})
	hsPayload, _ := json.Marshal(claims(nil))
	hsInput := b64url(hsHeader) + "." + b64url(hsPayload)
	pub, _ := x509.MarshalPKIXPublicKey(&ours.PublicKey)
	mac := hmac.New(sha256.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	mac.Write([]byte(hsInput))
	hs256 := hsInput + "." + b64url(mac.Sum(nil))
	foreignKid := signJWT(t, map[string]string{"alg": "RS256", "typ": "JWT", "kid": "foreign-key-1"}, claims(nil), foreign)
	foreignOurKid := signJWT(t, rs256, claims(nil), foreign)
	unknownKid := signJWT(t, map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid + "-rotated"}, claims(nil), ours)
	validParts := strings.Split(valid, ".")
	tamperedClaims, _ := json.Marshal(claims(func(c map[string]any) { c["oid"] = "00000000-0000-4000-8000-00000000beef" }))
	tampered := validParts[0] + "." + b64url(tamperedClaims) + "." + validParts[2]
	federated, err := e.Server.Endpoints().FederatedToken("app")
	if err != nil {
		t.Fatal(err)
	}
	management := imdsToken(t, e, app.ClientID, "https://management.azure.com")
	other := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: tokensConfig})
	otherEmulator := imdsToken(t, other, app.ClientID, "https://vault.azure.net")

	const (
		missing       = "AKV10000: Request is missing a Bearer or PoP token."
		malformed     = "AKV10001: Token is malformed."
		badSignature  = "AKV10016: Token signature validation failed."
		unresolvedFmt = "AKV10046: Unable to resolve the key used for signature validation. EncodedJwtHeader: '%s'."
	)
	unresolved := func(jwt string) string { return strings.Replace(unresolvedFmt, "%s", encodedHeader(jwt), 1) }
	wrongIssuer := func(found string) string {
		return "AKV10032: Invalid issuer. Expected one of " + token.IssuerURL(tokensTenant) + ", found " + found + "."
	}

	cases := []struct {
		name          string
		authorization string
		message       string
		renewable     bool // a fresh token would cure it: claims challenge
	}{
		{"no Authorization header", "", missing, false},
		{"Bearer scheme without a token", "Bearer", missing, false},
		{"Basic scheme", "Basic dXNlcjpwYXNzd29yZA==", missing, false},
		{"PoP scheme", "PoP " + valid, missing, false},
		{"token without a scheme", valid, missing, false},
		{"garbage", "Bearer not-a-token", malformed, false},
		{"two parts", "Bearer " + validParts[0] + "." + validParts[1], malformed, false},
		{"header not base64url", "Bearer %%%." + validParts[1] + "." + validParts[2], malformed, false},
		{"alg none", "Bearer " + unsigned, unresolved(unsigned), true},
		{"HS256 keyed with the public key", "Bearer " + hs256, unresolved(hs256), true},
		{"foreign RSA key", "Bearer " + foreignKid, unresolved(foreignKid), true},
		{"foreign RSA key claiming our kid", "Bearer " + foreignOurKid, badSignature, false},
		{"our key under an unknown kid", "Bearer " + unknownKid, unresolved(unknownKid), true},
		{"token of another emulator", "Bearer " + otherEmulator, unresolved(otherEmulator), true},
		{"tampered payload", "Bearer " + tampered, badSignature, false},
		{"expired an hour ago", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["iat"], c["nbf"], c["exp"] = now-7200, now-7200, now-3600
		}), ours), "AKV10010: Token expired.", true},
		{"not valid for ten minutes", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["nbf"] = now + 600
		}), ours), "AKV10011: Token not yet valid.", true},
		{"no exp", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) { delete(c, "exp") }), ours), malformed, false},
		{"management token from IMDS", "Bearer " + management,
			"AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://management.azure.com.", false},
		{"audience of another vault host", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["aud"] = "https://vault.azure.cn"
		}), ours), "AKV10022: Invalid audience. Expected https://vault.azure.net, found: https://vault.azure.cn.", false},
		{"issuer of another tenant", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["iss"], c["tid"] = token.IssuerURL(otherTenant), otherTenant
		}), ours), wrongIssuer(token.IssuerURL(otherTenant)), true},
		{"tid of another tenant", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["tid"] = otherTenant
		}), ours), wrongIssuer(token.IssuerURL(otherTenant)), true},
		{"v2.0 Entra issuer", "Bearer " + signJWT(t, rs256, claims(func(c map[string]any) {
			c["iss"] = "https://login.microsoftonline.com/" + tokensTenant + "/v2.0"
		}), ours), wrongIssuer("https://login.microsoftonline.com/" + tokensTenant + "/v2.0"), true},
		{"federated Kubernetes token", "Bearer " + federated, wrongIssuer(identity.FederationIssuer), true},
	}
	if len(cases) < 15 {
		t.Fatalf("only %d bad tokens", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Now().Unix()
			r := vaultCall(t, e.Client(), http.MethodGet, probeURL, tc.authorization, "")
			after := e.Now().Unix()
			if r.status != http.StatusUnauthorized || r.err.Code != "Unauthorized" {
				t.Fatalf("got %d %q, want 401 Unauthorized (body %s)", r.status, r.err.Code, r.body)
			}
			if r.err.Message != tc.message {
				t.Errorf("message\n got %q\nwant %q", r.err.Message, tc.message)
			}
			if strings.Contains(string(r.body), "token-probe-value") {
				t.Error("a refusal carries the secret value")
			}
			if !tc.renewable {
				if r.challenge != plainChallenge {
					t.Errorf("WWW-Authenticate\n got %q\nwant %q", r.challenge, plainChallenge)
				}
				return
			}
			checkClaimsChallenge(t, r.challenge, before, after)
		})
	}

	t.Run("lowercase bearer scheme is accepted", func(t *testing.T) {
		if r := vaultCall(t, e.Client(), http.MethodGet, probeURL, "bearer "+valid, ""); r.status != http.StatusOK {
			t.Errorf("got %d, want 200 (body %s)", r.status, r.body)
		}
	})
	t.Run("expired within the five-minute skew is accepted", func(t *testing.T) {
		late := signJWT(t, rs256, claims(func(c map[string]any) { c["exp"] = now - 240 }), ours)
		if r := vaultCall(t, e.Client(), http.MethodGet, probeURL, "Bearer "+late, ""); r.status != http.StatusOK {
			t.Errorf("got %d, want 200 (body %s)", r.status, r.body)
		}
	})
	t.Run("a valid token still works after the refusals", func(t *testing.T) {
		r := vaultCall(t, e.Client(), http.MethodGet, probeURL, "Bearer "+valid, "")
		var bundle struct {
			Value string `json:"value"`
		}
		if r.status != http.StatusOK || json.Unmarshal(r.body, &bundle) != nil || bundle.Value != "token-probe-value" {
			t.Errorf("got %d %s, want 200 with the secret", r.status, r.body)
		}
	})
}

// checkClaimsChallenge asserts the CAE challenge and that its claims ask
// for a token issued no earlier than the emulator's time of the request.
func checkClaimsChallenge(t *testing.T, challenge string, notBefore, notAfter int64) {
	t.Helper()
	encoded, ok := strings.CutPrefix(challenge, claimsChallengePrefix)
	if !ok || !strings.HasSuffix(encoded, `"`) {
		t.Fatalf("WWW-Authenticate %q is not the claims challenge", challenge)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(encoded, `"`))
	if err != nil {
		t.Fatalf("claims are not base64: %v", err)
	}
	var claims struct {
		AccessToken struct {
			NBF struct {
				Essential bool   `json:"essential"`
				Value     string `json:"value"`
			} `json:"nbf"`
		} `json:"access_token"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatalf("claims %s: %v", raw, err)
	}
	v, err := strconv.ParseInt(claims.AccessToken.NBF.Value, 10, 64)
	if !claims.AccessToken.NBF.Essential || err != nil || v < notBefore || v > notAfter {
		t.Errorf("claims %s, want an essential nbf between %d and %d", raw, notBefore, notAfter)
	}
}

// A vault reached as {name}.localhost:{port} advertises the resource
// https://localhost:{port}; a token for it is accepted there, and only
// there, besides the ever-valid https://vault.azure.net.
func TestLocalhostResourceTokens(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: tokensConfig})
	_, port, err := net.SplitHostPort(e.Server.VaultAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	resource := "https://localhost:" + port
	localURL := "https://tokens.localhost:" + port + "/secrets/probe?api-version=2026-04-01"
	client := localhostClient(t, e)

	r := vaultCall(t, client, http.MethodGet, localURL, "", "")
	want := `Bearer authorization="https://login.windows.net/` + tokensTenant + `", resource="` + resource + `"`
	if r.status != http.StatusUnauthorized || r.challenge != want {
		t.Fatalf("unauthenticated: %d %q, want 401 with %q", r.status, r.challenge, want)
	}
	localToken := imdsToken(t, e, "", resource)
	vaultToken := imdsToken(t, e, "", "https://vault.azure.net")
	for name, tok := range map[string]string{"localhost token": localToken, "vault.azure.net token": vaultToken} {
		if r := vaultCall(t, client, http.MethodGet, localURL, "Bearer "+tok, ""); r.status != http.StatusOK {
			t.Errorf("%s on tokens.localhost: %d %s, want 200", name, r.status, r.body)
		}
	}
	r = vaultCall(t, e.Client(), http.MethodGet, e.VaultURLFor("tokens")+"secrets/probe?api-version=2026-04-01", "Bearer "+localToken, "")
	wantMsg := "AKV10022: Invalid audience. Expected https://vault.azure.net, found: " + resource + "."
	if r.status != http.StatusUnauthorized || r.err.Code != "Unauthorized" || r.err.Message != wantMsg || r.challenge != plainChallenge {
		t.Errorf("localhost token on tokens.vault.azure.net: %d %q %q %q, want 401 Unauthorized %q", r.status, r.err.Code, r.err.Message, r.challenge, wantMsg)
	}
}

// Advancing the emulator clock past a token's lifetime and the skew
// expires it; a token fetched afterwards works again.
func TestAdvancedClockExpiresTokens(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: "tokenLifetime: 1h\n" + tokensConfig})
	probeURL := e.VaultURLFor("tokens") + "secrets/probe?api-version=2026-04-01"
	old := imdsToken(t, e, "", "https://vault.azure.net")
	if r := vaultCall(t, e.Client(), http.MethodGet, probeURL, "Bearer "+old, ""); r.status != http.StatusOK {
		t.Fatalf("fresh token: %d %s", r.status, r.body)
	}
	e.Advance(time.Hour + token.Skew + time.Minute)
	before := e.Now().Unix()
	r := vaultCall(t, e.Client(), http.MethodGet, probeURL, "Bearer "+old, "")
	if r.status != http.StatusUnauthorized || r.err.Code != "Unauthorized" || r.err.Message != "AKV10010: Token expired." {
		t.Fatalf("after Advance: %d %q %q, want 401 Unauthorized AKV10010", r.status, r.err.Code, r.err.Message)
	}
	checkClaimsChallenge(t, r.challenge, before, e.Now().Unix())
	renewed := imdsToken(t, e, "", "https://vault.azure.net")
	if r := vaultCall(t, e.Client(), http.MethodGet, probeURL, "Bearer "+renewed, ""); r.status != http.StatusOK {
		t.Errorf("token issued after Advance: %d %s", r.status, r.body)
	}
}
