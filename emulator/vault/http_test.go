package vault_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/secretkit/secretkit/emulator/access"
	"github.com/secretkit/secretkit/emulator/vault"
	"github.com/secretkit/secretkit/internal/testutil"
	"github.com/secretkit/secretkit/kv"
)

const challengePrefix = `Bearer authorization="https://login.windows.net/tenant-1", resource=`

func TestMissingTokenChallengesBeforeBody(t *testing.T) {
	f := start(t, vault.Options{Tenant: "tenant-1"})
	for _, tc := range []struct{ method, path, body, auth string }{
		{http.MethodGet, "/secrets/x?api-version=7.6", "", ""},
		{http.MethodPut, "/secrets/x?api-version=7.6", "{not json", ""},
		{http.MethodPut, "/secrets/bad_name?api-version=bogus", "", "Bearer "},
		{http.MethodGet, "/nowhere", "", "Basic dXNlcjpwdw=="},
	} {
		r := f.raw(t, tc.method, "", tc.path, tc.body, map[string]string{"Authorization": tc.auth})
		msg := wantError(t, r, 401, "Unauthorized", "")
		if msg != "AKV10000: Request is missing a Bearer or PoP token." {
			t.Errorf("%s %s: message %q", tc.method, tc.path, msg)
		}
		if got := r.header.Get("WWW-Authenticate"); got != challengePrefix+`"https://vault.azure.net"` {
			t.Errorf("%s %s: challenge %q", tc.method, tc.path, got)
		}
	}
}

func TestChallengeResourcePerHost(t *testing.T) {
	f := start(t, vault.Options{Tenant: "tenant-1"})
	for host, resource := range map[string]string{
		"myvault.vault.azure.net":      "https://vault.azure.net",
		"myvault.vault.azure.net:8443": "https://vault.azure.net",
		"xyz.localhost:1234":           "https://localhost:1234",
		"xyz.localhost":                "https://localhost",
		"localhost:8443":               "https://vault.azure.net",
		"127.0.0.1:8443":               "https://vault.azure.net",
		"keyvault-emulator":            "https://vault.azure.net",
	} {
		r := f.raw(t, http.MethodGet, host, "/secrets?api-version=7.6", "", map[string]string{"Authorization": ""})
		if got, want := r.header.Get("WWW-Authenticate"), challengePrefix+`"`+resource+`"`; r.status != 401 || got != want {
			t.Errorf("host %s: %d %q, want 401 %q", host, r.status, got, want)
		}
	}
}

func TestDefaultTenantKeepsChallengeParseable(t *testing.T) {
	f := start(t, vault.Options{})
	r := f.raw(t, http.MethodGet, "", "/secrets?api-version=7.6", "", map[string]string{"Authorization": ""})
	want := `Bearer authorization="https://login.windows.net/` + vault.DefaultTenant + `", resource="https://vault.azure.net"`
	if got := r.header.Get("WWW-Authenticate"); got != want {
		t.Errorf("challenge %q, want %q", got, want)
	}
}

func TestVaultsByHost(t *testing.T) {
	f := start(t, vault.Options{Vaults: []vault.Settings{{Name: "main"}, {Name: "other", RetentionDays: 7}}})
	put := func(host, name string) map[string]any {
		r := f.raw(t, http.MethodPut, host, "/secrets/"+name+"?api-version=2026-04-01", `{"value":"v"}`, nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", host, r.status, r.body)
		}
		return r.json(t)
	}
	cases := []struct{ host, vault, idBase string }{
		{"myvault.vault.azure.net", "myvault", "https://myvault.vault.azure.net"},
		{"xyz.localhost:1234", "xyz", "https://xyz.localhost:1234"},
		{"OTHER.localhost", "other", "https://OTHER.localhost"},
		{"localhost:8443", "main", "https://localhost:8443"},
		{"127.0.0.1", "main", "https://127.0.0.1"},
		{"keyvault-emulator:8443", "main", "https://keyvault-emulator:8443"},
	}
	for i, c := range cases {
		name := fmt.Sprintf("s%d", i)
		got := put(c.host, name)
		id, _ := got["id"].(string)
		if !strings.HasPrefix(id, c.idBase+"/secrets/"+name+"/") {
			t.Errorf("%s: id %s, want base %s", c.host, id, c.idBase)
		}
		if _, err := f.store.Get(t.Context(), c.vault, name); err != nil {
			t.Errorf("%s: secret not in vault %s: %v", c.host, c.vault, err)
		}
	}
	// Configured settings apply to the vault selected by host.
	r := f.raw(t, http.MethodGet, "other.vault.azure.net", "/secrets/s2?api-version=7.6", "", nil)
	if days := r.json(t)["attributes"].(map[string]any)["recoverableDays"]; days != float64(7) {
		t.Errorf("other vault recoverableDays = %v", days)
	}
	// Vaults are separate namespaces.
	r = f.raw(t, http.MethodGet, "myvault.vault.azure.net", "/secrets/s1?api-version=7.6", "", nil)
	wantError(t, r, 404, "SecretNotFound", "")
}

