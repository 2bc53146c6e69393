package emulator_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/emulator/token"
	"github.com/secretkit/secretkit/mi"
)

func TestParseFlavourAcceptsEveryFlavourAndCommonSpellings(t *testing.T) {
	t.Parallel()
	for _, f := range identity.Flavours {
		got, err := identity.ParseFlavour(string(f))
		if err != nil || got != f {
			t.Errorf("ParseFlavour(%q) = %q, %v", f, got, err)
		}
	}
	for in, want := range map[string]identity.Flavour{
		"App Service":    identity.AppService,
		"app-service":    identity.AppService,
		" IMDS ":         identity.IMDS,
		"Cloud_Shell":    identity.CloudShell,
		"AzureML":        identity.AzureML,
		"azure-ml":       identity.AzureML,
		"ARC":            identity.Arc,
		"service-fabric": identity.ServiceFabric,
		"Workload":       identity.Workload,
	} {
		if got, err := identity.ParseFlavour(in); err != nil || got != want {
			t.Errorf("ParseFlavour(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseFlavourRefusesUnknownNames(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "vm", "appservices", "workload-identity"} {
		_, err := identity.ParseFlavour(in)
		const want = "want one of appservice, imds, cloudshell, azureml, arc, servicefabric, workload, appservice2017, serviceprincipal"
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseFlavour(%q) error = %v, want it to name the input and list the flavours", in, err)
		}
	}
}

const flavourEnvConfig = `
tenant: 0e0e0e0e-1111-4222-8333-444444444444
identityHeader: flavour-header-secret
identities:
  - {name: vm, kind: system}
  - {name: batch, kind: user}
  - {name: ci, kind: servicePrincipal, clientSecret: flavour-sp-secret}
`

func TestFlavourEnvLinesPerFlavour(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	s := e.Server
	ca := s.Authority().CAPath
	tenant := "0e0e0e0e-1111-4222-8333-444444444444"
	head := identity.Env{{Key: "AZURE_KEYVAULT_URL", Value: e.VaultURL}, {Key: "AZURE_TENANT_ID", Value: tenant}}
	tail := identity.Env{{Key: "SSL_CERT_FILE", Value: ca}, {Key: "NODE_EXTRA_CA_CERTS", Value: ca}}
	lines := func(mid ...identity.EnvVar) identity.Env {
		return append(append(append(identity.Env{}, head...), mid...), tail...)
	}
	vaultBase := strings.TrimSuffix(e.VaultURL, "/")
	batch := e.Identity(t, "batch")
	tokenFile := strings.TrimSuffix(ca, "ca.pem") + emulator.WorkloadTokenFileName

	cases := map[identity.Flavour]identity.Env{
		identity.AppService: lines(
			identity.EnvVar{Key: "IDENTITY_ENDPOINT", Value: e.IdentityURL + "/msi/token"},
			identity.EnvVar{Key: "IDENTITY_HEADER", Value: "flavour-header-secret"},
			identity.EnvVar{Key: "AZURE_POD_IDENTITY_AUTHORITY_HOST", Value: e.IdentityURL}),
		identity.IMDS:       lines(identity.EnvVar{Key: "AZURE_POD_IDENTITY_AUTHORITY_HOST", Value: e.IdentityURL}),
		identity.CloudShell: lines(identity.EnvVar{Key: "MSI_ENDPOINT", Value: e.IdentityURL + "/cloudshell/token"}),
		identity.AzureML: lines(
			identity.EnvVar{Key: "MSI_ENDPOINT", Value: e.IdentityURL + "/azureml/token"},
			identity.EnvVar{Key: "MSI_SECRET", Value: "flavour-header-secret"}),
		identity.Arc: lines(
			identity.EnvVar{Key: "IDENTITY_ENDPOINT", Value: e.IdentityURL + "/arc/token"},
			identity.EnvVar{Key: "IMDS_ENDPOINT", Value: e.IdentityURL}),
		identity.ServiceFabric: lines(
			identity.EnvVar{Key: "IDENTITY_ENDPOINT", Value: vaultBase + "/servicefabric/token"},
			identity.EnvVar{Key: "IDENTITY_HEADER", Value: "flavour-header-secret"},
			identity.EnvVar{Key: "IDENTITY_SERVER_THUMBPRINT", Value: s.Authority().Thumbprint()}),
		identity.Workload: lines(
			identity.EnvVar{Key: "AZURE_AUTHORITY_HOST", Value: e.VaultURL},
			identity.EnvVar{Key: "AZURE_CLIENT_ID", Value: batch.ClientID},
			identity.EnvVar{Key: "AZURE_FEDERATED_TOKEN_FILE", Value: tokenFile}),
		identity.LegacyAppService: lines(
			identity.EnvVar{Key: "MSI_ENDPOINT", Value: e.IdentityURL + "/msi/token"},
			identity.EnvVar{Key: "MSI_SECRET", Value: "flavour-header-secret"}),
		identity.ServicePrincipal: lines(
			identity.EnvVar{Key: "AZURE_AUTHORITY_HOST", Value: e.VaultURL},
			identity.EnvVar{Key: "AZURE_CLIENT_ID", Value: e.Identity(t, "ci").ClientID},
			identity.EnvVar{Key: "AZURE_CLIENT_SECRET", Value: "flavour-sp-secret"}),
	}
	if len(cases) != len(identity.Flavours) {
		t.Fatalf("table covers %d flavours, Flavours has %d", len(cases), len(identity.Flavours))
	}
	for _, f := range identity.Flavours {
		got, err := s.Env(f)
		if err != nil {
			t.Errorf("Env(%s): %v", f, err)
			continue
		}
		if !reflect.DeepEqual(got, cases[f]) {
			t.Errorf("Env(%s) =\n%v\nwant\n%v", f, got, cases[f])
		}
	}
}

// The printed lines select their flavour in the SDK's own detection order
// (mirrored by mi.DetectSource), even though they share variable names:
// App Service and Service Fabric both set IDENTITY_ENDPOINT, Cloud Shell
// and Azure ML both set MSI_ENDPOINT. Workload identity is not a
// managed-identity source; with its lines the managed-identity credential
// would still fall back to IMDS.
func TestFlavourEnvSelectsItsSourceInTheSDKsOrder(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	want := map[identity.Flavour]mi.SourceName{
		identity.AppService: mi.AppService, identity.IMDS: mi.IMDS, identity.CloudShell: mi.CloudShell,
		identity.AzureML: mi.AzureML, identity.Arc: mi.AzureArc, identity.ServiceFabric: mi.ServiceFabric,
		identity.Workload: mi.IMDS,
		// The legacy lines are Azure ML's variables: today's SDKs call the
		// endpoint with Azure ML's request, which is the 2017-09-01 one.
		identity.LegacyAppService: mi.AzureML,
		// A service principal is not a managed-identity source at all.
		identity.ServicePrincipal: mi.IMDS,
	}
	for _, f := range identity.Flavours {
		env, err := e.Server.Env(f)
		if err != nil {
			t.Fatal(err)
		}
		src := mi.DetectSource(mi.Environment{
			Getenv:     func(k string) string { return envValue(env, k) },
			FileExists: func(string) bool { return false }, // no Arc agent on this machine
			GOOS:       "linux",
		})
		if src.Name != want[f] {
			t.Errorf("%s lines detect as %s (%s), want %s", f, src.Name, src.Reason, want[f])
		}
	}
}

func TestFlavourEnvRefusesUnknownFlavour(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, nil)
	env, err := e.Server.Env(identity.Flavour("kubernetes"))
	if err == nil || env != nil || !strings.Contains(err.Error(), `"kubernetes"`) {
		t.Errorf("Env(kubernetes) = %v, %v; want nil and an error naming it", env, err)
	}
}

