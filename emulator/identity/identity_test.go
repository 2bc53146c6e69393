package identity

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretkit/secretkit/emulator/clock"
	"github.com/secretkit/secretkit/emulator/token"
	"github.com/secretkit/secretkit/internal/testutil"
	"github.com/secretkit/secretkit/kv"
)

const tenant = "72f988bf-0000-4000-8000-000000000001"

var (
	vm = Identity{Name: "vm", Kind: kv.KindSystem,
		ClientID: "5a1c0f7e-0000-4000-8000-0000000000a1", ObjectID: "0b1d0f7e-0000-4000-8000-0000000000b1",
		ResourceID: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"}
	app1 = Identity{Name: "app1", Kind: kv.KindUser,
		ClientID: "5a1c0f7e-0000-4000-8000-0000000000a2", ObjectID: "0b1d0f7e-0000-4000-8000-0000000000b2",
		ResourceID: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app1"}
	app2 = Identity{Name: "app2", Kind: kv.KindUser,
		ClientID: "5a1c0f7e-0000-4000-8000-0000000000a3", ObjectID: "0b1d0f7e-0000-4000-8000-0000000000b3",
		ResourceID: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app2"}
)

// fixture is one emulator identity plane: real key, issuer and validator,
// with the HTTP and HTTPS handlers on loopback test servers.
type fixture struct {
	endpoints *Endpoints
	validator *token.Validator
	clock     *clock.Adjustable
	http      *httptest.Server
	https     *httptest.Server

	mu   sync.Mutex
	hits map[string]int // path → requests that reached the endpoints
}

func newFixture(t *testing.T, arcKeyDir string, ids ...Identity) *fixture {
	t.Helper()
	if ids == nil {
		ids = []Identity{vm, app1, app2}
	}
	key, err := token.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock.Adjustable{}
	logs := &testutil.Buffer{}
	e, err := New(Options{
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Identities: ids,
		Issuer:     &token.Issuer{Key: key, Tenant: tenant, Clock: clk, Lifetime: 2 * time.Hour},
		Tenant:     tenant,
		Secret:     "header-secret-for-tests",
		ArcKeyDir:  arcKeyDir,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{endpoints: e, clock: clk, hits: map[string]int{},
		validator: &token.Validator{Key: key, Tenant: tenant, Clock: clk}}
	f.http = httptest.NewServer(f.count(e.HTTPHandler()))
	f.https = httptest.NewTLSServer(f.count(e.HTTPSHandler()))
	t.Cleanup(func() {
		f.http.Close()
		f.https.Close()
		if err := e.Close(); err != nil {
			t.Error(err)
		}
		out := logs.String()
		// No header secret, and no JWT (every one starts with base64 of `{"`).
		for _, leak := range []string{e.Secret(), "eyJ"} {
			if strings.Contains(out, leak) {
				t.Errorf("logs contain %q:\n%s", leak, out)
			}
		}
	})
	return f
}

func (f *fixture) count(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.hits[r.URL.Path]++
		f.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (f *fixture) hitsOn(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// clearManagedIdentityEnv removes every variable the SDKs use to pick a
// managed-identity source, so each test sets exactly its own.
func clearManagedIdentityEnv(t *testing.T) {
	testutil.ClearAzureCredentialEnv(t)
}

// getToken runs the real credential for resource and checks that the token
// reached the server, validates, and names want.
func (f *fixture) getToken(t *testing.T, cred azcore.TokenCredential, resource string, want Identity) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{resource + "/.default"}})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	claims, err := f.validator.Validate(tok.Token, resource)
	if err != nil {
		t.Fatalf("token does not validate: %v", err)
	}
	if claims.ObjectID != want.ObjectID || claims.AppID != want.ClientID || claims.ResourceID != want.ResourceID {
		t.Errorf("token names oid=%s appid=%s mirid=%s, want identity %s", claims.ObjectID, claims.AppID, claims.ResourceID, want.Name)
	}
	if d := time.Until(tok.ExpiresOn); d < 110*time.Minute || d > 2*time.Hour+time.Minute {
		t.Errorf("ExpiresOn is %v away, want about 2h", d)
	}
}

// uniqueResource gives each credential call its own audience: MSAL caches
// managed-identity tokens process-wide by identity and resource, and a
// cache hit would skip the endpoint under test. The sequence number keeps
// repeated runs in one process (-count=N) apart too.
func uniqueResource(t *testing.T, tag string) string {
	name := strings.NewReplacer("/", "-", "_", "-").Replace(strings.ToLower(t.Name()))
	return fmt.Sprintf("https://%s-%s-%d.vault.test", name, tag, resourceSeq.Add(1))
}

var resourceSeq atomic.Int64

func TestAppServiceWithRealCredential(t *testing.T) {
	f := newFixture(t, t.TempDir())
	clearManagedIdentityEnv(t)
	t.Setenv("IDENTITY_ENDPOINT", f.http.URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", f.endpoints.Secret())
	cases := []struct {
		tag  string
		id   azidentity.ManagedIDKind
		want Identity
	}{
		{"system", nil, vm},
		{"client", azidentity.ClientID(app1.ClientID), app1},
		{"object", azidentity.ObjectID(app2.ObjectID), app2},
		{"resource", azidentity.ResourceID(app1.ResourceID), app1},
	}
	for _, tc := range cases {
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: tc.id})
		if err != nil {
			t.Fatal(err)
		}
		f.getToken(t, cred, uniqueResource(t, tc.tag), tc.want)
	}
	if n := f.hitsOn("/msi/token"); n != len(cases) {
		t.Errorf("App Service endpoint saw %d requests, want %d", n, len(cases))
	}
}

// imdsClient routes the fixed IMDS address to the test server, the only way
// to move Go's IMDS endpoint.
func imdsClient(target string) *http.Client {
	var d net.Dialer
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == "169.254.169.254:80" {
				addr = target
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
}

func TestIMDSWithRealCredential(t *testing.T) {
	f := newFixture(t, t.TempDir())
	clearManagedIdentityEnv(t)
	client := imdsClient(f.http.Listener.Addr().String())
	cases := []struct {
		tag  string
		id   azidentity.ManagedIDKind
		want Identity
	}{
		{"system", nil, vm},
		{"client", azidentity.ClientID(app2.ClientID), app2},
		{"object", azidentity.ObjectID(app1.ObjectID), app1},
		{"resource", azidentity.ResourceID(app2.ResourceID), app2},
	}
	for _, tc := range cases {
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ID: tc.id, ClientOptions: azcore.ClientOptions{Transport: client}})
		if err != nil {
			t.Fatal(err)
		}
		f.getToken(t, cred, uniqueResource(t, tc.tag), tc.want)
	}
	if n := f.hitsOn("/metadata/identity/oauth2/token"); n != len(cases) {
		t.Errorf("IMDS saw %d requests, want %d", n, len(cases))
	}

	// An unknown user-assigned identity fails with the SDK's wording for IMDS 400.
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ID: azidentity.ClientID("00000000-0000-0000-0000-00000000dead"), ClientOptions: azcore.ClientOptions{Transport: client}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{uniqueResource(t, "unknown") + "/.default"}})
	if err == nil || !strings.Contains(err.Error(), "the requested identity isn't assigned to this resource") {
		t.Errorf("unknown identity: %v", err)
	}
}

