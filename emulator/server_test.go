package emulator_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/identity"
)

const seededConfig = `
vaults:
  - name: myvault
    retentionDays: 7
    secrets:
      - {name: db-password, value: seeded-value, contentType: text/plain, tags: {env: dev}}
`

// secretsClient is the production path: IMDS managed identity and the
// vault's real-looking URL, challenge verification on.
func secretsClient(t *testing.T, e *emulatortest.Emulator, vaultName string) *azsecrets.Client {
	t.Helper()
	return secretsClientRetrying(t, e, vaultName, policy.RetryOptions{})
}

// secretsClientRetrying is secretsClient with the SDK's retries set to
// retry (the zero value: the SDK's defaults).
func secretsClientRetrying(t *testing.T, e *emulatortest.Emulator, vaultName string, retry policy.RetryOptions) *azsecrets.Client {
	t.Helper()
	opts := azcore.ClientOptions{Transport: e.Client(), Retry: retry}
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient(e.VaultURLFor(vaultName), cred, &azsecrets.ClientOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func statusOf(err error) (int, string) {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode, re.ErrorCode
	}
	return 0, ""
}

func admin(t *testing.T, e *emulatortest.Emulator, method, path string) (int, []byte) {
	t.Helper()
	return adminWithBody(t, e, method, path, "")
}

// adminWithBody sends an admin request with a JSON body ("" for none).
func adminWithBody(t *testing.T, e *emulatortest.Emulator, method, path, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, e.IdentityURL+path, strings.NewReader(body))
	req.Header.Set(emulator.AdminHeader, "1")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func TestSeededSecretReadThroughManagedIdentity(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: seededConfig})
	c := secretsClient(t, e, "myvault")
	resp, err := c.GetSecret(context.Background(), "DB-PASSWORD", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if *resp.Value != "seeded-value" || *resp.ContentType != "text/plain" || *resp.Tags["env"] != "dev" {
		t.Errorf("seeded secret = %q %q %v", *resp.Value, *resp.ContentType, resp.Tags)
	}
	if !strings.HasPrefix(string(*resp.ID), "https://myvault.vault.azure.net/secrets/db-password/") {
		t.Errorf("id %s does not use the host the client called", *resp.ID)
	}
}

func TestAdvanceRunsScheduledPurge(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: seededConfig})
	c := secretsClient(t, e, "myvault")
	ctx := context.Background()
	if _, err := c.DeleteSecret(ctx, "db-password", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{Value: ptr("x")}, nil); err == nil {
		t.Fatal("set on a soft-deleted name succeeded")
	} else if status, code := statusOf(err); status != 409 || code != "Conflict" {
		t.Fatalf("set on deleted name: %d %s, want 409 Conflict", status, code)
	}

	status, body := admin(t, e, "POST", "/_emulator/clock/advance?by=169h") // past 7 days
	if status != 200 {
		t.Fatalf("advance: %d %s", status, body)
	}
	var clk struct{ OffsetSeconds int64 }
	if json.Unmarshal(body, &clk) != nil || clk.OffsetSeconds != 169*3600 {
		t.Errorf("advance answered %s", body)
	}
	// The token the client holds has expired on the emulator clock too, so
	// this also proves the credential fetches a fresh one.
	_, err := c.GetDeletedSecret(ctx, "db-password", nil)
	if status, code := statusOf(err); status != 404 || code != "SecretNotFound" {
		t.Fatalf("deleted secret after its purge date: %d %s (%v), want 404 SecretNotFound", status, code, err)
	}
	if _, err := c.SetSecret(ctx, "db-password", azsecrets.SetSecretParameters{Value: ptr("fresh")}, nil); err != nil {
		t.Fatalf("the purged name is not free: %v", err)
	}
}