func TestWorkloadIdentityFallsBackToTheSystemIdentity(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: "identities: [{name: only, kind: system}]\n"})
	if got := e.Server.Endpoints().WorkloadIdentity(); got.Name != "only" {
		t.Errorf("WorkloadIdentity = %q, want the only identity", got.Name)
	}
	e = emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	if got := e.Server.Endpoints().WorkloadIdentity(); got.Name != "batch" {
		t.Errorf("WorkloadIdentity = %q, want the first user-assigned identity", got.Name)
	}
}

func TestWriteWorkloadTokenFileWritesTheNamedFile(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	env, err := e.Server.Env(identity.Workload)
	if err != nil {
		t.Fatal(err)
	}
	path, err := e.Server.WriteWorkloadTokenFile()
	if err != nil {
		t.Fatal(err)
	}
	if want := envValue(env, "AZURE_FEDERATED_TOKEN_FILE"); path != want {
		t.Fatalf("wrote %s, Env names %s", path, want)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", info.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A federated assertion is signed by the emulator's key but is not an
	// access token: the vault must refuse it for its issuer.
	v := &token.Validator{Key: signingKey(t, e), Tenant: e.Config.Tenant, Clock: e}
	_, err = v.Validate(string(raw))
	if err == nil || !strings.Contains(err.Error(), "found "+identity.FederationIssuer) {
		t.Errorf("federated token validated as an access token: %v", err)
	}
}

// envValue is the value of key in lines, or "" if absent.
func envValue(lines identity.Env, key string) string {
	for _, kv := range lines {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

func TestEnvWritesTheLines(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	dir := t.TempDir()
	for _, f := range identity.Flavours {
		lines, err := e.Server.Env(f)
		if err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		for _, kv := range lines {
			want.WriteString(kv.Key + "=" + kv.Value + "\n")
		}
		if got := lines.String(); got != want.String() {
			t.Errorf("Env(%s).String() = %q; want %q", f, got, want.String())
		}
		path := filepath.Join(dir, string(f)+".env")
		if err := lines.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil || string(data) != want.String() {
			t.Errorf("env file for %s = %q, %v; want %q", f, data, err, want.String())
		}
		if info, err := os.Stat(path); err != nil {
			t.Error(err)
		} else if info.Mode().Perm() != 0o600 {
			t.Errorf("env file for %s: mode %v, want 0600 (it holds IDENTITY_HEADER)", f, info.Mode().Perm())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(identity.Flavours) {
		t.Errorf("%d files in the env directory, want one per flavour and no leftovers", len(entries))
	}
	lines, _ := e.Server.Env(identity.IMDS)
	if err := lines.WriteFile(filepath.Join(dir, "missing", "x.env")); err == nil ||
		!strings.HasPrefix(err.Error(), "writing env file") {
		t.Errorf("env file in a missing directory: %v", err)
	}
}

// The federated token's lifetime runs on the emulator clock: after the
// clock jumps past it, the file WriteWorkloadTokenFile wrote must still be
// exchangeable, or workload-identity clients fail until the next refresh.
func TestAdvanceRefreshesTheWorkloadTokenFile(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	path, err := e.Server.WriteWorkloadTokenFile()
	if err != nil {
		t.Fatal(err)
	}
	e.Advance(2 * time.Hour)
	assertion, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {e.Server.Endpoints().WorkloadIdentity().ClientID},
		"scope":                 {"https://vault.azure.net/.default"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {string(assertion)},
	}
	resp, err := e.Client().PostForm(e.VaultURL+e.Config.Tenant+"/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token exchange after Advance: %d %s", resp.StatusCode, body)
	}
}
