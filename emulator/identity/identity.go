// Package identity serves the emulator's managed-identity token endpoints —
// IMDS, App Service, Cloud Shell, Azure ML, Azure Arc and Service Fabric —
// and a Microsoft Entra authority for workload identity (federated client
// assertions), each checking what the real endpoint checks before handing
// out a token from one token.Issuer.
//
// Paths served by HTTPHandler (plain HTTP, the "identity listener"):
//
//	GET  /metadata/identity/oauth2/token[/]  IMDS (api-version 2018-02-01, Metadata: true)
//	GET  /msi/token                          App Service (2019-08-01, X-IDENTITY-HEADER)
//	POST /cloudshell/token                   Cloud Shell (form resource, Metadata: true)
//	GET  /azureml/token                      Azure ML (2017-09-01, secret header, clientid)
//	GET  /arc/token                          Azure Arc (2020-06-01, Basic-realm key-file challenge)
//
// Paths served by HTTPSHandler (on the vault's TLS listener):
//
//	GET  /servicefabric/token                               Service Fabric (2019-07-01-preview, Secret header)
//	GET  /{tenant}/v2.0/.well-known/openid-configuration    Entra OpenID configuration
//	POST /{tenant}/oauth2/v2.0/token                        client credentials with a federated client_assertion
//	GET  /{tenant}/discovery/v2.0/keys                      JWKS (public key only)
//	GET  /common/discovery/instance                         instance discovery, naming this host
package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/secretkit/secretkit/emulator/token"
	"github.com/secretkit/secretkit/kv"
)

// Identity is one principal the emulator can issue tokens for: a managed
// identity, or an application's service principal. In a config file it is
// a mapping (see UnmarshalYAML).
type Identity struct {
	Name       string          // unique; used by FederatedToken and in logs
	Kind       kv.IdentityKind // kv.KindSystem, kv.KindUser or kv.KindServicePrincipal
	ClientID   string
	ObjectID   string // principal id; the token's oid
	ResourceID string // ARM resource id; the token's xms_mirid (managed identities only)

	// A service principal's credentials, at least one of them (see
	// serviceprincipal.go); managed identities have none.
	ClientSecret ClientSecret
	// CertificateFile is a PEM file holding the principal's certificate;
	// with its private key in the same file it is also what
	// AZURE_CLIENT_CERTIFICATE_PATH names for clients.
	CertificateFile string
	// Certificates are the public certificates assertions may be signed
	// with; New reads them from CertificateFile when nil.
	Certificates []*x509.Certificate
}

// DefaultArcKeyDir is where Azure Arc challenge key files go. MSAL Go refuses
// a challenge naming any other directory on Linux.
const DefaultArcKeyDir = "/var/opt/azcmagent/tokens"

// Options configure New. Issuer and Tenant are required.
type Options struct {
	Identities []Identity
	Issuer     *token.Issuer
	Tenant     string
	// Secret is the header secret of App Service (X-IDENTITY-HEADER),
	// Service Fabric (Secret) and Azure ML (secret). Empty means New makes a
	// random one, readable through Endpoints.Secret.
	Secret string
	// ArcKeyDir is where Arc challenge key files are written; empty means
	// DefaultArcKeyDir. The directory is created on the first challenge.
	ArcKeyDir string
	Logger    *slog.Logger // nil discards
}

// Endpoints serves the token endpoints. It is safe for concurrent use.
type Endpoints struct {
	issuer    *token.Issuer
	tenant    string
	secret    string
	arcKeyDir string
	log       *slog.Logger

	identities []Identity
	system     *Identity
	byName     map[string]*Identity
	byClient   map[string]*Identity // lower-cased GUID
	byObject   map[string]*Identity // lower-cased GUID
	byResource map[string]*Identity // lower-cased: ARM ids compare case-insensitively

	arcMu         sync.Mutex
	arcChallenges []arcChallenge
}

