package emulator

import "io"

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
		{"IDENTITY_HEADER", s.IdentityHeader()},
		{"AZURE_POD_IDENTITY_AUTHORITY_HOST", identityURL},
		{"SSL_CERT_FILE", caFile},
		{"NODE_EXTRA_CA_CERTS", caFile},
	}
}

// WriteEnv writes ClientEnv as KEY=VALUE lines.
func (s *Server) WriteEnv(w io.Writer) error { return s.WriteFlavourEnv(w, AppService) }

// WriteEnvFile writes ClientEnv to path atomically (see WriteFlavourEnvFile).
func (s *Server) WriteEnvFile(path string) error { return s.WriteFlavourEnvFile(path, AppService) }