func TestDefaultAzureCredentialProbesIMDS(t *testing.T) {
	f := newFixture(t, t.TempDir())
	clearManagedIdentityEnv(t)
	// The full chain, so the managed-identity credential probes IMDS first.
	t.Setenv("AZURE_TOKEN_CREDENTIALS", "")
	os.Unsetenv("AZURE_TOKEN_CREDENTIALS")
	cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: imdsClient(f.http.Listener.Addr().String())}})
	if err != nil {
		t.Fatal(err)
	}
	f.getToken(t, cred, uniqueResource(t, "dac"), vm)
	// The bare probe and the token request both reached IMDS.
	if n := f.hitsOn("/metadata/identity/oauth2/token"); n != 2 {
		t.Errorf("IMDS saw %d requests, want probe + token = 2", n)
	}
}

func TestCloudShellWithRealCredential(t *testing.T) {
	f := newFixture(t, t.TempDir())
	clearManagedIdentityEnv(t)
	t.Setenv("MSI_ENDPOINT", f.http.URL+"/cloudshell/token")
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.getToken(t, cred, uniqueResource(t, "system"), vm)
	if n := f.hitsOn("/cloudshell/token"); n != 1 {
		t.Errorf("Cloud Shell endpoint saw %d requests, want 1", n)
	}
}

