package identity

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// get sends one request to the plain-HTTP endpoints and returns the status
// and the decoded JSON body.
func (f *fixture) get(t *testing.T, method, pathAndQuery string, header map[string]string, form url.Values) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.http.URL+pathAndQuery, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s %s: body %q is not JSON", method, pathAndQuery, raw)
	}
	return resp.StatusCode, m
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The 2017-09-01 request and response, against the documented shapes:
// GET {MSI_ENDPOINT}?resource=...&api-version=2017-09-01 with "secret:",
// clientid for a user-assigned identity, and exactly access_token,
// expires_on (MM/dd/yyyy HH:mm:ss +00:00, UTC), resource, token_type.
func TestLegacyAppServiceShapes(t *testing.T) {
	f := newFixture(t, t.TempDir())
	secret := map[string]string{"secret": "header-secret-for-tests"}
	q := "?resource=https%3A%2F%2Fvault.azure.net&api-version=2017-09-01"

	for _, tc := range []struct {
		name, query string
		want        Identity
	}{
		{"system", q, vm},
		{"user by clientid", q + "&clientid=" + app2.ClientID, app2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.clock.Now().Truncate(time.Second)
			status, body := f.get(t, http.MethodGet, "/msi/token"+tc.query, secret, nil)
			if status != http.StatusOK {
				t.Fatalf("status %d %v", status, body)
			}
			if got, want := keys(body), []string{"access_token", "expires_on", "resource", "token_type"}; !reflect.DeepEqual(got, want) {
				t.Errorf("response fields %v, want exactly %v", got, want)
			}
			if body["resource"] != "https://vault.azure.net" || body["token_type"] != "Bearer" {
				t.Errorf("resource %v, token_type %v", body["resource"], body["token_type"])
			}
			on, _ := body["expires_on"].(string)
			exp, err := time.Parse("01/02/2006 15:04:05 -07:00", on)
			if err != nil || !strings.HasSuffix(on, " +00:00") {
				t.Fatalf("expires_on %q is not MM/dd/yyyy HH:mm:ss +00:00: %v", on, err)
			}
			if want := before.Add(2 * time.Hour); exp.Before(want) || exp.After(want.Add(2*time.Second)) {
				t.Errorf("expires_on %v, want the token's expiry %v", exp, want)
			}
			c, err := f.validator.Validate(body["access_token"].(string))
			if err != nil || c.ObjectID != tc.want.ObjectID || c.AppID != tc.want.ClientID {
				t.Errorf("token names %s/%s (%v), want %s", c.AppID, c.ObjectID, err, tc.want.Name)
			}
		})
	}

	for _, tc := range []struct {
		name, query string
		header      map[string]string
		status      int
		code, has   string
	}{
		{"no secret header", q, nil, 401, "unauthorized", "secret"},
		{"2019 header instead", q, map[string]string{"X-IDENTITY-HEADER": "header-secret-for-tests"}, 401, "unauthorized", "secret"},
		{"wrong secret", q, map[string]string{"secret": "nope"}, 401, "unauthorized", "secret"},
		{"2019 selector", q + "&client_id=" + app2.ClientID, secret, 400, "invalid_request", "clientid only"},
		{"unknown clientid", q + "&clientid=00000000-0000-4000-8000-000000000000", secret, 400, "invalid_request", "Identity not found"},
		{"no resource", "?api-version=2017-09-01", secret, 400, "invalid_request", "audience"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := f.get(t, http.MethodGet, "/msi/token"+tc.query, tc.header, nil)
			desc, _ := body["error_description"].(string)
			if status != tc.status || body["error"] != tc.code || !strings.Contains(desc, tc.has) {
				t.Errorf("got %d %v, want %d %s containing %q", status, body, tc.status, tc.code, tc.has)
			}
		})
	}

	// The 2019-08-01 protocol on the same path keeps its own header.
	if status, _ := f.get(t, http.MethodGet, "/msi/token?resource=https%3A%2F%2Fvault.azure.net&api-version=2019-08-01", secret, nil); status != 401 {
		t.Errorf("2019-08-01 with the legacy secret header: %d, want 401", status)
	}
}

