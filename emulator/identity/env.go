package identity

import (
	"fmt"
	"strings"

	"github.com/secretkit/secretkit/internal/atomicfile"
	"github.com/secretkit/secretkit/kv"
)

// Flavour is a managed-identity source as the Azure SDKs detect it from the
// environment. Endpoints serve each one; Endpoints.Env gives the variables
// that make an unmodified app pick it.
type Flavour string

// The flavours, spelled as ParseFlavour accepts them.
const (
	// AppService is App Service / Functions: IDENTITY_ENDPOINT and
	// IDENTITY_HEADER. Go and JS both honour it, so it is the default.
	AppService Flavour = "appservice"
	// IMDS is the VM instance metadata service. Go always calls
	// 169.254.169.254 and cannot be redirected by the environment; JS moves
	// it with AZURE_POD_IDENTITY_AUTHORITY_HOST.
	IMDS Flavour = "imds"
	// CloudShell is MSI_ENDPOINT without MSI_SECRET: system-assigned only.
	CloudShell Flavour = "cloudshell"
	// AzureML is MSI_ENDPOINT with MSI_SECRET: user-assigned by client id only.
	AzureML Flavour = "azureml"
	// Arc is an Azure Arc-enabled server: IDENTITY_ENDPOINT and
	// IMDS_ENDPOINT, with a key-file challenge under DefaultArcKeyDir.
	Arc Flavour = "arc"
	// ServiceFabric is IDENTITY_ENDPOINT (https), IDENTITY_HEADER and
	// IDENTITY_SERVER_THUMBPRINT; the identity is fixed by the cluster, so
	// no user-assigned selection.
	ServiceFabric Flavour = "servicefabric"
	// Workload is Kubernetes workload identity: a federated token file
	// exchanged at the Entra authority.
	Workload Flavour = "workload"
	// LegacyAppService is App Service's 2017-09-01 protocol, still used by
	// clients that predate IDENTITY_ENDPOINT (the Azure CLI's
	// az login --identity, msrestazure, older SDKs): MSI_ENDPOINT and
	// MSI_SECRET, a secret header, and expires_on as a date. Current Go
	// and JS SDKs read the same variables as Azure ML's.
	LegacyAppService Flavour = "appservice2017"
	// ServicePrincipal is not a managed identity: an application's
	// AZURE_CLIENT_ID with AZURE_CLIENT_SECRET or
	// AZURE_CLIENT_CERTIFICATE_PATH, exchanged at the Entra authority by
	// EnvironmentCredential and DefaultAzureCredential.
	ServicePrincipal Flavour = "serviceprincipal"
)

// Flavours lists every flavour, AppService first.
var Flavours = []Flavour{AppService, IMDS, CloudShell, AzureML, Arc, ServiceFabric, Workload, LegacyAppService, ServicePrincipal}

// The paths of the token endpoints, as HTTPHandler and HTTPSHandler serve
// them and Env names them.
const (
	pathIMDS          = "/metadata/identity/oauth2/token"
	pathAppService    = "/msi/token"
	pathCloudShell    = "/cloudshell/token"
	pathAzureML       = "/azureml/token"
	pathArc           = "/arc/token"
	pathServiceFabric = "/servicefabric/token"
)

