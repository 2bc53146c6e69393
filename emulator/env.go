package emulator

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// EnvVar is one line of the client environment.
type EnvVar struct{ Key, Value string }

// String formats the variable as a KEY=VALUE line.
func (e EnvVar) String() string { return e.Key + "=" + e.Value }

// ClientEnv is the environment an unmodified app needs to reach the
// emulator: the default vault, the tenant, the App Service managed-identity
// endpoint (which both the Go and the JS SDK honour), the IMDS host for JS,
// and the CA file for Go (SSL_CERT_FILE) and Node (NODE_EXTRA_CA_CERTS).
func (s *Server) ClientEnv() []EnvVar {
	identityURL := s.IdentityURL()
	caFile := s.authority.CAPath
	return []EnvVar{
		{"AZURE_KEYVAULT_URL", s.VaultURL()},
		{"AZURE_TENANT_ID", s.cfg.Tenant},
		{"IDENTITY_ENDPOINT", identityURL + "/msi/token"},
		{"IDENTITY_HEADER", s.header},
		{"AZURE_POD_IDENTITY_AUTHORITY_HOST", identityURL},
		{"SSL_CERT_FILE", caFile},
		{"NODE_EXTRA_CA_CERTS", caFile},
	}
}

// WriteEnv writes ClientEnv as KEY=VALUE lines.
func (s *Server) WriteEnv(w io.Writer) error {
	var b strings.Builder
	for _, kv := range s.ClientEnv() {
		b.WriteString(kv.String())
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteEnvFile writes ClientEnv to path atomically, so a process watching
// for the file never reads half of it.
func (s *Server) WriteEnvFile(path string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".env-*")
	if err != nil {
		return fmt.Errorf("writing env file: %w", err)
	}
	werr := s.WriteEnv(tmp)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		// CreateTemp makes 0600; other users' apps (a compose service
		// sharing a volume) must read it, as they read the CA file.
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing env file %s: %w", path, werr)
	}
	return nil
}
