package emulator_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/token"
)

// The challenge rule, as Key Vault applies it: a claims challenge
// (error="insufficient_claims") only for a token that a fresh one would
// cure AND whose client declared the "cp1" capability (xms_cc); every other
// refusal carries the standard authorization=/resource= challenge, which
// every client, old or new, understands.

const challengeConfig = `
tenant: 7a7a7a7a-0000-4000-8000-00000000000a
claimsChallenge: capable
identityHeader: challenge-header-secret
tokenLifetime: 1h
tlsNames: [login.microsoftonline.com]
identities:
  - {name: vm, kind: system}
  - {name: app, kind: user}
  - {name: ci, kind: servicePrincipal, clientSecret: challenge-sp-secret}
vaults:
  - name: tokens
    secrets:
      - {name: probe, value: token-probe-value}
`

// capabilityToken asks the App Service endpoint, optionally declaring
// client capabilities with xms_cc.
func capabilityToken(t *testing.T, e *emulatortest.Emulator, xmsCC string) string {
	t.Helper()
	q := url.Values{"api-version": {"2019-08-01"}, "resource": {"https://vault.azure.net"}}
	if xmsCC != "" {
		q.Set("xms_cc", xmsCC)
	}
	req, _ := http.NewRequest(http.MethodGet, e.IdentityURL+"/msi/token?"+q.Encode(), nil)
	req.Header.Set("X-IDENTITY-HEADER", "challenge-header-secret")
	return tokenFrom(t, req)
}

// entraSecretToken is a service principal's client-credentials request,
// with MSAL's capability claims when claims is set.
func entraSecretToken(t *testing.T, e *emulatortest.Emulator, clientID, secret, claims string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret},
		"scope": {"https://vault.azure.net/.default"}}
	if claims != "" {
		form.Set("claims", claims)
	}
	req, _ := http.NewRequest(http.MethodPost, e.VaultURL+e.Config.Tenant+"/oauth2/v2.0/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return tokenFromClient(t, e.Client(), req)
}

func tokenFrom(t *testing.T, req *http.Request) string {
	return tokenFromClient(t, http.DefaultClient, req)
}

func tokenFromClient(t *testing.T, c *http.Client, req *http.Request) string {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tr) != nil || tr.AccessToken == "" {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, body)
	}
	return tr.AccessToken
}

func TestChallengeRule(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: challengeConfig})
	probeURL := e.VaultURLFor("tokens") + "secrets/probe?api-version=2026-04-01"
	ours, kid, foreign := forgingKeys(t, e)
	app := e.Identity(t, "app")
	ci := e.Identity(t, "ci")
	const cp1Claims = `{"access_token":{"xms_cc":{"values":["CP1"]}}}`

	// Tokens issued by the emulator's own endpoints, before the clock
	// moves: they expire once it does.
	miPlain := capabilityToken(t, e, "")
	miCapable := capabilityToken(t, e, "cp1")
	spPlain := entraSecretToken(t, e, ci.ClientID, "challenge-sp-secret", "")
	spCapable := entraSecretToken(t, e, ci.ClientID, "challenge-sp-secret", cp1Claims)
	for name, tok := range map[string]string{"mi": miPlain, "mi cp1": miCapable, "sp": spPlain, "sp cp1": spCapable} {
		if r := vaultCall(t, e.Client(), http.MethodGet, probeURL, "Bearer "+tok, ""); r.status != http.StatusOK {
			t.Fatalf("fresh %s token: %d %s", name, r.status, r.body)
		}
	}

	now := e.Now().Unix()
	rs256 := map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid}
	claims := func(change func(map[string]any)) map[string]any {
		c := map[string]any{
			"aud": "https://vault.azure.net", "iss": token.IssuerURL(tokensTenant), "tid": tokensTenant,
			"iat": now - 60, "nbf": now - 60, "exp": now + 3600,
			"oid": app.ObjectID, "sub": app.ObjectID, "appid": app.ClientID, "idtyp": "app", "ver": "1.0",
		}
		change(c)
		return c
	}
	cp1 := func(c map[string]any) { c["xms_cc"] = []string{"cp1"} }
	both := func(fs ...func(map[string]any)) func(map[string]any) {
		return func(c map[string]any) {
			for _, f := range fs {
				f(c)
			}
		}
	}
	notYet := func(c map[string]any) { c["nbf"] = now + 600 }
	otherIssuer := func(c map[string]any) { c["iss"] = token.IssuerURL(otherTenant); c["tid"] = otherTenant }
	otherAudience := func(c map[string]any) { c["aud"] = "https://management.azure.com" }

	// Forged tokens are judged now; the issued ones after the clock moves.
	type row struct {
		name   string
		token  string
		claims bool // a claims challenge, else the standard one
	}
	forged := []row{
		{"no token", "", false},
		{"not yet valid, no capability", signJWT(t, rs256, claims(notYet), ours), false},
		{"not yet valid, cp1", signJWT(t, rs256, claims(both(notYet, cp1)), ours), true},
		{"another tenant, no capability", signJWT(t, rs256, claims(otherIssuer), ours), false},
		{"another tenant, cp1", signJWT(t, rs256, claims(both(otherIssuer, cp1)), ours), true},
		{"another audience, cp1 (a fresh token would not help)", signJWT(t, rs256, claims(both(otherAudience, cp1)), ours), false},
		{"foreign key claiming cp1 (unverifiable)", signJWT(t, rs256, claims(cp1), foreign), false},
		{"alg none claiming cp1", signJWT(t, map[string]string{"alg": "none", "typ": "JWT"}, claims(cp1), nil), false},
		{"garbage", "not.a.jwt", false},
	}
	check := func(t *testing.T, r row) {
		t.Helper()
		auth := ""
		if r.token != "" {
			auth = "Bearer " + r.token
		}
		before := e.Now().Unix()
		reply := vaultCall(t, e.Client(), http.MethodGet, probeURL, auth, "")
		if reply.status != http.StatusUnauthorized || reply.err.Code != "Unauthorized" {
			t.Fatalf("got %d %q, want 401 Unauthorized", reply.status, reply.err.Code)
		}
		if r.claims {
			checkClaimsChallenge(t, reply.challenge, before, e.Now().Unix())
		} else if reply.challenge != plainChallenge {
			t.Errorf("challenge %q, want the standard %q", reply.challenge, plainChallenge)
		}
	}
	for _, r := range forged {
		t.Run(r.name, func(t *testing.T) { check(t, r) })
	}

	e.Advance(time.Hour + token.Skew + time.Minute)
	for _, r := range []row{
		{"expired managed-identity token, no xms_cc", miPlain, false},
		{"expired managed-identity token, xms_cc=cp1 (App Service)", miCapable, true},
		{"expired service-principal token, no claims", spPlain, false},
		{"expired service-principal token, CP1 in claims", spCapable, true},
	} {
		t.Run(r.name, func(t *testing.T) { check(t, r) })
	}
}

