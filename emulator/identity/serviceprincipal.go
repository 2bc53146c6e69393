package identity

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/secretkit/secretkit/emulator/tlsca"

	"github.com/golang-jwt/jwt/v5"

	"github.com/secretkit/secretkit/emulator/token"
	"github.com/secretkit/secretkit/kv"
)

// A service principal is an application's identity in the tenant. CI
// pipelines use one instead of a managed identity: AZURE_CLIENT_ID,
// AZURE_TENANT_ID and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH,
// exchanged at the Entra token endpoint (grant_type=client_credentials)
// for an access token. The endpoint checks the secret, or the client
// assertion signed with the certificate's key (x5t or x5t#S256 header,
// signature, audience = the token endpoint, iss = sub = client id,
// lifetime), and answers a failure with Entra's AADSTS error.

// ClientSecret is a service principal's client secret. It never prints:
// every fmt verb, JSON and slog show "[redacted]"; Reveal returns it.
type ClientSecret string

const redacted = "[redacted]"

// Reveal returns the secret itself.
func (s ClientSecret) Reveal() string { return string(s) }

// Format prints "[redacted]" for every verb, including %v, %+v, %#v and %s.
func (s ClientSecret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MarshalJSON writes "[redacted]".
func (s ClientSecret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// LogValue shows "[redacted]" in slog output.
func (s ClientSecret) LogValue() slog.Value { return slog.StringValue(redacted) }

// loadPrincipalCredentials checks that a service principal has a
// credential and reads its certificates from CertificateFile.
func loadPrincipalCredentials(id *Identity) error {
	if id.ResourceID != "" {
		return fmt.Errorf("identity: service principal %q has a resource id; only managed identities have one", id.Name)
	}
	if id.CertificateFile != "" && id.Certificates == nil {
		data, err := os.ReadFile(id.CertificateFile)
		if err != nil {
			return fmt.Errorf("identity: certificate of service principal %q: %w", id.Name, err)
		}
		certs, err := tlsca.ParseCertificates(data)
		if err != nil {
			return fmt.Errorf("identity: certificate of service principal %q in %s: %w", id.Name, id.CertificateFile, err)
		}
		id.Certificates = certs
	}
	if id.ClientSecret == "" && len(id.Certificates) == 0 {
		return fmt.Errorf("identity: service principal %q needs a client secret or a certificate", id.Name)
	}
	for _, c := range id.Certificates {
		if _, ok := c.PublicKey.(*rsa.PublicKey); !ok {
			return fmt.Errorf("identity: certificate %q of service principal %q has no RSA key; Entra client assertions are RS256 or PS256", c.Subject.CommonName, id.Name)
		}
	}
	return nil
}

// ServicePrincipal is the service principal Env(ServicePrincipal) names:
// the first one configured, and false when there is none.
func (e *Endpoints) ServicePrincipal() (Identity, bool) {
	for _, id := range e.identities {
		if id.Kind == kv.KindServicePrincipal {
			return id, true
		}
	}
	return Identity{}, false
}

// principalEnv is the environment EnvironmentCredential and
// DefaultAzureCredential read for a service principal: the secret when it
// has one, else the certificate file.
func (e *Endpoints) principalEnv(at Reach) (Env, error) {
	sp, ok := e.ServicePrincipal()
	if !ok {
		return nil, fmt.Errorf("identity: flavour %s needs a service principal in the config (kind: servicePrincipal)", ServicePrincipal)
	}
	env := Env{{"AZURE_AUTHORITY_HOST", at.HTTPS}, {"AZURE_CLIENT_ID", sp.ClientID}}
	if sp.ClientSecret != "" {
		return append(env, EnvVar{"AZURE_CLIENT_SECRET", sp.ClientSecret.Reveal()}), nil
	}
	return append(env, EnvVar{"AZURE_CLIENT_CERTIFICATE_PATH", sp.CertificateFile}), nil
}

// checkClientSecret compares the presented secret in constant time.
func checkClientSecret(id *Identity, presented string) *entraError {
	if id.ClientSecret != "" && subtle.ConstantTimeCompare([]byte(presented), []byte(id.ClientSecret)) == 1 {
		return nil
	}
	return &entraError{http.StatusUnauthorized, "invalid_client", 7000215, fmt.Sprintf(
		"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", id.ClientID)}
}

// maxAssertionLifetime bounds exp - nbf of a certificate assertion; MSAL
// makes ten-minute ones.
const maxAssertionLifetime = time.Hour

// checkCertificateAssertion validates a client assertion signed with one
// of id's certificates. tenant is the tenant segment of the token URL the
// request came to; now is the emulator clock, against which the
// certificate's validity is judged. The assertion's own nbf and exp are
// judged on the wall clock: the client stamps them from its clock, which
// the emulator's Advance does not move.
func checkCertificateAssertion(assertion string, id *Identity, tenant string, now time.Time) *entraError {
	header, ok := assertionHeader(assertion)
	if !ok {
		// unconfirmed: status; AADSTS50027 is Entra's code for an undecodable JWT.
		return &entraError{http.StatusBadRequest, "invalid_request", 50027, "JWT token is invalid or malformed."}
	}
	thumbprint, cert := matchCertificate(header, id.Certificates)
	if cert == nil {
		return &entraError{http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf(
			"The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '%s', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '%s'.]",
			thumbprint, id.ClientID)}
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		const layout = "1/2/2006 3:04:05 PM"
		return &entraError{http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf(
			"Client assertion contains an invalid signature. [Reason - The key used is expired., Thumbprint of key used by client: '%s', Found key 'Start=%s, End=%s']",
			thumbprint, cert.NotBefore.UTC().Format(layout), cert.NotAfter.UTC().Format(layout))}
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(assertion, &claims, func(*jwt.Token) (any, error) { return cert.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256", "PS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return &entraError{http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf(
			"Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '%s']", thumbprint)}
	}
	if claims.Issuer != id.ClientID || claims.Subject != id.ClientID {
		return &entraError{http.StatusUnauthorized, "invalid_client", 700021,
			"Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."}
	}
	if !tokenEndpointAudience(claims.Audience, tenant) {
		// unconfirmed: Entra's code and wording for an assertion audience that is not its token endpoint.
		return &entraError{http.StatusUnauthorized, "invalid_client", 700027, fmt.Sprintf(
			"Client assertion contains an invalid audience claim '%s'; it must be the token endpoint https://{authority}/%s/oauth2/v2.0/token.", strings.Join(claims.Audience, ", "), tenant)}
	}
	wall := time.Now().UTC()
	if claims.ExpiresAt == nil || claims.NotBefore == nil ||
		wall.After(claims.ExpiresAt.Add(token.Skew)) || wall.Add(token.Skew).Before(claims.NotBefore.Time) ||
		claims.ExpiresAt.Sub(claims.NotBefore.Time) > maxAssertionLifetime {
		const layout = "2006-01-02T15:04:05.0000000Z"
		var from, to time.Time
		if claims.NotBefore != nil {
			from = claims.NotBefore.UTC()
		}
		if claims.ExpiresAt != nil {
			to = claims.ExpiresAt.UTC()
		}
		return &entraError{http.StatusUnauthorized, "invalid_client", 700024, fmt.Sprintf(
			"Client assertion is not within its valid time range. Current time: %s, assertion valid from %s, expiry time of assertion %s. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
			wall.Format(layout), from.Format(layout), to.Format(layout))}
	}
	return nil
}

type jwtHeader struct {
	Alg     string `json:"alg"`
	X5t     string `json:"x5t"`
	X5tS256 string `json:"x5t#S256"`
	KeyID   string `json:"kid"`
}

func assertionHeader(assertion string) (jwtHeader, bool) {
	first, _, ok := strings.Cut(assertion, ".")
	if !ok {
		return jwtHeader{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(first)
	if err != nil {
		return jwtHeader{}, false
	}
	var h jwtHeader
	if json.Unmarshal(b, &h) != nil {
		return jwtHeader{}, false
	}
	return h, true
}

// matchCertificate finds the certificate an assertion header names by its
// SHA-256 (x5t#S256) or SHA-1 (x5t) thumbprint. MSAL Go writes them in
// standard base64, MSAL Node in base64url; both are accepted. It returns
// the thumbprint in hex, as Entra's messages show it.
func matchCertificate(h jwtHeader, certs []*x509.Certificate) (string, *x509.Certificate) {
	presented, sha256Print := decodeThumbprint(h.X5tS256), true
	if presented == nil {
		presented, sha256Print = decodeThumbprint(h.X5t), false
	}
	if presented == nil {
		return "", nil
	}
	for _, c := range certs {
		var sum []byte
		if sha256Print {
			s := sha256.Sum256(c.Raw)
			sum = s[:]
		} else {
			s := sha1.Sum(c.Raw) // x5t is SHA-1 by definition (RFC 7515)
			sum = s[:]
		}
		if bytes.Equal(sum, presented) {
			return strings.ToUpper(hex.EncodeToString(presented)), c
		}
	}
	return strings.ToUpper(hex.EncodeToString(presented)), nil
}

func decodeThumbprint(s string) []byte {
	if s == "" {
		return nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b
		}
	}
	return nil
}

// tokenEndpointAudience reports whether one of aud is a v1 or v2 token
// endpoint of tenant. The host is not compared: clients reach the
// emulator's authority by whatever name routes there.
func tokenEndpointAudience(aud []string, tenant string) bool {
	for _, a := range aud {
		u, err := url.Parse(a)
		if err != nil || u.Scheme != "https" {
			continue
		}
		p := strings.ToLower(strings.TrimSuffix(u.Path, "/"))
		t := strings.ToLower(tenant)
		if p == "/"+t+"/oauth2/v2.0/token" || p == "/"+t+"/oauth2/token" {
			return true
		}
	}
	return false
}

// requestedCapabilities reads the client capabilities MSAL sends at the
// Entra token endpoint: the "claims" parameter's
// {"access_token":{"xms_cc":{"values":["CP1"]}}}, possibly merged with a
// claims challenge's own claims.
func requestedCapabilities(claims string) []string {
	if claims == "" {
		return nil
	}
	var c struct {
		AccessToken struct {
			XmsCC struct {
				Values []string `json:"values"`
			} `json:"xms_cc"`
		} `json:"access_token"`
	}
	if json.Unmarshal([]byte(claims), &c) != nil {
		return nil
	}
	return c.AccessToken.XmsCC.Values
}

// queryCapabilities reads the managed-identity v1 protocol's xms_cc
// parameter (comma-separated, e.g. "cp1"), honoured by App Service and
// Service Fabric.
func queryCapabilities(q url.Values) []string {
	var caps []string
	for _, v := range q["xms_cc"] {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				caps = append(caps, c)
			}
		}
	}
	return caps
}
