package identity

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/testutil"

	"github.com/secretkit/secretkit/emulator/token"
)

// In-process emulators take their signing keys from a pool made once per
// machine rather than generating one each.
func init() { testutil.PoolSigningKeys() }

func form(v url.Values) string { return v.Encode() }

func tokenForm(clientID, assertion string) url.Values {
	return url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {clientID},
		"client_assertion_type": {jwtBearerAssertionType},
		"client_assertion":      {assertion},
		"scope":                 {"https://vault.azure.net/.default openid offline_access profile"},
		"client_info":           {"1"},
	}
}

func with(v url.Values, key, value string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	if value == "" {
		out.Del(key)
	} else {
		out.Set(key, value)
	}
	return out
}

func TestEntraTokenRefusals(t *testing.T) {
	f := newFixture(t, t.TempDir())
	good, err := f.endpoints.FederatedToken("app1")
	if err != nil {
		t.Fatal(err)
	}
	foreignKey, err := token.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now().Unix()
	claims := func(iss, sub string, aud any) map[string]any {
		return map[string]any{"iss": iss, "sub": sub, "aud": aud, "iat": now, "nbf": now, "exp": now + 3600}
	}
	sign := func(k *token.Key, c any) string {
		s, err := k.Sign(c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	ourKey := f.endpoints.issuer.Key
	foreign := sign(foreignKey, claims(FederationIssuer, FederationSubject("app1"), []string{FederationAudience}))
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "." + strings.Split(foreign, ".")[2]
	wrongIssuer := sign(ourKey, claims("https://token.actions.githubusercontent.com", FederationSubject("app1"), []string{FederationAudience}))
	wrongAudience := sign(ourKey, claims(FederationIssuer, FederationSubject("app1"), "api://something-else"))
	accessToken, _, err := f.endpoints.issuer.Issue(token.Subject{ObjectID: app1.ObjectID, ClientID: app1.ClientID}, token.VaultAudience)
	if err != nil {
		t.Fatal(err)
	}

	path := "/" + tenant + "/oauth2/v2.0/token"
	base := tokenForm(app1.ClientID, good)
	post := func(name string, p string, v url.Values, status int, code, has string) rawCase {
		return rawCase{name, "POST", p, nil, form(v), status, code, has}
	}
	cases := []rawCase{
		post("unknown tenant", "/00000000-0000-0000-0000-000000000000/oauth2/v2.0/token", base, 400, "invalid_tenant", "AADSTS90002: Tenant '00000000-0000-0000-0000-000000000000' not found."),
		post("wrong grant type", path, with(base, "grant_type", "password"), 400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type 'password'."),
		// A credential in the wrong field is not echoed back.
		post("token as grant type", path, with(base, "grant_type", good), 400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type. "),
		post("no grant type", path, with(base, "grant_type", ""), 400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'."),
		post("no client_id", path, with(base, "client_id", ""), 400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'."),
		post("no scope", path, with(base, "scope", ""), 400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'."),
		post("scope without .default", path, with(base, "scope", "https://vault.azure.net/user_impersonation"), 400, "invalid_scope", "AADSTS1002012:"),
		post("unknown client", path, with(base, "client_id", "00000000-0000-0000-0000-00000000beef"), 400, "unauthorized_client",
			"AADSTS700016: Application with identifier '00000000-0000-0000-0000-00000000beef' was not found in the directory '"+tenant+"'."),
		post("client secret instead", path, with(with(base, "client_assertion", ""), "client_secret", "s3cr3t"), 401, "invalid_client", "AADSTS7000215:"),
		post("no assertion", path, with(base, "client_assertion", ""), 401, "invalid_client", "AADSTS7000216:"),
		post("wrong assertion type", path, with(base, "client_assertion_type", "urn:other"), 401, "invalid_client", "AADSTS7000216:"),
		post("garbage assertion", path, with(base, "client_assertion", "garbage"), 400, "invalid_request", "AADSTS50027: JWT token is invalid or malformed."),
		post("foreign key", path, with(base, "client_assertion", foreign), 401, "invalid_client",
			"AADSTS7000272: The certificate with identifier "+foreignKey.ID()+" used to sign the federated credential could not be found in the metadata of identity provider "+FederationIssuer+"."),
		post("tampered signature", path, with(base, "client_assertion", tampered), 401, "invalid_client", "AADSTS50013: Assertion failed signature validation."),
		post("wrong issuer", path, with(base, "client_assertion", wrongIssuer), 401, "invalid_client",
			"AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://token.actions.githubusercontent.com'."),
		post("access token as assertion", path, with(base, "client_assertion", accessToken), 401, "invalid_client",
			"AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://sts.windows.net/"+tenant+"/'."),
		post("wrong audience", path, with(base, "client_assertion", wrongAudience), 401, "invalid_client",
			"AADSTS700212: No matching federated identity record found for presented assertion audience 'api://something-else'."),
		post("wrong client id", path, with(base, "client_id", app2.ClientID), 401, "invalid_client",
			"AADSTS700213: No matching federated identity record found for presented assertion subject 'system:serviceaccount:default:app1'."),
	}
	f.runRaw(t, f.https.URL, f.https.Client(), cases)

	// The same assertion works once the mistakes are gone...
	f.runTokenOK(t, base, app1)
	// ...and stops working once it has expired on the emulator clock.
	f.clock.Advance(time.Hour + token.Skew + time.Second)
	f.runRaw(t, f.https.URL, f.https.Client(), []rawCase{
		post("expired assertion", path, base, 401, "invalid_client", "AADSTS700024: Client assertion is not within its valid time range. Current time: "),
	})
}

func (f *fixture) runTokenOK(t *testing.T, v url.Values, want Identity) {
	t.Helper()
	resp, err := f.https.Client().PostForm(f.https.URL+"/"+tenant+"/oauth2/v2.0/token", v)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		TokenType    string `json:"token_type"`
		ExpiresIn    int64  `json:"expires_in"`
		ExtExpiresIn int64  `json:"ext_expires_in"`
		AccessToken  string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, err %v", resp.StatusCode, err)
	}
	if body.TokenType != "Bearer" || body.ExpiresIn < 7199 || body.ExpiresIn > 7200 || body.ExtExpiresIn != body.ExpiresIn {
		t.Errorf("body = %+v", body)
	}
	c, err := f.validator.Validate(body.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if c.ObjectID != want.ObjectID || c.AppID != want.ClientID {
		t.Errorf("token names %s/%s, want %s", c.ObjectID, c.AppID, want.Name)
	}
}

func TestEntraErrorBodyShape(t *testing.T) {
	f := newFixture(t, t.TempDir())
	resp, err := f.https.Client().PostForm(f.https.URL+"/"+tenant+"/oauth2/v2.0/token", url.Values{"grant_type": {"client_credentials"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"} {
		if _, ok := body[k]; !ok {
			t.Errorf("error body lacks %q: %v", k, body)
		}
	}
	if codes, _ := body["error_codes"].([]any); len(codes) != 1 || codes[0] != float64(900144) {
		t.Errorf("error_codes = %v", body["error_codes"])
	}
}

func TestOpenIDConfigurationFollowsHost(t *testing.T) {
	f := newFixture(t, t.TempDir())
	host := strings.TrimPrefix(f.https.URL, "https://")
	get := func(path string) (*http.Response, map[string]any) {
		resp, err := f.https.Client().Get(f.https.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp, body
	}
	resp, cfg := get("/" + tenant + "/v2.0/.well-known/openid-configuration")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for k, want := range map[string]string{
		"issuer":                 "https://" + host + "/" + tenant + "/v2.0",
		"token_endpoint":         "https://" + host + "/" + tenant + "/oauth2/v2.0/token",
		"authorization_endpoint": "https://" + host + "/" + tenant + "/oauth2/v2.0/authorize",
		"jwks_uri":               "https://" + host + "/" + tenant + "/discovery/v2.0/keys",
	} {
		if cfg[k] != want {
			t.Errorf("%s = %v, want %s", k, cfg[k], want)
		}
	}
	if resp, body := get("/not-a-tenant/v2.0/.well-known/openid-configuration"); resp.StatusCode != 400 || body["error"] != "invalid_tenant" {
		t.Errorf("unknown tenant: %d %v", resp.StatusCode, body)
	}

	_, jwks := get("/" + tenant + "/discovery/v2.0/keys")
	keys, _ := jwks["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("jwks = %v", jwks)
	}
	jwk := keys[0].(map[string]any)
	for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
		if _, ok := jwk[private]; ok {
			t.Errorf("JWKS exposes %q", private)
		}
	}
	if jwk["kid"] != f.endpoints.issuer.Key.ID() {
		t.Errorf("kid = %v", jwk["kid"])
	}

	_, disc := get("/common/discovery/instance?api-version=1.1&authorization_endpoint=" +
		url.QueryEscape("https://"+host+"/"+tenant+"/oauth2/v2.0/authorize"))
	if disc["tenant_discovery_endpoint"] != "https://"+host+"/"+tenant+"/v2.0/.well-known/openid-configuration" {
		t.Errorf("instance discovery = %v", disc)
	}
}

func TestWriteFederatedTokenFileErrors(t *testing.T) {
	f := newFixture(t, t.TempDir())
	if err := f.endpoints.WriteFederatedTokenFile("nobody", t.TempDir()+"/tok"); err == nil {
		t.Error("unknown identity accepted")
	}
	if err := f.endpoints.WriteFederatedTokenFile("app1", t.TempDir()+"/missing-dir/tok"); err == nil {
		t.Error("write into a missing directory succeeded")
	}
}