func TestAdminRoutes(t *testing.T) {
	t.Parallel()
	frozen := time.Now()
	e := emulatortest.Start(t, &emulatortest.Options{FrozenAt: frozen})
	for _, tc := range []struct {
		method, path string
		want         int
		// wantError starts the {"error": ...} message of a refusal.
		wantError string
	}{
		{"GET", "/_emulator/health", 200, ""},
		{"GET", "/_emulator/clock", 200, ""},
		{"GET", "/_emulator/env", 200, ""},
		{"POST", "/_emulator/clock/advance?by=-1h", 400, "by must be a positive Go duration"},
		{"POST", "/_emulator/clock/advance?by=soon", 400, "by must be a positive Go duration"},
		{"POST", "/_emulator/clock/advance", 400, `body must be {"by":"<duration>"} or use ?by=<duration>`},
		{"POST", "/_emulator/federated-token?identity=nobody", 400, `identity: no identity named "nobody"`},
		{"POST", "/_emulator/federated-token?identity=system", 200, ""},
		{"GET", "/_emulator/nothing-here", 404, "no admin route GET /_emulator/nothing-here"},
	} {
		status, body := admin(t, e, tc.method, tc.path)
		if status != tc.want {
			t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, status, body, tc.want)
		}
		if status < 400 {
			continue
		}
		var refusal struct{ Error string }
		if json.Unmarshal(body, &refusal) != nil || !strings.HasPrefix(refusal.Error, tc.wantError) {
			t.Errorf("%s %s: body %s, want an error starting %q", tc.method, tc.path, body, tc.wantError)
		}
	}
	if !e.Now().Equal(frozen) {
		t.Errorf("rejected advances moved the clock by %v", e.Now().Sub(frozen))
	}

	// The admin routes are not part of the vault API.
	resp, err := e.Client().Get(e.VaultURL + "_emulator/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Error("the vault listener serves /_emulator/health")
	}
}

func TestResetDropsStateAndReseeds(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: seededConfig})
	c := secretsClient(t, e, "myvault")
	ctx := context.Background()
	for _, name := range []string{"db-password", "extra"} {
		if _, err := c.SetSecret(ctx, name, azsecrets.SetSecretParameters{Value: ptr("changed")}, nil); err != nil {
			t.Fatal(err)
		}
	}

	if status, body := admin(t, e, "POST", "/_emulator/reset"); status != 204 {
		t.Fatalf("reset: %d %s", status, body)
	}
	got, err := c.GetSecret(ctx, "db-password", "", nil)
	if err != nil || *got.Value != "seeded-value" {
		t.Errorf("after reset db-password = %v, %v; want the seeded value", got.Value, err)
	}
	if _, err := c.GetSecret(ctx, "extra", "", nil); err == nil {
		t.Error("a secret created before reset survived it")
	} else if status, code := statusOf(err); status != 404 || code != "SecretNotFound" {
		t.Errorf("secret created before reset: %d %s, want 404 SecretNotFound", status, code)
	}
}