func TestAzureMLWithRealCredential(t *testing.T) {
	f := newFixture(t, t.TempDir())
	clearManagedIdentityEnv(t)
	t.Setenv("MSI_ENDPOINT", f.http.URL+"/azureml/token")
	t.Setenv("MSI_SECRET", f.endpoints.Secret())
	for _, tc := range []struct {
		tag  string
		id   azidentity.ManagedIDKind
		want Identity
	}{{"system", nil, vm}, {"client", azidentity.ClientID(app1.ClientID), app1}} {
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: tc.id})
		if err != nil {
			t.Fatal(err)
		}
		f.getToken(t, cred, uniqueResource(t, tc.tag), tc.want)
	}
	if n := f.hitsOn("/azureml/token"); n != 2 {
		t.Errorf("Azure ML endpoint saw %d requests, want 2", n)
	}
}

func TestServiceFabricWithRealCredential(t *testing.T) {
	f := newFixture(t, t.TempDir())
	clearManagedIdentityEnv(t)
	sum := sha1.Sum(f.https.Certificate().Raw)
	t.Setenv("IDENTITY_ENDPOINT", f.https.URL+"/servicefabric/token")
	t.Setenv("IDENTITY_HEADER", f.endpoints.Secret())
	t.Setenv("IDENTITY_SERVER_THUMBPRINT", hex.EncodeToString(sum[:]))
	cred, err := azidentity.NewManagedIdentityCredential(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.getToken(t, cred, uniqueResource(t, "system"), vm)
	if n := f.hitsOn("/servicefabric/token"); n != 1 {
		t.Errorf("Service Fabric endpoint saw %d requests, want 1", n)
	}
}

// arcDir makes MSAL's required Arc key directory for the test; the
// emulator package's Arc test uses it too, so testutil.HostDir serializes
// the two across processes.
func arcDir(t *testing.T) string {
	t.Helper()
	return testutil.HostDir(t, DefaultArcKeyDir)
}

func TestArcWithRealCredential(t *testing.T) {
	dir := arcDir(t)
	before, _ := os.ReadDir(dir)
	f := newFixture(t, dir)
	clearManagedIdentityEnv(t)
	t.Setenv("IDENTITY_ENDPOINT", f.http.URL+"/arc/token")
	t.Setenv("IMDS_ENDPOINT", f.http.URL)
	cases := []struct {
		tag  string
		id   azidentity.ManagedIDKind
		want Identity
	}{
		{"system", nil, vm},
		{"client", azidentity.ClientID(app1.ClientID), app1},
		{"object", azidentity.ObjectID(app2.ObjectID), app2},
		{"resource", azidentity.ResourceID(app1.ResourceID), app1},
	}
	for _, tc := range cases {
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: tc.id})
		if err != nil {
			t.Fatal(err)
		}
		f.getToken(t, cred, uniqueResource(t, tc.tag), tc.want)
	}
	// Each token took a challenge and a keyed retry.
	if n := f.hitsOn("/arc/token"); n != 2*len(cases) {
		t.Errorf("Arc endpoint saw %d requests, want %d", n, 2*len(cases))
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		t.Errorf("used key files left behind: %d entries before, %d after", len(before), len(after))
	}
}

func TestWorkloadIdentityWithRealCredential(t *testing.T) {
	f := newFixture(t, t.TempDir())
	clearManagedIdentityEnv(t)
	file := filepath.Join(t.TempDir(), "azure-identity-token")
	if err := f.endpoints.WriteFederatedTokenFile("app2", file); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, %v", info, err)
	}
	cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
		ClientID: app2.ClientID, TenantID: tenant, TokenFilePath: file, DisableInstanceDiscovery: true,
		ClientOptions: azcore.ClientOptions{
			Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: f.https.URL + "/"},
			Transport: f.https.Client(),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.getToken(t, cred, token.VaultAudience, app2)
	if n := f.hitsOn("/" + tenant + "/oauth2/v2.0/token"); n != 1 {
		t.Errorf("token endpoint saw %d requests, want 1", n)
	}
}