// ParseFlavour returns the flavour named s, ignoring case, hyphens,
// underscores and spaces ("App Service", "service-fabric", "AzureML" all
// work). An unknown name is an error listing the valid ones.
func ParseFlavour(s string) (Flavour, error) {
	key := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
	for _, f := range Flavours {
		if key == string(f) {
			return f, nil
		}
	}
	names := make([]string, len(Flavours))
	for i, f := range Flavours {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown managed-identity flavour %q: want one of %s", s, strings.Join(names, ", "))
}

// EnvVar is one variable of a client environment.
type EnvVar struct{ Key, Value string }

// String formats the variable as a KEY=VALUE line.
func (e EnvVar) String() string { return e.Key + "=" + e.Value }

// Env is a client environment, in the order it is printed.
type Env []EnvVar

// String is the environment as KEY=VALUE lines, each ending in a newline.
func (env Env) String() string {
	var b strings.Builder
	for _, v := range env {
		b.WriteString(v.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// WriteFile writes String() to path atomically with mode 0600, so a
// process watching for the file never reads half of it, and only its
// owner reads it: it holds IDENTITY_HEADER, the one secret that keeps
// other local users from taking tokens through the App Service flavour.
func (env Env) WriteFile(path string) error {
	if err := atomicfile.Write(path, []byte(env.String()), 0o600); err != nil {
		return fmt.Errorf("writing env file: %w", err)
	}
	return nil
}

// Reach is where clients find the endpoints.
type Reach struct {
	// HTTP is the base URL (no trailing slash) of the listener serving
	// HTTPHandler.
	HTTP string
	// HTTPS is the base URL, with a trailing slash, of the TLS listener
	// serving HTTPSHandler.
	HTTPS string
	// Thumbprint is the TLS server certificate's thumbprint, which
	// Service Fabric clients pin.
	Thumbprint string
	// FederatedTokenFile is where the federated token for
	// WorkloadIdentity is kept (see WriteFederatedTokenFile).
	FederatedTokenFile string
}

// Env returns the variables the SDKs read to choose flavour f and reach
// these endpoints at. Only Workload and ServicePrincipal select an identity
// (AZURE_CLIENT_ID is WorkloadIdentity's or the first service
// principal's); every other flavour leaves the choice to the request. It
// returns an error for a flavour not in Flavours, and for ServicePrincipal
// when no service principal is configured.
func (e *Endpoints) Env(f Flavour, at Reach) (Env, error) {
	switch f {
	case AppService:
		// IMDS's host too, for JS clients that fall back to it.
		return Env{{"IDENTITY_ENDPOINT", at.HTTP + pathAppService}, {"IDENTITY_HEADER", e.secret},
			{"AZURE_POD_IDENTITY_AUTHORITY_HOST", at.HTTP}}, nil
	case IMDS:
		return Env{{"AZURE_POD_IDENTITY_AUTHORITY_HOST", at.HTTP}}, nil
	case CloudShell:
		return Env{{"MSI_ENDPOINT", at.HTTP + pathCloudShell}}, nil
	case AzureML:
		return Env{{"MSI_ENDPOINT", at.HTTP + pathAzureML}, {"MSI_SECRET", e.secret}}, nil
	case Arc:
		return Env{{"IDENTITY_ENDPOINT", at.HTTP + pathArc}, {"IMDS_ENDPOINT", at.HTTP}}, nil
	case ServiceFabric:
		// On the TLS listener: clients refuse plain HTTP and pin the
		// server certificate's thumbprint.
		return Env{{"IDENTITY_ENDPOINT", strings.TrimSuffix(at.HTTPS, "/") + pathServiceFabric},
			{"IDENTITY_HEADER", e.secret}, {"IDENTITY_SERVER_THUMBPRINT", at.Thumbprint}}, nil
	case Workload:
		// The authority with a trailing slash, as AKS's webhook sets it.
		return Env{{"AZURE_AUTHORITY_HOST", at.HTTPS}, {"AZURE_CLIENT_ID", e.WorkloadIdentity().ClientID},
			{"AZURE_FEDERATED_TOKEN_FILE", at.FederatedTokenFile}}, nil
	case LegacyAppService:
		// The App Service endpoint itself: the real one serves both
		// protocols, told apart by api-version.
		return Env{{"MSI_ENDPOINT", at.HTTP + pathAppService}, {"MSI_SECRET", e.secret}}, nil
	case ServicePrincipal:
		return e.principalEnv(at)
	}
	return nil, fmt.Errorf("identity: unknown managed-identity flavour %q", string(f))
}

// WorkloadIdentity is the identity Env(Workload) names: the first
// user-assigned identity, else the first managed identity (a federated
// credential may be attached to either). The zero Identity when there is
// none.
func (e *Endpoints) WorkloadIdentity() Identity {
	for _, id := range e.identities {
		if id.Kind == kv.KindUser {
			return id
		}
	}
	for _, id := range e.identities {
		if id.Kind != kv.KindServicePrincipal {
			return id
		}
	}
	return Identity{}
}
