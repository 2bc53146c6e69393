package identity

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/secretkit/secretkit/emulator/token"
	"github.com/secretkit/secretkit/internal/atomicfile"
	"github.com/secretkit/secretkit/kv"
)

// Federated tokens are what a Kubernetes cluster projects into a pod for
// workload identity. The emulator plays the cluster's OIDC issuer, signing
// them with the same key as its access tokens; the Entra token endpoint
// accepts one as a client_assertion for the identity it names.
const (
	// FederationIssuer is the iss of federated tokens: the issuer an
	// unconfigured Kubernetes API server uses.
	FederationIssuer = "https://kubernetes.default.svc.cluster.local"
	// FederationAudience is the aud workload identity requires.
	FederationAudience = "api://AzureADTokenExchange"
	// federatedLifetime matches a projected service-account token's default.
	federatedLifetime = time.Hour
)

// FederationSubject is the sub of the federated token for the identity
// named name: a service account named after the identity.
func FederationSubject(name string) string { return "system:serviceaccount:default:" + name }

type federatedClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  []string `json:"aud"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	ExpiresAt int64    `json:"exp"`
}

// FederatedToken returns a one-hour client assertion for the identity named
// identityName, valid at the Entra token endpoint together with that
// identity's client id.
func (e *Endpoints) FederatedToken(identityName string) (string, error) {
	id, ok := e.byName[identityName]
	if !ok {
		return "", fmt.Errorf("identity: no identity named %q", identityName)
	}
	now := e.issuer.Clock.Now().Truncate(time.Second)
	return e.issuer.Key.Sign(federatedClaims{
		Issuer:    FederationIssuer,
		Subject:   FederationSubject(id.Name),
		Audience:  []string{FederationAudience},
		IssuedAt:  now.Unix(),
		NotBefore: now.Unix(),
		ExpiresAt: now.Add(federatedLifetime).Unix(),
	})
}

// WriteFederatedTokenFile writes FederatedToken(identityName) to path
// (AZURE_FEDERATED_TOKEN_FILE) atomically with mode 0600, replacing any
// previous token, as the kubelet refreshes a projected token.
func (e *Endpoints) WriteFederatedTokenFile(identityName, path string) error {
	tok, err := e.FederatedToken(identityName)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, []byte(tok), 0o600); err != nil {
		return fmt.Errorf("identity: federated token: %w", err)
	}
	return nil
}

// knownTenant reports whether the authority path segment names this
// emulator's tenant, or one of the aliases discovery documents use.
func (e *Endpoints) knownTenant(t string, aliasesOK bool) bool {
	if strings.EqualFold(t, e.tenant) {
		return true
	}
	return aliasesOK && (t == "common" || t == "organizations")
}

// authorityBase is https://{request host}: the authority lives wherever the
// client reached it, so the discovery document works on any port.
func authorityBase(r *http.Request) string { return "https://" + r.Host }

func (e *Endpoints) serveOpenIDConfiguration(w http.ResponseWriter, r *http.Request) {
	t := r.PathValue("tenant")
	if !e.knownTenant(t, true) {
		e.entraFail(w, entraUnknownTenant(t))
		return
	}
	base := authorityBase(r)
	issuerTenant := e.tenant
	if !strings.EqualFold(t, e.tenant) {
		issuerTenant = "{tenantid}" // what Entra publishes for multi-tenant aliases
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                base + "/" + issuerTenant + "/v2.0",
		"authorization_endpoint":                base + "/" + t + "/oauth2/v2.0/authorize",
		"token_endpoint":                        base + "/" + t + "/oauth2/v2.0/token",
		"jwks_uri":                              base + "/" + t + "/discovery/v2.0/keys",
		"token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"tenant_region_scope":                   "WW",
		"cloud_instance_name":                   r.Host,
	})
}

func (e *Endpoints) serveJWKS(w http.ResponseWriter, r *http.Request) {
	if !e.knownTenant(r.PathValue("tenant"), true) {
		e.entraFail(w, entraUnknownTenant(r.PathValue("tenant")))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(e.issuer.Key.JWKS())
}

// serveInstanceDiscovery answers MSAL's instance discovery (sent when a
// client does not disable it and routes the public discovery host here) by
// naming this host as the only alias.
func (e *Endpoints) serveInstanceDiscovery(w http.ResponseWriter, r *http.Request) {
	t := e.tenant
	if ae := r.URL.Query().Get("authorization_endpoint"); ae != "" {
		if u, err := url.Parse(ae); err == nil {
			if seg, _, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/"); seg != "" {
				t = seg
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"tenant_discovery_endpoint": authorityBase(r) + "/" + t + "/v2.0/.well-known/openid-configuration",
		"api-version":               "1.1",
		"metadata": []map[string]any{{
			"preferred_network": r.Host,
			"preferred_cache":   r.Host,
			"aliases":           []string{r.Host},
		}},
	})
}

// entraError is an error from the Entra token endpoint, sent with Entra's
// body shape (error, error_description with trace footer, error_codes, ...).
type entraError struct {
	status int
	code   string // OAuth error, e.g. invalid_client
	aadsts int    // the AADSTS number
	text   string // the description after "AADSTSnnnn: "
}

func entraUnknownTenant(t string) *entraError {
	return &entraError{http.StatusBadRequest, "invalid_tenant", 90002, fmt.Sprintf(
		"Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", t)}
}

func (e *Endpoints) entraFail(w http.ResponseWriter, x *entraError) {
	now := e.issuer.Clock.Now().UTC()
	trace, corr := randomUUID(), randomUUID()
	stamp := now.Format("2006-01-02 15:04:05Z")
	e.log.Warn("entra token refused", "status", x.status, "error", x.code, "aadsts", x.aadsts)
	writeJSON(w, x.status, map[string]any{
		"error": x.code,
		"error_description": fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
			x.aadsts, x.text, trace, corr, stamp),
		"error_codes":    []int{x.aadsts},
		"timestamp":      stamp,
		"trace_id":       trace,
		"correlation_id": corr,
		"error_uri":      fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", x.aadsts),
	})
}

const jwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// serveEntraToken is the v2.0 token endpoint for client credentials: a
// service principal's client secret or certificate assertion (see
// serviceprincipal.go), or a managed identity's federated client assertion
// (workload identity). It checks, in order: the tenant, grant_type,
// client_id, scope (one resource/.default), the client, then its
// credential. A federated assertion must be signed by the emulator's key,
// with the federation issuer and audience, within its lifetime, and name
// the federated subject of the identity the client id belongs to.
func (e *Endpoints) serveEntraToken(w http.ResponseWriter, r *http.Request) {
	t := r.PathValue("tenant")
	if !e.knownTenant(t, false) {
		e.entraFail(w, entraUnknownTenant(t))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		e.entraFail(w, &entraError{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."})
		return
	}
	f := r.PostForm
	if gt := f.Get("grant_type"); gt != "client_credentials" {
		if gt == "" {
			e.entraFail(w, &entraError{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'."})
			return
		}
		msg := "The app requested an unsupported grant type."
		if plausibleGrantType(gt) {
			msg = "The app requested an unsupported grant type '" + gt + "'."
		}
		e.entraFail(w, &entraError{http.StatusBadRequest, "unsupported_grant_type", 70003, msg})
		return
	}
	clientID := f.Get("client_id")
	if clientID == "" {
		e.entraFail(w, &entraError{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."})
		return
	}
	if f.Get("scope") == "" {
		e.entraFail(w, &entraError{http.StatusBadRequest, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'."})
		return
	}
	resource, ok := defaultScopeResource(f.Get("scope"))
	if !ok {
		e.entraFail(w, &entraError{http.StatusBadRequest, "invalid_scope", 1002012, "The provided value for scope " + f.Get("scope") +
			" is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."})
		return
	}
	id, ok := e.byClient[strings.ToLower(clientID)]
	if !ok {
		e.entraFail(w, &entraError{http.StatusBadRequest, "unauthorized_client", 700016, fmt.Sprintf(
			"Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, e.tenant)})
		return
	}
	assertion := f.Get("client_assertion")
	hasAssertion := assertion != "" && f.Get("client_assertion_type") == jwtBearerAssertionType
	noCredential := &entraError{http.StatusUnauthorized, "invalid_client", 7000216,
		"'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."}
	bySecret := false
	switch {
	case id.Kind == kv.KindServicePrincipal && f.Get("client_secret") != "":
		if x := checkClientSecret(id, f.Get("client_secret")); x != nil {
			e.entraFail(w, x)
			return
		}
		bySecret = true
	case id.Kind == kv.KindServicePrincipal && hasAssertion:
		if x := checkCertificateAssertion(assertion, id, t, e.issuer.Clock.Now()); x != nil {
			e.entraFail(w, x)
			return
		}
	case id.Kind == kv.KindServicePrincipal:
		e.entraFail(w, noCredential)
		return
	case f.Get("client_secret") != "":
		// A managed identity has no secret to compare against.
		e.entraFail(w, checkClientSecret(id, f.Get("client_secret")))
		return
	case !hasAssertion:
		e.entraFail(w, noCredential)
		return
	default:
		if x := e.checkAssertion(assertion, id); x != nil {
			e.entraFail(w, x)
			return
		}
	}
	// MSAL declares client capabilities ("cp1") in the claims parameter;
	// the token carries them as xms_cc, which decides the vault's
	// challenge when the token is later refused.
	raw, exp, err := e.issuer.Issue(token.Subject{ObjectID: id.ObjectID, ClientID: id.ClientID, ResourceID: id.ResourceID,
		ClientCapabilities: requestedCapabilities(f.Get("claims")), AppAuthenticatedBySecret: bySecret}, resource)
	if err != nil {
		e.entraFail(w, &entraError{http.StatusInternalServerError, "server_error", 90033, "A transient error has occurred. Please try again."})
		return
	}
	in := exp.Unix() - e.issuer.Clock.Now().Unix()
	e.log.Info("entra token issued", "identity", id.Name, "resource", resource, "expires", exp.UTC().Format(time.RFC3339))
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type":     "Bearer",
		"expires_in":     in,
		"ext_expires_in": in,
		"access_token":   raw,
	})
}

// defaultScopeResource finds the one "<resource>/.default" among the
// space-separated scopes (MSAL adds openid, profile, offline_access).
func defaultScopeResource(scope string) (string, bool) {
	for _, s := range strings.Fields(scope) {
		if res, ok := strings.CutSuffix(s, "/.default"); ok && res != "" {
			return res, true
		}
	}
	return "", false
}

// checkAssertion validates a federated client assertion for id, returning
// Entra's error for the first failed check.
func (e *Endpoints) checkAssertion(assertion string, id *Identity) *entraError {
	payload, err := e.issuer.Key.Verify(assertion)
	if err != nil {
		var te *token.Error
		errors.As(err, &te)
		switch {
		case te != nil && te.Reason == token.ReasonUnknownKey:
			kid, iss := unverifiedKidAndIssuer(assertion)
			return &entraError{http.StatusUnauthorized, "invalid_client", 7000272, fmt.Sprintf(
				"The certificate with identifier %s used to sign the federated credential could not be found in the metadata of identity provider %s. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token.", kid, iss)}
		case te != nil && te.Reason == token.ReasonSignature:
			// unconfirmed: Entra's wording for a known key whose signature fails, in the federated flow.
			return &entraError{http.StatusUnauthorized, "invalid_client", 50013,
				"Assertion failed signature validation. [Reason - Key was found, but use of the key to verify the signature failed.]"}
		default:
			// unconfirmed: status; AADSTS50027 is Entra's code for an undecodable JWT.
			return &entraError{http.StatusBadRequest, "invalid_request", 50027, "JWT token is invalid or malformed."}
		}
	}
	var c struct {
		Issuer    string          `json:"iss"`
		Subject   string          `json:"sub"`
		Audience  json.RawMessage `json:"aud"`
		NotBefore *int64          `json:"nbf"`
		ExpiresAt *int64          `json:"exp"`
	}
	if err := json.Unmarshal(payload, &c); err != nil || c.ExpiresAt == nil {
		return &entraError{http.StatusBadRequest, "invalid_request", 50027, "JWT token is invalid or malformed."}
	}
	if c.Issuer != FederationIssuer {
		return noFederatedRecord(700211, "issuer", c.Issuer)
	}
	if !audienceIncludes(c.Audience, FederationAudience) {
		return noFederatedRecord(700212, "audience", strings.Trim(string(c.Audience), `"[]`))
	}
	now := e.issuer.Clock.Now().UTC()
	exp := time.Unix(*c.ExpiresAt, 0).UTC()
	var nbf time.Time
	if c.NotBefore != nil {
		nbf = time.Unix(*c.NotBefore, 0).UTC()
	} else {
		nbf = time.Unix(0, 0).UTC()
	}
	if now.After(exp.Add(token.Skew)) || now.Add(token.Skew).Before(nbf) {
		const layout = "2006-01-02T15:04:05.0000000Z"
		return &entraError{http.StatusUnauthorized, "invalid_client", 700024, fmt.Sprintf(
			"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
			now.Format(layout), nbf.Format(layout), exp.Format(layout))}
	}
	if c.Subject != FederationSubject(id.Name) {
		return noFederatedRecord(700213, "subject", c.Subject)
	}
	return nil
}

func noFederatedRecord(code int, what, value string) *entraError {
	return &entraError{http.StatusUnauthorized, "invalid_client", code, fmt.Sprintf(
		"No matching federated identity record found for presented assertion %s '%s'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation",
		what, value)}
}

func audienceIncludes(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}

// unverifiedKidAndIssuer reads kid and iss from an assertion whose
// signature could not be checked, only to name them in the error message.
func unverifiedKidAndIssuer(assertion string) (kid, iss string) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "", ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	if b, err := base64.RawURLEncoding.DecodeString(parts[0]); err == nil {
		_ = json.Unmarshal(b, &h)
	}
	var p struct {
		Iss string `json:"iss"`
	}
	if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
		_ = json.Unmarshal(b, &p)
	}
	return h.Kid, p.Iss
}

func randomUUID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// plausibleGrantType reports whether a refused grant_type is echoed: Entra
// names the grant type it refused, but a long or odd value may be a
// credential pasted into the wrong field (found by fuzzing: a federated
// token), and no refusal carries one.
func plausibleGrantType(gt string) bool {
	if len(gt) > 64 {
		return false
	}
	for _, c := range gt {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-.:/", c)) {
			return false
		}
	}
	return true
}
