package emulator_test

import (
	"bytes"
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
	for _, f := range emulator.Flavours {
		got, err := emulator.ParseFlavour(string(f))
		if err != nil || got != f {
			t.Errorf("ParseFlavour(%q) = %q, %v", f, got, err)
		}
	}
	for in, want := range map[string]emulator.Flavour{
		"App Service":    emulator.AppService,
		"app-service":    emulator.AppService,
		" IMDS ":         emulator.IMDS,
		"Cloud_Shell":    emulator.CloudShell,
		"AzureML":        emulator.AzureML,
		"azure-ml":       emulator.AzureML,
		"ARC":            emulator.Arc,
		"service-fabric": emulator.ServiceFabric,
		"Workload":       emulator.Workload,
	} {
		if got, err := emulator.ParseFlavour(in); err != nil || got != want {
			t.Errorf("ParseFlavour(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestParseFlavourRefusesUnknownNames(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "vm", "appservices", "workload-identity"} {
		_, err := emulator.ParseFlavour(in)
		const want = "want one of appservice, imds, cloudshell, azureml, arc, servicefabric, workload"
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
`

func TestFlavourEnvLinesPerFlavour(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	s := e.Server
	ca := s.Authority().CAPath
	tenant := "0e0e0e0e-1111-4222-8333-444444444444"
	head := []emulator.EnvVar{{Key: "AZURE_KEYVAULT_URL", Value: e.VaultURL}, {Key: "AZURE_TENANT_ID", Value: tenant}}
	tail := []emulator.EnvVar{{Key: "SSL_CERT_FILE", Value: ca}, {Key: "NODE_EXTRA_CA_CERTS", Value: ca}}
	lines := func(mid ...emulator.EnvVar) []emulator.EnvVar {
		return append(append(append([]emulator.EnvVar{}, head...), mid...), tail...)
	}
	vaultBase := strings.TrimSuffix(e.VaultURL, "/")
	batch := e.Identity(t, "batch")
	tokenFile := strings.TrimSuffix(ca, "ca.pem") + emulator.WorkloadTokenFileName

	cases := map[emulator.Flavour][]emulator.EnvVar{
		emulator.AppService: s.ClientEnv(),
		emulator.IMDS:       lines(emulator.EnvVar{Key: "AZURE_POD_IDENTITY_AUTHORITY_HOST", Value: e.IdentityURL}),
		emulator.CloudShell: lines(emulator.EnvVar{Key: "MSI_ENDPOINT", Value: e.IdentityURL + "/cloudshell/token"}),
		emulator.AzureML: lines(
			emulator.EnvVar{Key: "MSI_ENDPOINT", Value: e.IdentityURL + "/azureml/token"},
			emulator.EnvVar{Key: "MSI_SECRET", Value: "flavour-header-secret"}),
		emulator.Arc: lines(
			emulator.EnvVar{Key: "IDENTITY_ENDPOINT", Value: e.IdentityURL + "/arc/token"},
			emulator.EnvVar{Key: "IMDS_ENDPOINT", Value: e.IdentityURL}),
		emulator.ServiceFabric: lines(
			emulator.EnvVar{Key: "IDENTITY_ENDPOINT", Value: vaultBase + "/servicefabric/token"},
			emulator.EnvVar{Key: "IDENTITY_HEADER", Value: "flavour-header-secret"},
			emulator.EnvVar{Key: "IDENTITY_SERVER_THUMBPRINT", Value: s.Authority().Thumbprint()}),
		emulator.Workload: lines(
			emulator.EnvVar{Key: "AZURE_AUTHORITY_HOST", Value: e.VaultURL},
			emulator.EnvVar{Key: "AZURE_CLIENT_ID", Value: batch.ClientID},
			emulator.EnvVar{Key: "AZURE_FEDERATED_TOKEN_FILE", Value: tokenFile}),
	}
	if len(cases) != len(emulator.Flavours) {
		t.Fatalf("table covers %d flavours, Flavours has %d", len(cases), len(emulator.Flavours))
	}
	for _, f := range emulator.Flavours {
		got, err := s.FlavourEnv(f)
		if err != nil {
			t.Errorf("FlavourEnv(%s): %v", f, err)
			continue
		}
		if !reflect.DeepEqual(got, cases[f]) {
			t.Errorf("FlavourEnv(%s) =\n%v\nwant\n%v", f, got, cases[f])
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
	want := map[emulator.Flavour]mi.SourceName{
		emulator.AppService: mi.AppService, emulator.IMDS: mi.IMDS, emulator.CloudShell: mi.CloudShell,
		emulator.AzureML: mi.AzureML, emulator.Arc: mi.AzureArc, emulator.ServiceFabric: mi.ServiceFabric,
		emulator.Workload: mi.IMDS,
	}
	for _, f := range emulator.Flavours {
		env, err := e.Server.FlavourEnv(f)
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
	env, err := e.Server.FlavourEnv(emulator.Flavour("kubernetes"))
	if err == nil || env != nil || !strings.Contains(err.Error(), `"kubernetes"`) {
		t.Errorf("FlavourEnv(kubernetes) = %v, %v; want nil and an error naming it", env, err)
	}
}

func TestWorkloadIdentityFallsBackToTheSystemIdentity(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: "identities: [{name: only, kind: system}]\n"})
	if got := e.Server.WorkloadIdentity(); got.Name != "only" {
		t.Errorf("WorkloadIdentity = %q, want the only identity", got.Name)
	}
	e = emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	if got := e.Server.WorkloadIdentity(); got.Name != "batch" {
		t.Errorf("WorkloadIdentity = %q, want the first user-assigned identity", got.Name)
	}
}

func TestWriteWorkloadTokenFileWritesTheNamedFile(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	env, err := e.Server.FlavourEnv(emulator.Workload)
	if err != nil {
		t.Fatal(err)
	}
	path, err := e.Server.WriteWorkloadTokenFile()
	if err != nil {
		t.Fatal(err)
	}
	if want := envValue(env, "AZURE_FEDERATED_TOKEN_FILE"); path != want {
		t.Fatalf("wrote %s, FlavourEnv names %s", path, want)
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
	v := &token.Validator{Key: signingKey(t, e), Tenant: e.Config.Tenant, Clock: e.Clock}
	_, err = v.Validate(string(raw))
	if err == nil || !strings.Contains(err.Error(), "found "+identity.FederationIssuer) {
		t.Errorf("federated token validated as an access token: %v", err)
	}
}

// envValue is the value of key in lines, or "" if absent.
func envValue(lines []emulator.EnvVar, key string) string {
	for _, kv := range lines {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

func TestWriteFlavourEnvWritesTheLines(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: flavourEnvConfig})
	var appService bytes.Buffer
	if err := e.Server.WriteEnv(&appService); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range emulator.Flavours {
		lines, err := e.Server.FlavourEnv(f)
		if err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		for _, kv := range lines {
			want.WriteString(kv.Key + "=" + kv.Value + "\n")
		}
		var got bytes.Buffer
		if err := e.Server.WriteFlavourEnv(&got, f); err != nil || got.String() != want.String() {
			t.Errorf("WriteFlavourEnv(%s) = %q, %v; want %q", f, got.String(), err, want.String())
		}
		if f == emulator.AppService && got.String() != appService.String() {
			t.Errorf("WriteFlavourEnv(appservice) differs from WriteEnv:\n%s\n%s", got.String(), appService.String())
		}
		path := filepath.Join(dir, string(f)+".env")
		if err := e.Server.WriteFlavourEnvFile(path, f); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil || string(data) != want.String() {
			t.Errorf("env file for %s = %q, %v; want %q", f, data, err, want.String())
		}
		if info, err := os.Stat(path); err != nil {
			t.Error(err)
		} else if info.Mode().Perm() != 0o644 {
			t.Errorf("env file for %s: mode %v, want 0644", f, info.Mode().Perm())
		}
	}
	path := filepath.Join(dir, "bogus.env")
	if err := e.Server.WriteFlavourEnvFile(path, "bogus"); err == nil {
		t.Error("WriteFlavourEnvFile wrote an unknown flavour")
	}
	if err := e.Server.WriteFlavourEnv(&bytes.Buffer{}, "bogus"); err == nil {
		t.Error("WriteFlavourEnv wrote an unknown flavour")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != len(emulator.Flavours) {
		t.Errorf("%d files in the env directory, want one per flavour and no leftovers", len(entries))
	}
	if err := e.Server.WriteFlavourEnvFile(filepath.Join(dir, "missing", "x.env"), emulator.IMDS); err == nil ||
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
		"client_id":             {e.Server.WorkloadIdentity().ClientID},
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
