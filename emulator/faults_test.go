package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/internal/testutil"
)

// fastRetryClient is secretsClient with the SDK's retry delays shortened,
// so retries through injected faults take milliseconds.
func fastRetryClient(t *testing.T, e *emulatortest.Emulator, vaultName string) *azsecrets.Client {
	t.Helper()
	return secretsClientRetrying(t, e, vaultName, policy.RetryOptions{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: 5 * time.Millisecond})
}

// postFaults puts rules in force through the admin route.
func postFaults(t *testing.T, e *emulatortest.Emulator, body string) (int, string) {
	t.Helper()
	status, out := adminWithBody(t, e, http.MethodPost, "/_emulator/faults", body)
	return status, string(out)
}

// The Go SDK retries through injected 503s: a rule from the config file
// fails the first two gets, the third attempt succeeds, and the
// emulator's request log shows the three attempts.
var logStatus = regexp.MustCompile(` status=(\d+)`)

func TestSDKRetriesThroughInjected503(t *testing.T) {
	t.Parallel()
	var logs testutil.Buffer
	e := emulatortest.Start(t, &emulatortest.Options{
		ConfigYAML: seededConfig + `
faults:
  - {operation: get, vault: myvault, status: 503, count: 2}
`,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	c := fastRetryClient(t, e, "myvault")
	got, err := c.GetSecret(t.Context(), "db-password", "", nil)
	if err != nil {
		t.Fatalf("get through two injected 503s: %v", err)
	}
	if *got.Value != "seeded-value" {
		t.Errorf("value %q", *got.Value)
	}
	// Authenticated get attempts by status; the 401s of the challenge
	// handshake come before the first token and are not attempts.
	attempts := map[string]int{}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `msg="vault request"`) && strings.Contains(line, "op=get ") {
			if m := logStatus.FindStringSubmatch(line); m != nil && m[1] != "401" {
				attempts[m[1]]++
			}
		}
	}
	if attempts["503"] != 2 || attempts["200"] != 1 || len(attempts) != 2 {
		t.Errorf("get attempts by status: %v; want two 503 and one 200", attempts)
	}
	// The rule is spent: a further get is not failed.
	if _, err := c.GetSecret(t.Context(), "db-password", "", nil); err != nil {
		t.Errorf("get after the rule's count: %v", err)
	}
}

// The answer of an injected fault is Key Vault's error shape with
// Retry-After; an SDK that has used up its retries reports it.
func TestInjected503ShapeAndExhaustedRetries(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: seededConfig})
	if status, body := postFaults(t, e, `{"faults":[{"operation":"get","status":503,"retryAfter":7}]}`); status != 200 {
		t.Fatalf("POST faults: %d %s", status, body)
	}
	c := fastRetryClient(t, e, "myvault")
	_, err := c.GetSecret(t.Context(), "db-password", "", nil)
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 503 || re.ErrorCode != "ServiceUnavailable" {
		t.Fatalf("get under a permanent 503: %v", err)
	}
	if got := re.RawResponse.Header.Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After = %q, want 7", got)
	}
	// Other operations are untouched.
	if _, err := c.SetSecret(t.Context(), "other", azsecrets.SetSecretParameters{Value: ptr("v")}, nil); err != nil {
		t.Errorf("set while gets fail: %v", err)
	}
	if status, body := admin(t, e, http.MethodDelete, "/_emulator/faults"); status != 204 {
		t.Fatalf("DELETE faults: %d %s, want 204", status, body)
	}
	if _, err := c.GetSecret(t.Context(), "db-password", "", nil); err != nil {
		t.Errorf("get after the faults were removed: %v", err)
	}
}