func TestSDKWithResourceVerificationOnVaultHost(t *testing.T) {
	f := start(t, vault.Options{})
	c := f.newClient(t, "https://myvault.vault.azure.net", f.hostClient(), false)
	ctx := t.Context()
	set, err := c.SetSecret(ctx, "verified", azsecrets.SetSecretParameters{Value: ptr("v")}, nil)
	if err != nil {
		t.Fatalf("SetSecret with challenge verification: %v", err)
	}
	if !strings.HasPrefix(string(*set.ID), "https://myvault.vault.azure.net/secrets/verified/") {
		t.Errorf("id = %s", *set.ID)
	}
	if _, err := f.store.Get(ctx, "myvault", "verified"); err != nil {
		t.Errorf("not stored in vault myvault: %v", err)
	}
}

func TestAPIVersions(t *testing.T) {
	f := start(t, vault.Options{})
	f.raw(t, http.MethodPut, "", "/secrets/v?api-version=7.6", `{"value":"x"}`, nil)
	for _, v := range []string{"7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-07-01", "2026-04-01", "2026-07-01-preview"} {
		if r := f.raw(t, http.MethodGet, "", "/secrets/v?api-version="+v, "", nil); r.status != 200 {
			t.Errorf("api-version %s: %d %s", v, r.status, r.body)
		}
	}
	// The JS SDK percent-encodes the key.
	if r := f.raw(t, http.MethodGet, "", "/secrets/v?api%2Dversion=7.6", "", nil); r.status != 200 {
		t.Errorf("percent-encoded key: %d %s", r.status, r.body)
	}
	r := f.raw(t, http.MethodGet, "", "/secrets/v?api-version=7.9", "", nil)
	if msg := wantError(t, r, 400, "BadParameter", ""); msg != "The specified version (7.9) is not recognized. Consider using the latest supported version (2026-04-01)." {
		t.Errorf("message = %q", msg)
	}
	r = f.raw(t, http.MethodGet, "", "/secrets/v", "", nil)
	wantError(t, r, 400, "BadParameter", "")
}