// After the emulator clock jumps past a token's lifetime, the Go SDK's
// secret and certificate credentials recover by themselves: azsecrets asks for CAE
// tokens (EnableCAE), so MSAL declares CP1, the token carries xms_cc, the
// vault answers its expiry with a claims challenge, and the SDK fetches a
// new token past its cache and retries.
//
// The managed-identity credential cannot: MSAL Go's managed-identity
// client (v1.10) sends no client capabilities (no xms_cc), so the vault
// answers with the standard challenge, and the credential hands back its
// cached token, still valid by the wall clock: the call fails with 401
// until that token nears its expiry on the wall clock. Such clients need a
// short tokenLifetime (5m: the SDK then never reuses a token) or
// claimsChallenge: renewable; both are shown here.
func TestGoSDKAfterAdvance(t *testing.T) {
	t.Parallel()
	read := func(t *testing.T, e *emulatortest.Emulator, cred azcore.TokenCredential) error {
		t.Helper()
		c, err := azsecrets.NewClient(e.VaultURLFor("tokens"), cred, &azsecrets.ClientOptions{
			ClientOptions: azcore.ClientOptions{Transport: e.Client(), Retry: policy.RetryOptions{MaxRetries: -1}}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		resp, err := c.GetSecret(ctx, "probe", "", nil)
		if err == nil && (resp.Value == nil || *resp.Value != "token-probe-value") {
			t.Fatal("GetSecret returned a different value")
		}
		return err
	}
	// readAcrossAdvance reads before and after the clock jumps by (past
	// the token's lifetime): the credential must recover.
	readAcrossAdvance := func(t *testing.T, e *emulatortest.Emulator, cred azcore.TokenCredential, by time.Duration) {
		t.Helper()
		if err := read(t, e, cred); err != nil {
			t.Fatal(err)
		}
		e.Advance(by)
		if err := read(t, e, cred); err != nil {
			t.Fatalf("after Advance: %v", err)
		}
	}
	// Each case (and each run, under -count) has a tenant of its own, so
	// its identities' derived client ids are new and the process-wide MSAL
	// managed-identity cache (keyed by client id) holds no token of an
	// earlier emulator for them.
	withTenant := func(cfg string) string {
		var b [16]byte
		_, _ = rand.Read(b[:])
		h := hex.EncodeToString(b[:])
		tenant := h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-8" + h[17:20] + "-" + h[20:32]
		return strings.Replace(cfg, "tenant: 7a7a7a7a-0000-4000-8000-00000000000a", "tenant: "+tenant, 1)
	}

	t.Run("ClientSecretCredential recovers", func(t *testing.T) {
		t.Parallel()
		logs := &logRecords{}
		e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: withTenant(challengeConfig), Logger: logs.logger()})
		cred := secretCredential(t, e, e.Identity(t, "ci").ClientID, "challenge-sp-secret")
		readAcrossAdvance(t, e, cred, 2*time.Hour)
		if n := len(logs.records(t, "entra token issued")); n != 2 {
			t.Errorf("%d tokens issued, want 2 (one before, one after the claims challenge)", n)
		}
	})

	t.Run("ClientCertificateCredential recovers", func(t *testing.T) {
		t.Parallel()
		good, _, _ := certFiles(t)
		cfg := withTenant(challengeConfig)
		cfg = strings.Replace(cfg, "  - {name: ci, kind: servicePrincipal, clientSecret: challenge-sp-secret}\n",
			"  - {name: ci, kind: servicePrincipal, clientSecret: challenge-sp-secret}\n  - {name: ci-cert, kind: servicePrincipal, certificate: "+good+"}\n", 1)
		e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: cfg})
		cred := certCredential(t, e, e.Identity(t, "ci-cert").ClientID, good)
		readAcrossAdvance(t, e, cred, 2*time.Hour)
	})

	// Workload identity declares cp1 and gets the claims challenge, but
	// azidentity keeps the federated assertion it read for ten minutes of
	// wall time: the one it presents after the jump expired on the emulator
	// clock, although the server rewrote the file at once. It recovers when
	// it next reads the file.
	t.Run("WorkloadIdentityCredential fails until it rereads the token file", func(t *testing.T) {
		t.Parallel()
		logs := &logRecords{}
		e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: withTenant(challengeConfig), Logger: logs.logger()})
		path, err := e.Server.WriteWorkloadTokenFile()
		if err != nil {
			t.Fatal(err)
		}
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientID: e.Server.Endpoints().WorkloadIdentity().ClientID, TenantID: e.Config.Tenant, TokenFilePath: path,
			ClientOptions: productionAuthority(e), DisableInstanceDiscovery: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := read(t, e, cred); err != nil {
			t.Fatal(err)
		}
		e.Advance(2 * time.Hour)
		err = read(t, e, cred)
		if err == nil {
			t.Fatal("after Advance: the cached assertion was accepted")
		}
		if _, code, _ := entraRefusal(t, err); code != 700024 {
			t.Errorf("after Advance: AADSTS%d, want AADSTS700024 (the cached assertion's lifetime)", code)
		}
		if n := len(logs.records(t, "entra token issued")); n != 1 {
			t.Errorf("%d tokens issued, want 1", n)
		}
	})

	imdsCred := func(t *testing.T, e *emulatortest.Emulator) azcore.TokenCredential {
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ID:            azidentity.ClientID(e.Identity(t, "app").ClientID),
			ClientOptions: azcore.ClientOptions{Transport: e.Client(), Retry: policy.RetryOptions{MaxRetries: -1}}})
		if err != nil {
			t.Fatal(err)
		}
		return cred
	}
	t.Run("ManagedIdentityCredential does not recover", func(t *testing.T) {
		t.Parallel()
		e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: withTenant(challengeConfig)})
		cred := imdsCred(t, e)
		if err := read(t, e, cred); err != nil {
			t.Fatal(err)
		}
		e.Advance(2 * time.Hour)
		err := read(t, e, cred)
		var re *azcore.ResponseError
		if !errors.As(err, &re) || re.StatusCode != http.StatusUnauthorized {
			t.Fatalf("after Advance: %v, want 401 (the credential keeps its cached token)", err)
		}
	})
	t.Run("ManagedIdentityCredential with tokenLifetime 5m recovers", func(t *testing.T) {
		t.Parallel()
		cfg := strings.Replace(withTenant(challengeConfig), "tokenLifetime: 1h", "tokenLifetime: 5m", 1)
		e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: cfg})
		readAcrossAdvance(t, e, imdsCred(t, e), time.Hour)
	})
	t.Run("ManagedIdentityCredential with claimsChallenge renewable recovers", func(t *testing.T) {
		t.Parallel()
		cfg := strings.Replace(withTenant(challengeConfig), "claimsChallenge: capable", "claimsChallenge: renewable", 1)
		e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: cfg})
		cred := imdsCred(t, e)
		readAcrossAdvance(t, e, cred, 2*time.Hour)
	})
}
