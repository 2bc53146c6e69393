package emulator_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/internal/testutil"
)

// Issue 4, part 1: every managed-identity flavour, driven only by the lines
// Server.FlavourEnv prints, gets a token from the unmodified azidentity
// credential and reads a seeded secret with the unmodified azsecrets
// client, over HTTPS against the whole emulator.
//
// These tests set process environment, so none of them runs in parallel.
//
// MSAL keeps managed-identity tokens in one process-wide cache keyed by
// identity selector and resource, not by endpoint, and every emulator
// started here signs with its own key. The config's tokenLifetime of 5m
// keeps that cache out of the way: MSAL never reuses a token with less than
// five minutes left, so every GetToken reaches the endpoint under test,
// which the log assertions prove (one "identity token issued" per case, by
// the right flavour, to the right identity).
//
// The server certificate names login.microsoftonline.com (tlsNames) so the
// workload-identity case can use the production authority host, which the
// test transport routes to the emulator.
const flavoursConfig = `
tokenLifetime: 5m
tlsNames: [login.microsoftonline.com]
identities:
  - {name: vm, kind: system}
  - {name: app-a, kind: user}
  - {name: app-b, kind: user}
vaults:
  - name: flavours
    secrets:
      - {name: greeting, value: hello-from-the-flavour-tests}
`

const greetingValue = "hello-from-the-flavour-tests"

// flavourRun is one flavour's emulator and the environment it printed,
// already applied to the process.
type flavourRun struct {
	e    *emulatortest.Emulator
	logs *logRecords
	env  []identity.EnvVar
}

func startFlavour(t *testing.T, f identity.Flavour) *flavourRun {
	t.Helper()
	logs := &logRecords{}
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavoursConfig, Logger: logs.logger()})
	env, err := e.Server.Env(f)
	if err != nil {
		t.Fatal(err)
	}
	clearManagedIdentityEnv(t)
	for _, kv := range env {
		t.Setenv(kv.Key, kv.Value)
	}
	run := &flavourRun{e: e, logs: logs, env: env}
	t.Cleanup(func() { run.checkLogsCarryNoSecrets(t) })
	return run
}

func (r *flavourRun) value(t *testing.T, key string) string {
	t.Helper()
	v := envValue(r.env, key)
	if v == "" {
		t.Fatalf("FlavourEnv printed no %s line: %v", key, r.env)
	}
	return v
}

// caClient trusts the CA named by the printed SSL_CERT_FILE line.
func (r *flavourRun) caClient(t *testing.T) *http.Client {
	return trustingClient(t, r.value(t, "SSL_CERT_FILE"))
}

// readGreeting reads the seeded secret through azsecrets with cred.
// verify keeps challenge-resource verification on, which only a
// *.vault.azure.net URL passes.
func readGreeting(t *testing.T, vaultURL string, cred azcore.TokenCredential, client *http.Client, verify bool) {
	t.Helper()
	c, err := azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: client},
		DisableChallengeResourceVerification: !verify,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := c.GetSecret(ctx, "greeting", "", nil)
	if err != nil {
		t.Fatalf("GetSecret: %v", err)
	}
	if resp.Value == nil || *resp.Value != greetingValue {
		t.Fatalf("GetSecret returned a different value")
	}
}

// expectIssued asserts that exactly one token was issued since the first
// `before` records, by flavour ("" for the Entra authority) to identity.
func (r *flavourRun) expectIssued(t *testing.T, before int, flavour, identityName string) int {
	t.Helper()
	msg := "identity token issued"
	if flavour == "" {
		msg = "entra token issued"
	}
	recs := r.logs.records(t, msg)
	fresh := recs[before:]
	if len(fresh) != 1 {
		t.Fatalf("%d %q records for this case, want 1 (a cached token would make 0)", len(fresh), msg)
	}
	if flavour != "" && fresh[0]["flavour"] != flavour {
		t.Errorf("token issued by flavour %v, want %s", fresh[0]["flavour"], flavour)
	}
	if fresh[0]["identity"] != identityName {
		t.Errorf("token issued to %v, want %s", fresh[0]["identity"], identityName)
	}
	if fresh[0]["resource"] != "https://vault.azure.net" {
		t.Errorf("token issued for %v, want https://vault.azure.net", fresh[0]["resource"])
	}
	return len(recs)
}