func TestBodyValidation(t *testing.T) {
	f := start(t, vault.Options{})
	tags16 := make([]string, 16)
	for i := range tags16 {
		tags16[i] = fmt.Sprintf(`"t%d":"v"`, i)
	}
	long := strings.Repeat("a", 513)
	for _, tc := range []struct {
		name, body, msg string
	}{
		{"malformed JSON", `{"value":`, ""},
		{"wrong type", `{"value":5}`, ""},
		{"no value", `{"contentType":"x"}`, ""},
		{"value 25601 bytes", `{"value":"` + strings.Repeat("x", 25601) + `"}`, ""},
		{"16 tags", `{"value":"x","tags":{` + strings.Join(tags16, ",") + `}}`, "Property has invalid value"},
		{"tag key 513", `{"value":"x","tags":{"` + long + `":"v"}}`, "Property has invalid value"},
		{"tag value 513", `{"value":"x","tags":{"k":"` + long + `"}}`, "Property has invalid value"},
		{"contentType 256", `{"value":"x","contentType":"` + strings.Repeat("c", 256) + `"}`, "Property has invalid value"},
		// Dates past year 9999 cannot be stored in a bolt file nor backed up.
		{"exp after 9999", `{"value":"x","attributes":{"exp":253402300800}}`, "Property has invalid value"},
		{"exp max int64", `{"value":"x","attributes":{"exp":9223372036854775807}}`, "Property has invalid value"},
		{"nbf before year 1", `{"value":"x","attributes":{"nbf":-62135596801}}`, "Property has invalid value"},
	} {
		r := f.raw(t, http.MethodPut, "", "/secrets/body?api-version=7.6", tc.body, nil)
		msg := wantError(t, r, 400, "BadParameter", "")
		if tc.msg != "" && msg != tc.msg {
			t.Errorf("%s: message %q, want %q", tc.name, msg, tc.msg)
		}
		if strings.Contains(msg, "xxxxxxxx") {
			t.Errorf("%s: message echoes the value", tc.name)
		}
	}
	// Limits themselves are fine: 25,600 bytes, 15 tags of 512.
	tags15 := make([]string, 15)
	for i := range tags15 {
		tags15[i] = fmt.Sprintf(`"%s%02d":"%s"`, strings.Repeat("k", 510), i, strings.Repeat("v", 512))
	}
	r := f.raw(t, http.MethodPut, "", "/secrets/body?api-version=7.6",
		`{"value":"`+strings.Repeat("x", 25600)+`","tags":{`+strings.Join(tags15, ",")+`}}`, nil)
	if r.status != 200 {
		t.Errorf("at the limits: %d %s", r.status, r.body)
	}
	// The limits count characters: 512 two-byte characters are within them.
	wide := strings.Repeat("é", 512)
	r = f.raw(t, http.MethodPut, "", "/secrets/body?api-version=7.6",
		`{"value":"x","contentType":"`+strings.Repeat("é", 255)+`","tags":{"`+wide+`":"`+wide+`"}}`, nil)
	if r.status != 200 {
		t.Errorf("512 non-ASCII characters: %d %s", r.status, r.body)
	}
	// Update validates too.
	r = f.raw(t, http.MethodPatch, "", "/secrets/body?api-version=7.6", `{"tags":{`+strings.Join(tags16, ",")+`}}`, nil)
	wantError(t, r, 400, "BadParameter", "")
	r = f.raw(t, http.MethodPatch, "", "/secrets/body/?api-version=7.6", `[`, nil)
	wantError(t, r, 400, "BadParameter", "")
	r = f.raw(t, http.MethodPatch, "", "/secrets/body?api-version=7.6", `{"attributes":{"exp":253402300800}}`, nil)
	wantError(t, r, 400, "BadParameter", "")
	// The extremes of the range are fine, and the secret still backs up.
	r = f.raw(t, http.MethodPatch, "", "/secrets/body?api-version=7.6", `{"attributes":{"nbf":-62135596800,"exp":253402300799}}`, nil)
	if r.status != 200 {
		t.Errorf("dates at the limits: %d %s", r.status, r.body)
	}
	r = f.raw(t, http.MethodPost, "", "/secrets/body/backup?api-version=7.6", "", nil)
	if r.status != 200 {
		t.Errorf("backup with dates at the limits: %d %s", r.status, r.body)
	}
	// Oversized bodies are refused.
	r = f.raw(t, http.MethodPut, "", "/secrets/body?api-version=7.6", `{"value":"`+strings.Repeat("x", 2<<20)+`"}`, nil)
	wantError(t, r, 413, "RequestEntityTooLarge", "")
}