// --- raw HTTP: every refusal, with its exact status and error code ---

type rawCase struct {
	name    string
	method  string
	path    string // including query
	header  map[string]string
	body    string
	status  int
	code    string
	descHas string // a fragment error_description must contain
}

func (f *fixture) runRaw(t *testing.T, base string, client *http.Client, cases []rawCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, base+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var e struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if err := json.Unmarshal(body, &e); err != nil {
				t.Fatalf("body is not JSON: %q", body)
			}
			if resp.StatusCode != tc.status || e.Error != tc.code {
				t.Errorf("got %d %q, want %d %q (body %s)", resp.StatusCode, e.Error, tc.status, tc.code, body)
			}
			if !strings.Contains(e.Description, tc.descHas) {
				t.Errorf("error_description %q lacks %q", e.Description, tc.descHas)
			}
			if strings.Contains(string(body), "header-secret-for-tests") {
				t.Error("response echoes the header secret")
			}
		})
	}
}

func TestManagedIdentityRefusals(t *testing.T) {
	f := newFixture(t, t.TempDir())
	const res = "resource=https%3A%2F%2Fvault.azure.net"
	meta := map[string]string{"Metadata": "true"}
	secret := f.endpoints.Secret()
	cases := []rawCase{
		{"imds bare probe", "", "/metadata/identity/oauth2/token", nil, "", 400, "invalid_request", "metadata header"},
		{"imds missing Metadata", "", "/metadata/identity/oauth2/token?api-version=2018-02-01&" + res, nil, "", 400, "invalid_request", "metadata header"},
		{"imds Metadata false", "", "/metadata/identity/oauth2/token?api-version=2018-02-01&" + res, map[string]string{"Metadata": "false"}, "", 400, "invalid_request", "metadata header"},
		{"imds X-Forwarded-For", "", "/metadata/identity/oauth2/token?api-version=2018-02-01&" + res,
			map[string]string{"Metadata": "true", "X-Forwarded-For": "10.0.0.1"}, "", 400, "invalid_request", "X-Forwarded-For"},
		{"imds POST", "POST", "/metadata/identity/oauth2/token?api-version=2018-02-01&" + res, meta, "", 405, "invalid_request", "POST"},
		{"imds no api-version", "", "/metadata/identity/oauth2/token?" + res, meta, "", 400, "invalid_request", "api-version"},
		{"imds wrong api-version", "", "/metadata/identity/oauth2/token?api-version=2017-09-01&" + res, meta, "", 400, "invalid_request", "api-version"},
		{"imds no resource", "", "/metadata/identity/oauth2/token?api-version=2018-02-01", meta, "", 400, "invalid_request", "audience"},
		{"imds unknown client_id", "", "/metadata/identity/oauth2/token?api-version=2018-02-01&client_id=nobody&" + res, meta, "", 400, "invalid_request", "Identity not found"},
		{"imds unknown object_id", "", "/metadata/identity/oauth2/token?api-version=2018-02-01&object_id=nobody&" + res, meta, "", 400, "invalid_request", "Identity not found"},
		{"imds unknown msi_res_id", "", "/metadata/identity/oauth2/token/?api-version=2018-02-01&msi_res_id=%2Fnope&" + res, meta, "", 400, "invalid_request", "Identity not found"},
		{"imds two selectors", "", "/metadata/identity/oauth2/token?api-version=2018-02-01&client_id=" + app1.ClientID + "&object_id=" + app1.ObjectID + "&" + res, meta, "", 400, "invalid_request", "Only one"},

		{"appservice missing header", "", "/msi/token?api-version=2019-08-01&" + res, nil, "", 401, "unauthorized", "X-IDENTITY-HEADER"},
		{"appservice wrong header", "", "/msi/token?api-version=2019-08-01&" + res, map[string]string{"X-IDENTITY-HEADER": "wrong"}, "", 401, "unauthorized", "X-IDENTITY-HEADER"},
		{"appservice wrong api-version", "", "/msi/token?api-version=2018-02-01&" + res, map[string]string{"X-IDENTITY-HEADER": secret}, "", 400, "invalid_request", "api-version"},
		{"appservice unknown mi_res_id", "", "/msi/token?api-version=2019-08-01&mi_res_id=%2Fnope&" + res, map[string]string{"X-IDENTITY-HEADER": secret}, "", 400, "invalid_request", "Identity not found"},
		{"appservice no resource", "", "/msi/token?api-version=2019-08-01", map[string]string{"X-IDENTITY-HEADER": secret}, "", 400, "invalid_request", "audience"},

		{"cloudshell GET", "GET", "/cloudshell/token", meta, "", 405, "invalid_request", "GET"},
		{"cloudshell missing Metadata", "POST", "/cloudshell/token", nil, res, 400, "invalid_request", "metadata header"},
		{"cloudshell no resource", "POST", "/cloudshell/token", meta, "x=1", 400, "invalid_request", "audience"},

		{"azureml missing secret", "", "/azureml/token?api-version=2017-09-01&clientid=&" + res, nil, "", 401, "unauthorized", "secret"},
		{"azureml wrong secret", "", "/azureml/token?api-version=2017-09-01&clientid=&" + res, map[string]string{"secret": "nope"}, "", 401, "unauthorized", "secret"},
		{"azureml wrong api-version", "", "/azureml/token?api-version=2019-08-01&" + res, map[string]string{"secret": secret}, "", 400, "invalid_request", "api-version"},
		{"azureml unknown clientid", "", "/azureml/token?api-version=2017-09-01&clientid=nobody&" + res, map[string]string{"secret": secret}, "", 400, "invalid_request", "Identity not found"},

		{"arc missing Metadata", "", "/arc/token?api-version=2020-06-01&" + res, nil, "", 400, "invalid_request", "metadata header"},
		{"arc wrong api-version", "", "/arc/token?api-version=2018-02-01&" + res, meta, "", 400, "invalid_request", "api-version"},
		{"arc without key", "", "/arc/token?api-version=2020-06-01&" + res, meta, "", 401, "unauthorized_client", "WWW-Authenticate"},
		{"arc wrong key", "", "/arc/token?api-version=2020-06-01&" + res, map[string]string{"Metadata": "true", "Authorization": "Basic guessed"}, "", 401, "unauthorized_client", "WWW-Authenticate"},
		{"arc not Basic", "", "/arc/token?api-version=2020-06-01&" + res, map[string]string{"Metadata": "true", "Authorization": "Bearer x"}, "", 401, "unauthorized_client", "WWW-Authenticate"},
	}
	f.runRaw(t, f.http.URL, f.http.Client(), cases)

	sf := []rawCase{
		{"servicefabric missing Secret", "", "/servicefabric/token?api-version=2019-07-01-preview&" + res, nil, "", 401, "unauthorized", "Secret"},
		{"servicefabric wrong Secret", "", "/servicefabric/token?api-version=2019-07-01-preview&" + res, map[string]string{"Secret": "nope"}, "", 401, "unauthorized", "Secret"},
		{"servicefabric wrong api-version", "", "/servicefabric/token?api-version=2019-08-01&" + res, map[string]string{"Secret": secret}, "", 400, "invalid_request", "api-version"},
		{"servicefabric no resource", "", "/servicefabric/token?api-version=2019-07-01-preview", map[string]string{"Secret": secret}, "", 400, "invalid_request", "audience"},
	}
	f.runRaw(t, f.https.URL, f.https.Client(), sf)
}