// jwtPayload matches a token's header and payload segments. A header alone
// is no secret, and Key Vault's AKV10046 reason quotes it: under -count a
// token another test's emulator signed, still in MSAL's process-wide cache,
// is refused that way once before a fresh one is fetched.
var jwtPayload = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{2,}`)

func (r *flavourRun) checkLogsCarryNoSecrets(t *testing.T) {
	out := r.logs.text()
	for what, leak := range map[string]string{
		"the secret value":    greetingValue,
		"the identity header": r.e.Server.IdentityHeader(),
	} {
		if strings.Contains(out, leak) {
			t.Errorf("emulator logs contain %s", what)
		}
	}
	if jwtPayload.MatchString(out) {
		t.Error("emulator logs contain a token")
	}
}

// miCase is one managed-identity credential configuration.
type miCase struct {
	label string
	id    func(*emulatortest.Emulator) azidentity.ManagedIDKind // nil: system-assigned
	want  string                                                // identity the token must name
}

var (
	systemAssigned = miCase{"system-assigned", nil, "vm"}
	byClientID     = miCase{"client id", func(e *emulatortest.Emulator) azidentity.ManagedIDKind {
		return azidentity.ClientID(e.Config.Identities[1].ClientID)
	}, "app-a"}
	byObjectID = miCase{"object id", func(e *emulatortest.Emulator) azidentity.ManagedIDKind {
		return azidentity.ObjectID(e.Config.Identities[2].ObjectID)
	}, "app-b"}
	byResourceID = miCase{"resource id", func(e *emulatortest.Emulator) azidentity.ManagedIDKind {
		return azidentity.ResourceID(e.Config.Identities[1].ResourceID)
	}, "app-a"}
)

// runManagedIdentity runs each case with a fresh ManagedIdentityCredential
// and azsecrets client, checking who the endpoint issued the token to.
func (r *flavourRun) runManagedIdentity(t *testing.T, flavour, vaultURL string, client *http.Client, verify bool, cases ...miCase) {
	t.Helper()
	before := len(r.logs.records(t, "identity token issued"))
	for _, tc := range cases {
		var id azidentity.ManagedIDKind
		if tc.id != nil {
			id = tc.id(r.e)
		}
		cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
			ID: id, ClientOptions: azcore.ClientOptions{Transport: client}})
		if err != nil {
			t.Fatalf("%s: %v", tc.label, err)
		}
		readGreeting(t, vaultURL, cred, client, verify)
		before = r.expectIssued(t, before, flavour, tc.want)
	}
}

// refusesSelection asserts that the SDK itself refuses a user-assigned
// selection the flavour cannot honour, naming the flavour.
func refusesSelection(t *testing.T, e *emulatortest.Emulator, c miCase, wantErr string) {
	t.Helper()
	_, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{ID: c.id(e)})
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Errorf("%s selection: err = %v, want one containing %q", c.label, err, wantErr)
	}
}

func TestFlavourIMDS(t *testing.T) {
	r := startFlavour(t, identity.IMDS)
	// Go cannot move IMDS: the test transport routes 169.254.169.254 to the
	// identity listener and the vault's real-looking name to the vault, so
	// challenge-resource verification stays on.
	r.runManagedIdentity(t, "imds", r.e.VaultURLFor("flavours"), r.e.Client(), true,
		systemAssigned, byClientID, byObjectID, byResourceID)

	// The JS line: @azure/identity calls {host}/metadata/identity/oauth2/token/
	// (lowercased, with a trailing slash) and reads expires_on.
	host := strings.ToLower(r.value(t, "AZURE_POD_IDENTITY_AUTHORITY_HOST"))
	req, _ := http.NewRequest(http.MethodGet, host+"/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net", nil)
	req.Header.Set("Metadata", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresOn   string `json:"expires_on"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" || tok.ExpiresOn == "" {
		t.Errorf("JS-style IMDS request: %d %s", resp.StatusCode, body)
	}
}

func TestFlavourAppService(t *testing.T) {
	r := startFlavour(t, identity.AppService)
	r.runManagedIdentity(t, "appservice", r.value(t, "AZURE_KEYVAULT_URL"), r.caClient(t), false,
		systemAssigned, byClientID, byObjectID, byResourceID)
}

func TestFlavourCloudShell(t *testing.T) {
	r := startFlavour(t, identity.CloudShell)
	r.runManagedIdentity(t, "cloudshell", r.value(t, "AZURE_KEYVAULT_URL"), r.caClient(t), false, systemAssigned)
	refusesSelection(t, r.e, byClientID, "Cloud Shell doesn't support user-assigned managed identities")
}

func TestFlavourAzureML(t *testing.T) {
	r := startFlavour(t, identity.AzureML)
	r.runManagedIdentity(t, "azureml", r.value(t, "AZURE_KEYVAULT_URL"), r.caClient(t), false, systemAssigned, byClientID)
	refusesSelection(t, r.e, byObjectID, "Azure ML supports specifying a user-assigned managed identity by client ID only")
}