func TestInvalidNames(t *testing.T) {
	f := start(t, vault.Options{})
	for _, tc := range []struct{ method, path, name string }{
		{http.MethodGet, "/secrets/bad_name", "bad_name"},
		{http.MethodPut, "/secrets/" + strings.Repeat("n", 128), strings.Repeat("n", 128)},
		{http.MethodGet, "/deletedsecrets/a.b", "a.b"},
		{http.MethodPost, "/deletedsecrets/a.b/recover", "a.b"},
		{http.MethodGet, "/secrets/a%20b/versions", "a b"},
		{http.MethodGet, "/secrets/a%2Fb", "a/b"},
	} {
		r := f.raw(t, tc.method, "", tc.path+"?api-version=7.6", `{"value":"x"}`, nil)
		if msg := wantError(t, r, 400, "BadParameter", ""); msg != "The request URI contains an invalid name: "+tc.name {
			t.Errorf("%s %s: message %q", tc.method, tc.path, msg)
		}
	}
	for _, ok := range []string{"0-leading-digit", "-dash", strings.Repeat("n", 127)} {
		if r := f.raw(t, http.MethodPut, "", "/secrets/"+ok+"?api-version=7.6", `{"value":"x"}`, nil); r.status != 200 {
			t.Errorf("%s: %d %s", ok, r.status, r.body)
		}
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	f := start(t, vault.Options{})
	r := f.raw(t, http.MethodGet, "", "/keys?api-version=7.6", "", nil)
	wantError(t, r, 404, "NotFound", "")
	r = f.raw(t, http.MethodGet, "", "/secrets/a/b/c?api-version=7.6", "", nil)
	wantError(t, r, 404, "NotFound", "")
	for _, tc := range []struct{ method, path, allow string }{
		{http.MethodPost, "/secrets", "GET"},
		{http.MethodPost, "/secrets/x", "PUT, GET, PATCH, DELETE"},
		{http.MethodPut, "/secrets/x/backup", "POST"},
		{http.MethodGet, "/deletedsecrets/x/recover", "POST"},
		{http.MethodPut, "/deletedsecrets/x", "GET, DELETE"},
	} {
		r := f.raw(t, tc.method, "", tc.path+"?api-version=7.6", "", nil)
		wantError(t, r, 405, "BadParameter", "")
		if got := r.header.Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
	// Literal segments only for their own method: "restore" and "backup"
	// are ordinary names otherwise.
	if r := f.raw(t, http.MethodPut, "", "/secrets/restore?api-version=7.6", `{"value":"x"}`, nil); r.status != 200 {
		t.Errorf("PUT /secrets/restore: %d %s", r.status, r.body)
	}
	if r := f.raw(t, http.MethodGet, "", "/secrets/restore?api-version=7.6", "", nil); r.status != 200 {
		t.Errorf("GET /secrets/restore: %d %s", r.status, r.body)
	}
}

func TestResponseHeaders(t *testing.T) {
	f := start(t, vault.Options{})
	r := f.raw(t, http.MethodPut, "", "/secrets/h?api-version=7.6", `{"value":"x"}`, map[string]string{"x-ms-client-request-id": "abc-123"})
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for k, want := range map[string]string{
		"x-ms-client-request-id":        "abc-123",
		"x-ms-keyvault-service-version": vault.ServiceVersion,
		"Cache-Control":                 "no-cache",
		"Content-Type":                  "application/json; charset=utf-8",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if id := r.header.Get("x-ms-request-id"); !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("x-ms-request-id = %q", id)
	}
	// Shape: no nulls, integer times, no managed/kid.
	body := string(r.body)
	for _, absent := range []string{"null", "managed", "kid", "nbf", "exp", "tags", "contentType"} {
		if strings.Contains(body, absent) {
			t.Errorf("body has %q: %s", absent, body)
		}
	}
	attrs := r.json(t)["attributes"].(map[string]any)
	if attrs["created"] != float64(epoch.Unix()) || attrs["enabled"] != true {
		t.Errorf("attributes = %v", attrs)
	}
	// Purge: 204 without a body.
	f.raw(t, http.MethodDelete, "", "/secrets/h?api-version=7.6", "", nil)
	r = f.raw(t, http.MethodDelete, "", "/deletedsecrets/h?api-version=7.6", "", nil)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("purge = %d %q", r.status, r.body)
	}
}

func TestMaxResultsAndNextLink(t *testing.T) {
	f := start(t, vault.Options{})
	for i := range 7 {
		f.raw(t, http.MethodPut, "", fmt.Sprintf("/secrets/p%d?api-version=7.6", i), `{"value":"x"}`, nil)
	}
	var got []string
	next := "/secrets?api-version=7.6&maxresults=3"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		r := f.raw(t, http.MethodGet, "", next, "", nil)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", next, r.status, r.body)
		}
		page := r.json(t)
		items := page["value"].([]any)
		for _, it := range items {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		link, _ := page["nextLink"].(string)
		if link == "" {
			if _, present := page["nextLink"]; !present {
				t.Error("last page has no nextLink field (want null)")
			}
			next = ""
			continue
		}
		if len(items) != 3 {
			t.Errorf("page with nextLink has %d items, want 3", len(items))
		}
		u, err := url.Parse(link)
		if err != nil || u.Scheme != "https" || u.Host != strings.TrimPrefix(f.srv.URL, "https://") || u.Path != "/secrets" {
			t.Fatalf("nextLink %q is not absolute on the server", link)
		}
		q := u.Query()
		if q.Get("api-version") != "7.6" || q.Get("maxresults") != "3" || q.Get("$skiptoken") == "" {
			t.Fatalf("nextLink %q lacks api-version/maxresults/$skiptoken", link)
		}
		next = u.RequestURI()
	}
	if len(got) != 7 || !strings.HasSuffix(got[0], "/secrets/p0") || !strings.HasSuffix(got[6], "/secrets/p6") {
		t.Errorf("walked %v", got)
	}
	for _, bad := range []string{"0", "26", "abc", "-1"} {
		r := f.raw(t, http.MethodGet, "", "/secrets?api-version=7.6&maxresults="+bad, "", nil)
		wantError(t, r, 400, "BadParameter", "")
	}
	r := f.raw(t, http.MethodGet, "", "/secrets?api-version=7.6&$skiptoken=%%%", "", nil)
	wantError(t, r, 400, "BadParameter", "")
	r = f.raw(t, http.MethodGet, "", "/secrets?api-version=7.6&$skiptoken=bm90LWEtdG9rZW4", "", nil)
	wantError(t, r, 400, "BadParameter", "")
	r = f.raw(t, http.MethodGet, "", "/secrets/p1/versions?api-version=7.6&maxresults=1", "", nil)
	if page := r.json(t); len(page["value"].([]any)) != 1 || page["nextLink"] != nil {
		t.Errorf("versions page = %s", r.body)
	}
}