func TestNoSystemIdentitySelection(t *testing.T) {
	meta := map[string]string{"Metadata": "true"}
	const q = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net"

	several := newFixture(t, t.TempDir(), app1, app2)
	several.runRaw(t, several.http.URL, several.http.Client(), []rawCase{
		{"several user-assigned, none chosen", "", q, meta, "", 400, "invalid_request", "Multiple user assigned identities"},
	})
	none := newFixture(t, t.TempDir(), []Identity{}...)
	none.runRaw(t, none.http.URL, none.http.Client(), []rawCase{
		{"no identities", "", q, meta, "", 400, "invalid_request", "Identity not found"},
	})

	// A single user-assigned identity is used when none is named.
	single := newFixture(t, t.TempDir(), app1)
	req, _ := http.NewRequest(http.MethodGet, single.http.URL+q, nil)
	req.Header.Set("Metadata", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, err %v", resp.StatusCode, err)
	}
	if body["client_id"] != app1.ClientID {
		t.Errorf("client_id = %s, want %s", body["client_id"], app1.ClientID)
	}
}

func TestTokenResponseShape(t *testing.T) {
	f := newFixture(t, t.TempDir())
	req, _ := http.NewRequest(http.MethodGet, f.http.URL+"/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net&client_id="+app1.ClientID, nil)
	req.Header.Set("X-IDENTITY-HEADER", f.endpoints.Secret())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"access_token", "expires_on", "expires_in", "resource", "token_type", "client_id"} {
		if _, ok := body[k].(string); !ok {
			t.Errorf("%s = %#v, want a string", k, body[k])
		}
	}
	if body["token_type"] != "Bearer" || body["resource"] != "https://vault.azure.net" || body["client_id"] != app1.ClientID {
		t.Errorf("body = %v", body)
	}
	if in := body["expires_in"]; in != "7200" && in != "7199" { // 7199 when a second boundary passes mid-request
		t.Errorf("expires_in = %v, want 7200", in)
	}
}