func TestRestartNeverOverwritesStoredStateWithSeeds(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse("test", []byte(seededConfig))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "state.db")
	start := func() *emulator.Server {
		s, err := emulator.Start(context.Background(), emulator.Options{
			Config: cfg, DataFile: data, TLSDir: filepath.Join(dir, "tls"),
			VaultAddr: "127.0.0.1:0", IdentityAddr: "127.0.0.1:0",
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := start()
	tok := appServiceToken(t, s)
	call(t, s, tok, "PUT", "secrets/db-password", `{"value":"mine"}`, 200)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = start()
	defer s.Close()
	var b struct{ Value string }
	body := call(t, s, appServiceToken(t, s), "GET", "secrets/db-password", "", 200)
	if json.Unmarshal(body, &b) != nil || b.Value != "mine" {
		t.Errorf("after restart db-password = %s, want the stored value, not the seed", body)
	}
}

func TestClientEnvNamesTheListeners(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, nil)
	env := map[string]string{}
	lines, err := e.Server.Env(identity.AppService)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range lines {
		env[kv.Key] = kv.Value
	}
	want := map[string]string{
		"AZURE_KEYVAULT_URL":                e.VaultURL,
		"AZURE_TENANT_ID":                   e.Config.Tenant,
		"IDENTITY_ENDPOINT":                 e.IdentityURL + "/msi/token",
		"IDENTITY_HEADER":                   e.Server.IdentityHeader(),
		"AZURE_POD_IDENTITY_AUTHORITY_HOST": e.IdentityURL,
		"SSL_CERT_FILE":                     e.Server.Authority().CAPath,
		"NODE_EXTRA_CA_CERTS":               e.Server.Authority().CAPath,
	}
	for k, v := range want {
		if env[k] != v || v == "" {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	if len(env) != len(want) {
		t.Errorf("ClientEnv has %d variables, want %d", len(env), len(want))
	}
}

// appServiceToken fetches a vault token from the App Service endpoint, as an app
// configured with the printed environment would.
func appServiceToken(t *testing.T, s *emulator.Server) string {
	t.Helper()
	req, _ := http.NewRequest("GET", s.IdentityURL()+"/msi/token?api-version=2019-08-01&resource=https://vault.azure.net", nil)
	req.Header.Set("X-IDENTITY-HEADER", s.IdentityHeader())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&body) != nil {
		t.Fatalf("token: status %d", resp.StatusCode)
	}
	return body.AccessToken
}

func call(t *testing.T, s *emulator.Server, tok, method, path, body string, want int) []byte {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.Authority().CertPool()}}, Timeout: 10 * time.Second}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, s.VaultURL()+path+"?api-version=2026-04-01", rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	return data
}

func ptr[T any](v T) *T { return &v }

// The advertised host is in every URL the server prints, so the server
// certificate must carry it: a client given VaultURL must verify TLS
// against the CA without any tlsNames in the config.
func TestAdvertisedHostIsInTheCertificate(t *testing.T) {
	t.Parallel()
	srv, err := emulator.Start(context.Background(), emulator.Options{
		VaultAddr: "127.0.0.1:0", IdentityAddr: "127.0.0.1:0",
		TLSDir: t.TempDir(), AdvertiseHost: "kv-emulator",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	if want := "https://kv-emulator:"; !strings.HasPrefix(srv.VaultURL(), want) {
		t.Fatalf("VaultURL = %s, want prefix %s", srv.VaultURL(), want)
	}
	leaf := srv.Authority().ServerCertificate().Leaf
	if err := leaf.VerifyHostname("kv-emulator"); err != nil {
		t.Errorf("server certificate does not name the advertised host: %v", err)
	}
	// An advertised host that is no host name is refused at start.
	_, err = emulator.Start(context.Background(), emulator.Options{
		VaultAddr: "127.0.0.1:0", IdentityAddr: "127.0.0.1:0",
		TLSDir: t.TempDir(), AdvertiseHost: "not a host",
	})
	if err == nil || !strings.Contains(err.Error(), `"not a host"`) {
		t.Errorf("Start with advertised host \"not a host\": err = %v, want one naming it", err)
	}
}

func TestConfiguredThrottleReachesTheVault(t *testing.T) {
	t.Parallel()
	// A clock that stands still keeps the three reads in one 10 s window.
	e := emulatortest.Start(t, &emulatortest.Options{FrozenAt: time.Now(), ConfigYAML: `
vaults:
  - name: myvault
    throttle: {other: 2}
`})
	// The SDK would wait out Retry-After and retry; this test wants the 429.
	opts := azcore.ClientOptions{Transport: e.Client(), Retry: policy.RetryOptions{MaxRetries: -1}}
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	c, err := azsecrets.NewClient(e.VaultURLFor("myvault"), cred, &azsecrets.ClientOptions{ClientOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 3 && err == nil; i++ {
		_, err = c.GetSecret(ctx, "absent", "", nil)
		if status, _ := statusOf(err); status == 404 {
			err = nil
		}
	}
	if status, code := statusOf(err); status != 429 || code != "Throttled" {
		t.Fatalf("third read in one window: %d %s (%v), want 429 Throttled", status, code, err)
	}
}