// An injected delay longer than the caller's deadline makes the SDK call
// time out, promptly.
func TestSDKTimesOutOnInjectedDelay(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: seededConfig})
	c := fastRetryClient(t, e, "myvault")
	// A token first, so the deadline covers only the delayed get.
	if _, err := c.GetSecret(t.Context(), "db-password", "", nil); err != nil {
		t.Fatal(err)
	}
	if status, body := postFaults(t, e, `{"faults":[{"operation":"get","delay":"1m"}]}`); status != 200 {
		t.Fatalf("POST faults: %d %s", status, body)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetSecret(ctx, "db-password", "", nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("get under a 1m delay with a 300ms deadline: %v", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the call returned after %v", d)
	}
}

// Identity requests can be failed too, by identity: a dropped connection
// is an error the credential reports, and other identities are served.
// (The identity is the test's own: the SDK caches managed-identity tokens
// process-wide, so another test's token for a shared identity would
// answer without a request.)
func TestInjectedIdentityFaults(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: `
identities:
  - {name: system, kind: system}
  - {name: dropped-in-fault-test, kind: user}
`})
	if status, body := postFaults(t, e, `{"faults":[{"identity":"dropped-in-fault-test","drop":true}]}`); status != 200 {
		t.Fatalf("POST faults: %d %s", status, body)
	}
	id := e.Identity(t, "dropped-in-fault-test")
	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ID:            azidentity.ClientID(id.ClientID),
		ClientOptions: azcore.ClientOptions{Transport: e.Client(), Retry: policy.RetryOptions{MaxRetries: -1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}); err == nil {
		t.Error("a token came through a dropped connection")
	}
	imds := func(query string) (int, error) {
		req, _ := http.NewRequest(http.MethodGet, e.IdentityURL+"/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net"+query, nil)
		req.Header.Set("Metadata", "true")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if _, err := imds("&mi_res_id=" + id.ResourceID); err == nil {
		t.Error("a request naming the identity by resource id was answered")
	}
	if status, err := imds(""); err != nil || status != 200 {
		t.Errorf("the system identity: %d %v, want 200", status, err)
	}
}

// A rule for the system identity fails the managed-identity requests that
// name no identity, and only those: a service principal's requests to the
// Entra authority name no identity in their query either, yet they are
// not the system identity's (regression: they were failed too).
func TestSystemIdentityFaultSparesServicePrincipals(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: `
tlsNames: [login.microsoftonline.com]
identities:
  - {name: vm, kind: system}
  - {name: ci, kind: servicePrincipal, clientSecret: fault-test-sp-secret}
`})
	if status, body := postFaults(t, e, `{"faults":[{"identity":"vm","status":503}]}`); status != 200 {
		t.Fatalf("POST faults: %d %s", status, body)
	}
	cred := secretCredential(t, e, e.Identity(t, "ci").ClientID, "fault-test-sp-secret")
	if _, err := cred.GetToken(t.Context(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}); err != nil {
		t.Errorf("service principal token under a fault for the system identity: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, e.IdentityURL+"/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net", nil)
	req.Header.Set("Metadata", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Error string }
	if json.NewDecoder(resp.Body).Decode(&body) != nil || resp.StatusCode != http.StatusServiceUnavailable || body.Error != "temporarily_unavailable" {
		t.Errorf("system identity from IMDS: %d %q, want 503 temporarily_unavailable", resp.StatusCode, body.Error)
	}
}

// Bad rules are refused with a message naming the problem; the rules in
// force stay.
func TestFaultRulesValidated(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, nil)
	if status, _ := postFaults(t, e, `{"faults":[{"operation":"get","status":503,"count":1}]}`); status != 200 {
		t.Fatal("valid rule refused")
	}
	for body, want := range map[string]string{
		`{"faults":[{"operation":"fetch","status":503}]}`: `operation "fetch" is not a vault operation`,
		`{"faults":[{"status":404}]}`:                     "status must be 429, 500 or 503, got 404",
		`{"faults":[{"vault":"x"}]}`:                      "a fault needs status, delay or drop",
		`{"faults":[{"delay":"soon"}]}`:                   `delay must be a Go duration such as 2s, got "soon"`,
		`{"faults":[{"status":503,"drop":true}]}`:         "drop and status are exclusive",
		`{"faults":[{"status":503,"colour":"red"}]}`:      `unknown field "colour"`,
	} {
		status, out := postFaults(t, e, body)
		var msg struct{ Error string }
		json.Unmarshal([]byte(out), &msg)
		if status != 400 || !strings.Contains(msg.Error, want) {
			t.Errorf("%s: %d %s, want 400 naming %q", body, status, out, want)
		}
	}
	status, got := admin(t, e, http.MethodGet, "/_emulator/faults")
	var body struct{ Faults []map[string]any }
	if status != 200 || json.Unmarshal(got, &body) != nil || len(body.Faults) != 1 || body.Faults[0]["operation"] != "get" {
		t.Errorf("rules in force after refusals: %d %s", status, got)
	}
}