// denyAll is a test-only Authorizer/Authenticator pair that records what
// the API asked.
type seam struct {
	authErr  error
	denial   *access.Denial
	resource string
	bearer   string
	asked    []string
}

func (s *seam) Authenticate(_ context.Context, bearer, resource string) (access.Caller, error) {
	s.bearer, s.resource = bearer, resource
	if s.authErr != nil {
		return access.Caller{}, s.authErr
	}
	return access.Caller{ObjectID: "oid-1", ClientID: "app-1"}, nil
}

func (s *seam) Authorize(vaultName string, caller access.Caller, op kv.Operation, secret string) *access.Denial {
	s.asked = append(s.asked, fmt.Sprintf("%s %s %s %s", vaultName, caller.ObjectID, op, secret))
	return s.denial
}

func TestAuthenticatorRejection(t *testing.T) {
	s := &seam{authErr: errors.New("AKV10022: Invalid audience")}
	f := start(t, vault.Options{Tenant: "tenant-1", Authenticator: s})
	r := f.raw(t, http.MethodGet, "xyz.localhost:1234", "/secrets?api-version=7.6", "", nil)
	if msg := wantError(t, r, 401, "Unauthorized", ""); msg != "AKV10022: Invalid audience" {
		t.Errorf("message %q", msg)
	}
	if got := r.header.Get("WWW-Authenticate"); got != challengePrefix+`"https://localhost:1234"` {
		t.Errorf("challenge %q", got)
	}
	if s.bearer != "test-token" || s.resource != "https://localhost:1234" {
		t.Errorf("Authenticate(%q, %q)", s.bearer, s.resource)
	}
}

// renewableErr stands for a token that a fresh one would replace.
type renewableErr struct{}

func (renewableErr) Error() string   { return "AKV10010: Token expired." }
func (renewableErr) Renewable() bool { return true }

// capableErr is a renewable refusal of a token whose client declared it
// can answer a claims challenge.
type capableErr struct{ renewableErr }

func (capableErr) CanAnswerClaimsChallenge() bool { return true }

// Without the capability the same refusal gets the standard challenge.
func TestRenewableRejectionOfIncapableClientSendsStandardChallenge(t *testing.T) {
	s := &seam{authErr: fmt.Errorf("wrapped: %w", renewableErr{})}
	f := start(t, vault.Options{Tenant: "tenant-1", Authenticator: s})
	r := f.raw(t, http.MethodGet, "", "/secrets?api-version=7.6", "", nil)
	wantError(t, r, 401, "Unauthorized", "")
	if got := r.header.Get("WWW-Authenticate"); got != challengePrefix+`"https://vault.azure.net"` {
		t.Errorf("challenge %q, want the standard one", got)
	}
}