func TestArcChallengeKeyIsSingleUse(t *testing.T) {
	dir := t.TempDir()
	f := newFixture(t, dir)
	endpoint := f.http.URL + "/arc/token?api-version=2020-06-01&resource=https%3A%2F%2Fvault.azure.net"
	get := func(auth string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, endpoint, nil)
		req.Header.Set("Metadata", "true")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	first := get("")
	realm, ok := strings.CutPrefix(first.Header.Get("WWW-Authenticate"), "Basic realm=")
	if first.StatusCode != 401 || !ok || filepath.Dir(realm) != dir || filepath.Ext(realm) != ".key" {
		t.Fatalf("challenge = %d %q", first.StatusCode, first.Header.Get("WWW-Authenticate"))
	}
	info, err := os.Stat(realm)
	if err != nil || info.Mode().Perm() != 0o600 || info.Size() > 4096 {
		t.Fatalf("key file %v: %v", info, err)
	}
	key, _ := os.ReadFile(realm)
	if resp := get("Basic " + string(key)); resp.StatusCode != 200 {
		t.Fatalf("keyed retry = %d", resp.StatusCode)
	}
	if _, err := os.Stat(realm); !errors.Is(err, os.ErrNotExist) {
		t.Error("used key file still exists")
	}
	if resp := get("Basic " + string(key)); resp.StatusCode != 401 {
		t.Errorf("replayed key = %d, want 401", resp.StatusCode)
	}
	// Close removes the file of the challenge the replay just produced.
	if err := f.endpoints.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("Close left %d key files", len(left))
	}
}

func TestNewRejectsBadConfiguration(t *testing.T) {
	key, err := token.LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	iss := &token.Issuer{Key: key, Tenant: tenant, Clock: &clock.Adjustable{}}
	vm2 := vm
	vm2.Name, vm2.ClientID, vm2.ObjectID, vm2.ResourceID = "vm2", "c2", "o2", "/r2"
	dupClient := app2
	dupClient.ClientID = app1.ClientID
	for name, opts := range map[string]Options{
		"no issuer":        {Tenant: tenant},
		"no tenant":        {Issuer: iss},
		"two system":       {Issuer: iss, Tenant: tenant, Identities: []Identity{vm, vm2}},
		"bad kind":         {Issuer: iss, Tenant: tenant, Identities: []Identity{{Name: "x", Kind: "group", ClientID: "c", ObjectID: "o"}}},
		"missing ids":      {Issuer: iss, Tenant: tenant, Identities: []Identity{{Name: "x", Kind: kv.KindUser}}},
		"duplicate client": {Issuer: iss, Tenant: tenant, Identities: []Identity{app1, dupClient}},
		"duplicate name":   {Issuer: iss, Tenant: tenant, Identities: []Identity{app1, app1}},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	e, err := New(Options{Issuer: iss, Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Secret()) != 32 {
		t.Errorf("generated secret %d chars, want 32 hex", len(e.Secret()))
	}
	if _, err := e.FederatedToken("nobody"); err == nil {
		t.Error("FederatedToken for an unknown identity succeeded")
	}
}
