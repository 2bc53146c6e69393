package emulator

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/emulator/internal/atomicfile"
	"github.com/secretkit/secretkit/kv"
)

// Flavour is a managed-identity source as the Azure SDKs detect it from the
// environment. Each one is served by the emulator; FlavourEnv gives the
// variables that make an unmodified app pick it.
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
	// IMDS_ENDPOINT, with a key-file challenge under identity.DefaultArcKeyDir.
	Arc Flavour = "arc"
	// ServiceFabric is IDENTITY_ENDPOINT (https), IDENTITY_HEADER and
	// IDENTITY_SERVER_THUMBPRINT; the identity is fixed by the cluster, so
	// no user-assigned selection.
	ServiceFabric Flavour = "servicefabric"
	// Workload is Kubernetes workload identity: a federated token file
	// exchanged at the emulator's Entra authority.
	Workload Flavour = "workload"
)

// Flavours lists every flavour, AppService first.
var Flavours = []Flavour{AppService, IMDS, CloudShell, AzureML, Arc, ServiceFabric, Workload}

// WorkloadTokenFileName is the file, in the TLS directory, that
// FlavourEnv(Workload) names as AZURE_FEDERATED_TOKEN_FILE and
// WriteWorkloadTokenFile fills.
const WorkloadTokenFileName = "federated-token"

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

// FlavourEnv is the client environment that makes an unmodified app reach
// the emulator through flavour f: AZURE_KEYVAULT_URL and AZURE_TENANT_ID,
// the variables the SDKs use to detect f, then SSL_CERT_FILE (Go) and
// NODE_EXTRA_CA_CERTS (Node) naming the CA file. FlavourEnv(AppService) is
// exactly ClientEnv. URLs use the advertised host, as ClientEnv's do.
//
// No selection of a user-assigned identity is included except for
// Workload, which needs one: AZURE_CLIENT_ID is WorkloadIdentity's client
// id, and AZURE_FEDERATED_TOKEN_FILE names a file in the TLS directory that
// only exists once WriteWorkloadTokenFile has written it.
//
// It returns an error only for a flavour not in Flavours.
func (s *Server) FlavourEnv(f Flavour) ([]EnvVar, error) {
	if f == AppService {
		return s.ClientEnv(), nil
	}
	identityURL := s.IdentityURL()
	var lines []EnvVar
	switch f {
	case IMDS:
		lines = []EnvVar{{"AZURE_POD_IDENTITY_AUTHORITY_HOST", identityURL}}
	case CloudShell:
		lines = []EnvVar{{"MSI_ENDPOINT", identityURL + "/cloudshell/token"}}
	case AzureML:
		lines = []EnvVar{{"MSI_ENDPOINT", identityURL + "/azureml/token"}, {"MSI_SECRET", s.IdentityHeader()}}
	case Arc:
		lines = []EnvVar{{"IDENTITY_ENDPOINT", identityURL + "/arc/token"}, {"IMDS_ENDPOINT", identityURL}}
	case ServiceFabric:
		// The Service Fabric endpoint lives on the TLS listener: clients
		// refuse plain HTTP and pin the server certificate's thumbprint.
		lines = []EnvVar{
			{"IDENTITY_ENDPOINT", strings.TrimSuffix(s.VaultURL(), "/") + "/servicefabric/token"},
			{"IDENTITY_HEADER", s.IdentityHeader()},
			{"IDENTITY_SERVER_THUMBPRINT", s.authority.Thumbprint()},
		}
	case Workload:
		id := s.WorkloadIdentity()
		lines = []EnvVar{
			// With a trailing slash, as AKS's webhook sets it; the Entra
			// authority shares the vault's TLS listener.
			{"AZURE_AUTHORITY_HOST", s.VaultURL()},
			{"AZURE_CLIENT_ID", id.ClientID},
			{"AZURE_FEDERATED_TOKEN_FILE", s.workloadTokenPath()},
		}
	default:
		return nil, fmt.Errorf("emulator: unknown managed-identity flavour %q", string(f))
	}
	caFile := s.authority.CAPath
	out := []EnvVar{{"AZURE_KEYVAULT_URL", s.VaultURL()}, {"AZURE_TENANT_ID", s.cfg.Tenant}}
	out = append(out, lines...)
	return append(out, EnvVar{"SSL_CERT_FILE", caFile}, EnvVar{"NODE_EXTRA_CA_CERTS", caFile}), nil
}

// WorkloadIdentity is the identity FlavourEnv(Workload) names: the first
// user-assigned identity in the config, else the first identity (a
// federated credential may be attached to either).
func (s *Server) WorkloadIdentity() identity.Identity {
	for _, id := range s.cfg.Identities {
		if id.Kind == kv.KindUser {
			return id
		}
	}
	return s.cfg.Identities[0]
}

// WriteWorkloadTokenFile writes a fresh federated token for
// WorkloadIdentity to the AZURE_FEDERATED_TOKEN_FILE that
// FlavourEnv(Workload) names, and returns that path. The token is valid for
// an hour on the emulator clock; call it again before then (as the kubelet
// refreshes a projected token) for longer sessions. Advance rewrites the
// file once it has been written. Clients re-read the file when they need a
// new access token.
func (s *Server) WriteWorkloadTokenFile() (string, error) {
	path := s.workloadTokenPath()
	if err := s.endpoints.WriteFederatedTokenFile(s.WorkloadIdentity().Name, path); err != nil {
		return "", err
	}
	s.workloadFile.Store(true)
	return path, nil
}

// workloadTokenPath keeps the token beside the CA file, in the directory
// the emulator already owns and clients already read.
func (s *Server) workloadTokenPath() string {
	return filepath.Join(filepath.Dir(s.authority.CAPath), WorkloadTokenFileName)
}

// WriteFlavourEnv writes FlavourEnv(f) as KEY=VALUE lines, in one write.
// WriteFlavourEnv(w, AppService) writes what WriteEnv does.
func (s *Server) WriteFlavourEnv(w io.Writer, f Flavour) error {
	lines, err := s.FlavourEnv(f)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, formatEnv(lines))
	return err
}

// WriteFlavourEnvFile writes FlavourEnv(f) to path atomically with mode
// 0644, so a process watching for the file never reads half of it and a
// client running as another user (a compose service sharing a volume) can
// read it, as it reads the CA file. An unknown flavour writes nothing.
func (s *Server) WriteFlavourEnvFile(path string, f Flavour) error {
	lines, err := s.FlavourEnv(f)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, []byte(formatEnv(lines)), 0o644); err != nil {
		return fmt.Errorf("writing env file: %w", err)
	}
	return nil
}

func formatEnv(lines []EnvVar) string {
	var b strings.Builder
	for _, kv := range lines {
		b.WriteString(kv.String())
		b.WriteByte('\n')
	}
	return b.String()
}