// New validates opts and returns the endpoints. Every identity needs a
// unique Name, ClientID and ObjectID, a Kind of "system" or "user", and
// there is at most one system-assigned identity.
func New(opts Options) (*Endpoints, error) {
	if opts.Issuer == nil || opts.Issuer.Key == nil || opts.Issuer.Clock == nil {
		return nil, errors.New("identity: Options.Issuer with Key and Clock is required")
	}
	if opts.Tenant == "" {
		return nil, errors.New("identity: Options.Tenant is required")
	}
	e := &Endpoints{
		issuer:     opts.Issuer,
		tenant:     opts.Tenant,
		secret:     opts.Secret,
		arcKeyDir:  opts.ArcKeyDir,
		log:        opts.Logger,
		byName:     map[string]*Identity{},
		byClient:   map[string]*Identity{},
		byObject:   map[string]*Identity{},
		byResource: map[string]*Identity{},
	}
	if e.secret == "" {
		e.secret = randomHex(16)
	}
	if e.arcKeyDir == "" {
		e.arcKeyDir = DefaultArcKeyDir
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	e.identities = append([]Identity(nil), opts.Identities...)
	for i := range e.identities {
		id := &e.identities[i]
		if id.Name == "" || id.ClientID == "" || id.ObjectID == "" {
			return nil, fmt.Errorf("identity: identity %d needs Name, ClientID and ObjectID", i)
		}
		switch id.Kind {
		case kv.KindSystem:
			if e.system != nil {
				return nil, fmt.Errorf("identity: %q and %q are both system-assigned; at most one is allowed", e.system.Name, id.Name)
			}
			e.system = id
		case kv.KindUser:
		case kv.KindServicePrincipal:
			if err := loadPrincipalCredentials(id); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("identity: %q has kind %q, want %q, %q or %q", id.Name, id.Kind, kv.KindSystem, kv.KindUser, kv.KindServicePrincipal)
		}
		if id.Kind != kv.KindServicePrincipal && (id.ClientSecret != "" || id.CertificateFile != "" || id.Certificates != nil) {
			return nil, fmt.Errorf("identity: %q is a managed identity; only a service principal has a client secret or certificate", id.Name)
		}
		if err := index(e.byName, id.Name, id, "name"); err != nil {
			return nil, err
		}
		if err := index(e.byClient, strings.ToLower(id.ClientID), id, "client id"); err != nil {
			return nil, err
		}
		if err := index(e.byObject, strings.ToLower(id.ObjectID), id, "object id"); err != nil {
			return nil, err
		}
		if id.ResourceID != "" {
			if err := index(e.byResource, strings.ToLower(id.ResourceID), id, "resource id"); err != nil {
				return nil, err
			}
		}
	}
	return e, nil
}

func index(m map[string]*Identity, key string, id *Identity, what string) error {
	if prev, ok := m[key]; ok {
		return fmt.Errorf("identity: %q and %q share %s %q", prev.Name, id.Name, what, key)
	}
	m[key] = id
	return nil
}

// Secret is the header secret clients must present (IDENTITY_HEADER /
// MSI_SECRET): Options.Secret, or the random one New made.
func (e *Endpoints) Secret() string { return e.secret }

// HTTPHandler serves IMDS, App Service, Cloud Shell, Azure ML and Azure Arc
// (see the package comment for paths). Unknown paths get 404.
func (e *Endpoints) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(pathIMDS, e.serveIMDS)
	mux.HandleFunc(pathIMDS+"/", e.serveIMDS) // JS appends a slash
	mux.HandleFunc(pathAppService, e.serveAppService)
	mux.HandleFunc(pathCloudShell, e.serveCloudShell)
	mux.HandleFunc(pathAzureML, e.serveAzureML)
	mux.HandleFunc(pathArc, e.serveArc)
	return mux
}

// HTTPSHandler serves Service Fabric and the Entra authority (see the package
// comment for paths). It must be mounted on a TLS listener: Service Fabric
// clients pin the certificate and Entra clients require https.
func (e *Endpoints) HTTPSHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(pathServiceFabric, e.serveServiceFabric)
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", e.serveOpenIDConfiguration)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", e.serveEntraToken)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", e.serveJWKS)
	mux.HandleFunc("GET /{tenant}/discovery/keys", e.serveJWKS)
	mux.HandleFunc("GET /common/discovery/instance", e.serveInstanceDiscovery)
	return mux
}

// miError is a managed-identity endpoint's error: the JSON body
// {"error","error_description"} every flavour uses, with its status.
type miError struct {
	status      int
	code        string
	description string
}

func (m *miError) Error() string { return m.code + ": " + m.description }

func badRequest(description string) *miError {
	return &miError{http.StatusBadRequest, "invalid_request", description}
}

func errIdentityNotFound() *miError { return badRequest("Identity not found") }

// selection is the user-assigned identity a request names, at most one of
// the three selectors.
type selection struct {
	clientID, objectID, resourceID string
}

func (s selection) empty() bool { return s == selection{} }