func TestFlavourServiceFabric(t *testing.T) {
	r := startFlavour(t, identity.ServiceFabric)
	if got, want := r.value(t, "IDENTITY_SERVER_THUMBPRINT"), r.e.Server.Authority().Thumbprint(); got != want {
		t.Fatalf("thumbprint line %s, server certificate %s", got, want)
	}
	// MSAL pins the certificate by thumbprint on its own clone of this
	// transport; the vault call trusts the printed CA file.
	r.runManagedIdentity(t, "servicefabric", r.value(t, "AZURE_KEYVAULT_URL"), r.caClient(t), false, systemAssigned)
	refusesSelection(t, r.e, byClientID, "Service Fabric API doesn't support specifying a user-assigned identity")
}

func TestFlavourArc(t *testing.T) {
	// Register before the emulator starts, so it runs after its shutdown.
	prepareArcKeyDir(t)
	r := startFlavour(t, identity.Arc)
	r.runManagedIdentity(t, "arc", r.value(t, "AZURE_KEYVAULT_URL"), r.caClient(t), false,
		systemAssigned, byClientID, byObjectID, byResourceID)
}

// prepareArcKeyDir makes the directory MSAL requires Arc challenge files to
// be in, for this test only: the identity package's Arc test uses it too,
// so testutil.HostDir serializes the two across processes. Without root it
// skips, or fails under CI.
func prepareArcKeyDir(t *testing.T) {
	t.Helper()
	testutil.HostDir(t, identity.DefaultArcKeyDir)
}

func TestFlavourDefaultAzureCredentialFromEnvOnly(t *testing.T) {
	r := startFlavour(t, identity.AppService)
	vaultURL, client := r.value(t, "AZURE_KEYVAULT_URL"), r.caClient(t)
	before := len(r.logs.records(t, "identity token issued"))
	for _, tc := range []struct {
		clientID string
		want     string
	}{
		{"", "vm"},
		// AZURE_CLIENT_ID alone selects a user-assigned identity for the
		// managed-identity link of the chain.
		{r.e.Identity(t, "app-b").ClientID, "app-b"},
	} {
		if tc.clientID != "" {
			t.Setenv("AZURE_CLIENT_ID", tc.clientID)
		}
		// The only transport setting stands in for SSL_CERT_FILE.
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: azcore.ClientOptions{Transport: client}})
		if err != nil {
			t.Fatal(err)
		}
		readGreeting(t, vaultURL, cred, client, false)
		before = r.expectIssued(t, before, "appservice", tc.want)
	}
}

func TestFlavourWorkloadIdentity(t *testing.T) {
	r := startFlavour(t, identity.Workload)
	if _, err := r.e.Server.WriteWorkloadTokenFile(); err != nil {
		t.Fatal(err)
	}
	want := r.e.Server.Endpoints().WorkloadIdentity().Name
	client := r.caClient(t)
	before := 0

	t.Run("from the printed env", func(t *testing.T) {
		// AZURE_AUTHORITY_HOST, AZURE_TENANT_ID, AZURE_CLIENT_ID and
		// AZURE_FEDERATED_TOKEN_FILE all come from the environment.
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			DisableInstanceDiscovery: true, ClientOptions: azcore.ClientOptions{Transport: client}})
		if err != nil {
			t.Fatal(err)
		}
		readGreeting(t, r.value(t, "AZURE_KEYVAULT_URL"), cred, client, false)
		before = r.expectIssued(t, before, "", want)
	})

	t.Run("DefaultAzureCredential from the printed env", func(t *testing.T) {
		cred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			DisableInstanceDiscovery: true, ClientOptions: azcore.ClientOptions{Transport: client}})
		if err != nil {
			t.Fatal(err)
		}
		readGreeting(t, r.value(t, "AZURE_KEYVAULT_URL"), cred, client, false)
		before = r.expectIssued(t, before, "", want)
	})

	t.Run("production authority and vault names", func(t *testing.T) {
		// login.microsoftonline.com and flavours.vault.azure.net, routed by
		// the test transport: the code is what runs in AKS.
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientID:                 r.value(t, "AZURE_CLIENT_ID"),
			TenantID:                 r.value(t, "AZURE_TENANT_ID"),
			TokenFilePath:            r.value(t, "AZURE_FEDERATED_TOKEN_FILE"),
			DisableInstanceDiscovery: true,
			ClientOptions: azcore.ClientOptions{
				Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: "https://login.microsoftonline.com/"},
				Transport: r.e.Client(),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		readGreeting(t, r.e.VaultURLFor("flavours"), cred, r.e.Client(), true)
		before = r.expectIssued(t, before, "", want)
	})
}
