package emulator

import (
	"path/filepath"
	"time"

	"github.com/secretkit/secretkit/emulator/identity"
)

// WorkloadTokenFileName is the file, in the TLS directory, that
// Env(identity.Workload) names as AZURE_FEDERATED_TOKEN_FILE and
// WriteWorkloadTokenFile fills.
const WorkloadTokenFileName = "federated-token"

// workloadTokenRefresh is how often (on the wall clock) a written federated
// token file is rewritten: well within the token's one-hour lifetime, as
// the kubelet refreshes a projected token.
const workloadTokenRefresh = 30 * time.Minute

// Env is the client environment that makes an unmodified app reach the
// emulator through flavour f: AZURE_KEYVAULT_URL and AZURE_TENANT_ID, the
// variables the SDKs use to detect f (see identity.Endpoints.Env), then
// SSL_CERT_FILE (Go) and NODE_EXTRA_CA_CERTS (Node) naming the CA file.
// URLs use the advertised host. Env(identity.AppService) is what
// cmd/emulator prints by default; Env(identity.Workload) names a token file
// that exists once WriteWorkloadTokenFile has written it.
//
// It returns an error only for a flavour not in identity.Flavours.
func (s *Server) Env(f identity.Flavour) (identity.Env, error) {
	lines, err := s.endpoints.Env(f, identity.Reach{
		HTTP:               s.IdentityURL(),
		HTTPS:              s.VaultURL(),
		Thumbprint:         s.authority.Thumbprint(),
		FederatedTokenFile: s.workloadTokenPath(),
	})
	if err != nil {
		return nil, err
	}
	caFile := s.authority.CAPath
	env := identity.Env{{Key: "AZURE_KEYVAULT_URL", Value: s.VaultURL()}, {Key: "AZURE_TENANT_ID", Value: s.cfg.Tenant}}
	env = append(env, lines...)
	return append(env, identity.EnvVar{Key: "SSL_CERT_FILE", Value: caFile}, identity.EnvVar{Key: "NODE_EXTRA_CA_CERTS", Value: caFile}), nil
}

// WriteWorkloadTokenFile writes a fresh federated token for the endpoints'
// WorkloadIdentity to the AZURE_FEDERATED_TOKEN_FILE that
// Env(identity.Workload) names, and returns that path. The token is valid
// for an hour on the emulator clock; from then on the server keeps the
// file fresh itself, as the kubelet refreshes a projected token: every
// workloadTokenRefresh while it runs, and at once on Advance. Clients
// re-read the file when they need a new access token.
func (s *Server) WriteWorkloadTokenFile() (string, error) {
	path := s.workloadTokenPath()
	if err := s.endpoints.WriteFederatedTokenFile(s.endpoints.WorkloadIdentity().Name, path); err != nil {
		return "", err
	}
	s.workloadMu.Lock()
	s.workloadWritten = time.Now()
	s.workloadMu.Unlock()
	return path, nil
}

// refreshWorkloadToken rewrites a written federated token file that is
// older than maxAge (0: always) on the wall clock.
func (s *Server) refreshWorkloadToken(now time.Time, maxAge time.Duration) {
	s.workloadMu.Lock()
	written := s.workloadWritten
	s.workloadMu.Unlock()
	if written.IsZero() || now.Sub(written) < maxAge {
		return
	}
	if _, err := s.WriteWorkloadTokenFile(); err != nil {
		s.logger.Error("federated token file not refreshed", "err", err)
	}
}

// workloadTokenPath keeps the token beside the CA file, in the directory
// the emulator already owns and clients already read.
func (s *Server) workloadTokenPath() string {
	return filepath.Join(filepath.Dir(s.authority.CAPath), WorkloadTokenFileName)
}
