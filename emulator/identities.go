package emulator

import (
	"github.com/secretkit/secretkit/kv"
)

// IdentityInfo is one row of the identity table: what a client needs to
// select or recognise an identity whose ids the config derived from its
// name. It never holds a credential.
type IdentityInfo struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	ClientID   string `json:"clientId"`
	ObjectID   string `json:"objectId"`
	ResourceID string `json:"resourceId,omitempty"`
	// Credentials names what a service principal authenticates with
	// ("clientSecret", "certificate"), never the values.
	Credentials []string `json:"credentials,omitempty"`
}

// Identities is the identity table, in config order: managed identities and
// service principals with their (possibly derived) ids. The server logs it
// at start-up and serves it at GET /_emulator/identities.
func (s *Server) Identities() []IdentityInfo {
	out := make([]IdentityInfo, 0, len(s.cfg.Identities))
	for _, id := range s.cfg.Identities {
		row := IdentityInfo{Name: id.Name, Kind: kindName(id.Kind), ClientID: id.ClientID, ObjectID: id.ObjectID, ResourceID: id.ResourceID}
		if id.ClientSecret != "" {
			row.Credentials = append(row.Credentials, "clientSecret")
		}
		if id.CertificateFile != "" || len(id.Certificates) > 0 {
			row.Credentials = append(row.Credentials, "certificate")
		}
		out = append(out, row)
	}
	return out
}

// kindName spells a kind as the config file does.
func kindName(k kv.IdentityKind) string {
	if k == kv.KindServicePrincipal {
		return "servicePrincipal"
	}
	return string(k)
}

// logIdentities writes the identity table, one info line per identity.
func (s *Server) logIdentities() {
	for _, row := range s.Identities() {
		attrs := []any{"name", row.Name, "kind", row.Kind, "clientId", row.ClientID, "objectId", row.ObjectID}
		if row.ResourceID != "" {
			attrs = append(attrs, "resourceId", row.ResourceID)
		}
		s.logger.Info("identity", attrs...)
	}
}