// Each endpoint accepts the api-versions its real counterpart documents
// and refuses the rest with 400 naming the supported ones.
func TestAPIVersionRanges(t *testing.T) {
	f := newFixture(t, t.TempDir())
	const res = "resource=https%3A%2F%2Fvault.azure.net"
	meta := map[string]string{"Metadata": "true"}
	appSvc := map[string]string{"X-IDENTITY-HEADER": "header-secret-for-tests"}
	for _, tc := range []struct {
		path     string
		header   map[string]string
		accepted []string
		refused  []string
	}{
		{"/metadata/identity/oauth2/token", meta, []string{"2018-02-01", "2019-08-01", "2021-02-01", "2023-11-15"}, []string{"2017-12-01", "2017-09-01", "2030-01-01"}},
		{"/msi/token", appSvc, []string{"2019-08-01"}, []string{"2018-02-01", "2020-06-01"}},
		{"/azureml/token", map[string]string{"secret": "header-secret-for-tests"}, []string{"2017-09-01"}, []string{"2019-08-01"}},
	} {
		for _, v := range tc.accepted {
			if status, body := f.get(t, http.MethodGet, tc.path+"?api-version="+v+"&"+res, tc.header, nil); status != 200 {
				t.Errorf("%s api-version %s: %d %v, want 200", tc.path, v, status, body)
			}
		}
		for _, v := range tc.refused {
			status, body := f.get(t, http.MethodGet, tc.path+"?api-version="+v+"&"+res, tc.header, nil)
			desc, _ := body["error_description"].(string)
			if status != 400 || body["error"] != "invalid_request" || !strings.Contains(desc, "Invalid api-version '"+v+"'; supported: ") {
				t.Errorf("%s api-version %s: %d %v, want 400 naming the supported versions", tc.path, v, status, body)
			}
		}
	}
}

// Cloud Shell has no user-assigned identities: a request naming one is
// refused, never answered with the system identity's token, and without a
// system identity there is nothing to issue.
func TestCloudShellHasOnlyTheSystemIdentity(t *testing.T) {
	f := newFixture(t, t.TempDir())
	meta := map[string]string{"Metadata": "true"}
	status, body := f.get(t, http.MethodPost, "/cloudshell/token", meta, url.Values{"resource": {"https://vault.azure.net"}})
	if status != 200 {
		t.Fatalf("system identity: %d %v", status, body)
	}
	if c, err := f.validator.Validate(body["access_token"].(string)); err != nil || c.ObjectID != vm.ObjectID {
		t.Errorf("token names %s (%v), want the system identity", c.ObjectID, err)
	}
	for _, key := range []string{"client_id", "object_id", "msi_res_id"} {
		status, body := f.get(t, http.MethodPost, "/cloudshell/token", meta, url.Values{"resource": {"https://vault.azure.net"}, key: {app1.ClientID}})
		if status != 400 || body["error"] != "invalid_request" || body["access_token"] != nil {
			t.Errorf("Cloud Shell with %s: %d %v, want 400 invalid_request and no token", key, status, body)
		}
	}
	users := newFixture(t, t.TempDir(), app1)
	status, body = users.get(t, http.MethodPost, "/cloudshell/token", meta, url.Values{"resource": {"https://vault.azure.net"}})
	if status != 400 || body["error"] != "invalid_request" || body["error_description"] != "Identity not found" || body["access_token"] != nil {
		t.Errorf("Cloud Shell without a system identity: %d %v, want 400 invalid_request \"Identity not found\" and no token", status, body)
	}
}

// App Service and Service Fabric carry xms_cc into the token; other
// endpoints do not declare capabilities; token_sha256_to_refresh must be
// a SHA-256.
func TestClientCapabilitiesReachTheToken(t *testing.T) {
	f := newFixture(t, t.TempDir())
	q := "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net"
	appSvc := map[string]string{"X-IDENTITY-HEADER": "header-secret-for-tests"}
	for _, tc := range []struct {
		query   string
		capable bool
	}{
		{"", false}, {"&xms_cc=cp1", true}, {"&xms_cc=CP1,cp2", true}, {"&xms_cc=cp2", false},
		{"&xms_cc=cp1&token_sha256_to_refresh=" + strings.Repeat("ab", 32), true},
	} {
		status, body := f.get(t, http.MethodGet, q+tc.query, appSvc, nil)
		if status != 200 {
			t.Fatalf("%s: %d %v", tc.query, status, body)
		}
		c, err := f.validator.Validate(body["access_token"].(string))
		if err != nil || c.ClaimsCapable != tc.capable {
			t.Errorf("%q: ClaimsCapable %v (%v), want %v", tc.query, c.ClaimsCapable, err, tc.capable)
		}
	}
	status, body := f.get(t, http.MethodGet, q+"&token_sha256_to_refresh=not-a-hash", appSvc, nil)
	if status != 400 || body["error"] != "invalid_request" {
		t.Errorf("bad token_sha256_to_refresh: %d %v, want 400", status, body)
	}
	// IMDS ignores xms_cc: it is not part of its protocol.
	status, body = f.get(t, http.MethodGet, "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net&xms_cc=cp1", map[string]string{"Metadata": "true"}, nil)
	if status != 200 {
		t.Fatalf("imds: %d %v", status, body)
	}
	if c, _ := f.validator.Validate(body["access_token"].(string)); c.ClaimsCapable {
		t.Error("IMDS carried xms_cc into the token")
	}
}