// find resolves sel. With no selector it returns the system-assigned
// identity, else the only user-assigned one; several user-assigned
// identities and no system one is an error, as on a real VM.
func (e *Endpoints) find(sel selection) (*Identity, *miError) {
	n := 0
	for _, v := range []string{sel.clientID, sel.objectID, sel.resourceID} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		return nil, badRequest("Only one of client_id, object_id or msi_res_id may be specified")
	}
	var (
		id *Identity
		ok bool
	)
	switch {
	case sel.clientID != "":
		id, ok = e.byClient[strings.ToLower(sel.clientID)]
	case sel.objectID != "":
		id, ok = e.byObject[strings.ToLower(sel.objectID)]
	case sel.resourceID != "":
		id, ok = e.byResource[strings.ToLower(sel.resourceID)]
	default:
		if e.system != nil {
			return e.system, nil
		}
		// Service principals are not assigned to any host.
		var users []*Identity
		for i := range e.identities {
			if e.identities[i].Kind == kv.KindUser {
				users = append(users, &e.identities[i])
			}
		}
		switch len(users) {
		case 0:
			return nil, errIdentityNotFound()
		case 1:
			return users[0], nil
		}
		return nil, badRequest("Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request")
	}
	if !ok || id.Kind == kv.KindServicePrincipal {
		return nil, errIdentityNotFound()
	}
	return id, nil
}

// tokenResponse is what every managed-identity flavour returns. All values
// are strings, as IMDS sends them; JS reads only expires_on.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ClientID     string `json:"client_id"`
	ExpiresIn    string `json:"expires_in"`
	ExpiresOn    string `json:"expires_on"`
	ExtExpiresIn string `json:"ext_expires_in"`
	NotBefore    string `json:"not_before"`
	Resource     string `json:"resource"`
	TokenType    string `json:"token_type"`
	// Arc echoes the selector it honoured, and MSAL refuses a token without it.
	ObjectID   string `json:"object_id,omitempty"`
	MsiResID   string `json:"msi_res_id,omitempty"`
	expiresOn  time.Time
	identityID string
}

func (e *Endpoints) mint(id *Identity, resource string, capabilities []string) (tokenResponse, *miError) {
	raw, exp, err := e.issuer.Issue(token.Subject{ObjectID: id.ObjectID, ClientID: id.ClientID, ResourceID: id.ResourceID,
		ClientCapabilities: capabilities}, resource)
	if err != nil {
		return tokenResponse{}, &miError{http.StatusInternalServerError, "server_error", "token issuance failed"}
	}
	// Whole seconds on both sides, read after issuing, so expires_in never
	// exceeds the lifetime nor disagrees with expires_on.
	now := e.issuer.Clock.Now()
	in := strconv.FormatInt(exp.Unix()-now.Unix(), 10)
	return tokenResponse{
		AccessToken:  raw,
		ClientID:     id.ClientID,
		ExpiresIn:    in,
		ExpiresOn:    strconv.FormatInt(exp.Unix(), 10),
		ExtExpiresIn: in,
		NotBefore:    strconv.FormatInt(now.Unix(), 10),
		Resource:     resource,
		TokenType:    "Bearer",
		expiresOn:    exp,
		identityID:   id.Name,
	}, nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // the client went away; nothing to do
}

// fail writes m and logs it. Logs name the flavour and the error code only:
// never header secrets, query values or tokens.
func (e *Endpoints) fail(w http.ResponseWriter, flavour string, m *miError) {
	e.log.Warn("identity token refused", "flavour", flavour, "status", m.status, "error", m.code, "description", m.description)
	writeJSON(w, m.status, map[string]string{"error": m.code, "error_description": m.description})
}

func (e *Endpoints) succeed(w http.ResponseWriter, flavour string, resp tokenResponse) {
	e.logIssued(flavour, resp)
	writeJSON(w, http.StatusOK, resp)
}

// logIssued is the line for a token handed out: who and for what, never
// the token.
func (e *Endpoints) logIssued(flavour string, resp tokenResponse) {
	e.log.Info("identity token issued", "flavour", flavour, "identity", resp.identityID, "resource", resp.Resource,
		"expires", resp.expiresOn.UTC().Format(time.RFC3339))
}

// secretMatches compares a presented header secret in constant time.
func (e *Endpoints) secretMatches(presented string) bool {
	return presented != "" && subtle.ConstantTimeCompare([]byte(presented), []byte(e.secret)) == 1
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}