func TestRenewableRejectionSendsClaimsChallenge(t *testing.T) {
	s := &seam{authErr: fmt.Errorf("wrapped: %w", capableErr{})}
	f := start(t, vault.Options{Tenant: "tenant-1", Authenticator: s})
	r := f.raw(t, http.MethodGet, "", "/secrets?api-version=7.6", "", nil)
	wantError(t, r, 401, "Unauthorized", "")
	got := r.header.Get("WWW-Authenticate")
	const prefix = `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="`
	if !strings.HasPrefix(got, prefix) || !strings.HasSuffix(got, `"`) {
		t.Fatalf("challenge %q is not a claims challenge", got)
	}
	claims, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(got, prefix), `"`))
	if err != nil || !strings.HasPrefix(string(claims), `{"access_token":{"nbf":{"essential":true,"value":"`) {
		t.Errorf("claims %q (%v)", claims, err)
	}
}

func TestAuthorizerDenial(t *testing.T) {
	s := &seam{denial: &access.Denial{InnerCode: "ForbiddenByRbac", Message: "Caller is not authorized to perform action on resource."}}
	f := start(t, vault.Options{Authenticator: s, Authorizer: s})
	_, err := f.client.GetSecret(t.Context(), "guarded", "", nil)
	if msg := wantSDKError(t, err, 403, "Forbidden", "ForbiddenByRbac"); msg != s.denial.Message {
		t.Errorf("message %q", msg)
	}
	r := f.raw(t, http.MethodGet, "", "/secrets?api-version=7.6", "", nil)
	wantError(t, r, 403, "Forbidden", "ForbiddenByRbac")
	// Authorization comes before body validation.
	r = f.raw(t, http.MethodPut, "", "/secrets/x?api-version=7.6", "{bad", nil)
	wantError(t, r, 403, "Forbidden", "ForbiddenByRbac")
	want := []string{"emulator oid-1 get guarded", "emulator oid-1 list ", "emulator oid-1 set x"}
	if fmt.Sprint(s.asked) != fmt.Sprint(want) {
		t.Errorf("asked %q, want %q", s.asked, want)
	}
}

func TestOperationsAskedOfAuthorizer(t *testing.T) {
	s := &seam{}
	f := start(t, vault.Options{Authorizer: s})
	for _, tc := range []struct{ method, path string }{
		{http.MethodPut, "/secrets/a"}, {http.MethodGet, "/secrets/a"}, {http.MethodGet, "/secrets/a/"},
		{http.MethodPatch, "/secrets/a/0123"}, {http.MethodPost, "/secrets/a/backup"},
		{http.MethodGet, "/secrets/a/versions"}, {http.MethodGet, "/secrets"},
		{http.MethodDelete, "/secrets/a"}, {http.MethodGet, "/deletedsecrets/a"},
		{http.MethodGet, "/deletedsecrets"}, {http.MethodPost, "/deletedsecrets/a/recover"},
		{http.MethodDelete, "/deletedsecrets/a"}, {http.MethodPost, "/secrets/restore"},
	} {
		f.raw(t, tc.method, "", tc.path+"?api-version=7.6", "{}", nil)
	}
	want := []string{"set a", "get a", "get a", "update a", "backup a", "listVersions a", "list ",
		"delete a", "getDeleted a", "listDeleted ", "recover a", "purge a", "restore "}
	if len(s.asked) != len(want) {
		t.Fatalf("asked %q", s.asked)
	}
	for i := range want {
		if !strings.HasSuffix(s.asked[i], " "+want[i]) {
			t.Errorf("request %d asked %q, want op %q", i, s.asked[i], want[i])
		}
	}
}

func TestLogsNeverCarryValues(t *testing.T) {
	var buf testutil.Buffer
	f := start(t, vault.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	const value = "do-not-log-this-value"
	f.raw(t, http.MethodPut, "", "/secrets/logged?api-version=7.6", `{"value":"`+value+`"}`, nil)
	f.raw(t, http.MethodGet, "", "/secrets/logged?api-version=7.6", "", nil)
	f.raw(t, http.MethodPut, "", "/secrets/logged?api-version=7.6", `{"value":"`+value+`",`, nil)
	out := buf.String()
	if !strings.Contains(out, "path=/secrets/logged") || !strings.Contains(out, "status=400") {
		t.Errorf("request log missing: %s", out)
	}
	if strings.Contains(out, value) {
		t.Errorf("log carries the value: %s", out)
	}
}
