package emulator_test

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/testutil"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/golang-jwt/jwt/v5"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/identity"
)

// Service principals: what CI pipelines use. The credentials under test
// are the Go SDK's own (ClientSecretCredential, ClientCertificateCredential,
// EnvironmentCredential, DefaultAzureCredential), talking to the emulator's
// Entra token endpoint through the production authority host
// login.microsoftonline.com, which emulatortest's transport routes to it.

const principalSecret = "ci-secret-0123456789abcdef"

// principalCerts are PEM files (certificate + key) made once per test
// binary: RSA key generation is the slow part.
var principalCerts struct {
	once                   sync.Once
	dir                    string
	good, foreign, expired string
	generationErr          error
}

func certFiles(t *testing.T) (good, foreign, expired string) {
	t.Helper()
	principalCerts.once.Do(func() {
		dir, err := os.MkdirTemp("", "secretkit-principal-certs-")
		if err != nil {
			principalCerts.generationErr = err
			return
		}
		principalCerts.dir = dir
		now := time.Now()
		for _, c := range []struct {
			path      *string
			name      string
			from, til time.Time
		}{
			{&principalCerts.good, "ci", now.Add(-time.Hour), now.Add(365 * 24 * time.Hour)},
			{&principalCerts.foreign, "someone-else", now.Add(-time.Hour), now.Add(365 * 24 * time.Hour)},
			{&principalCerts.expired, "ci-old", now.Add(-400 * 24 * time.Hour), now.Add(-35 * 24 * time.Hour)},
		} {
			*c.path = filepath.Join(dir, c.name+".pem")
			if err := testutil.WriteSelfSignedCert(*c.path, c.name, c.from, c.til); err != nil {
				principalCerts.generationErr = err
				return
			}
		}
	})
	if principalCerts.generationErr != nil {
		t.Fatal(principalCerts.generationErr)
	}
	return principalCerts.good, principalCerts.foreign, principalCerts.expired
}

func TestMain(m *testing.M) {
	testutil.PoolSigningKeys()
	code := m.Run()
	if principalCerts.dir != "" {
		os.RemoveAll(principalCerts.dir)
	}
	os.Exit(code)
}

// principalsConfig has a principal with a secret, one with a certificate,
// one whose registered certificate has expired, and one that may only
// read metadata (Key Vault Reader).
func principalsConfig(t *testing.T) string {
	good, _, expired := certFiles(t)
	return fmt.Sprintf(`
tokenLifetime: 1h
tlsNames: [login.microsoftonline.com]
identities:
  - {name: vm, kind: system}
  - {name: ci-secret, kind: servicePrincipal, clientSecret: %s}
  - {name: ci-cert, kind: servicePrincipal, certificate: %s}
  - {name: ci-expired, kind: servicePrincipal, certificate: %s}
  - {name: ci-reader, kind: servicePrincipal, clientSecret: reader-secret-value}
vaults:
  - name: flavours
    access:
      roles:
        - {identity: ci-secret, role: Key Vault Secrets User}
        - {identity: ci-cert, role: Key Vault Secrets User}
        - {identity: ci-expired, role: Key Vault Secrets User}
        - {identity: ci-reader, role: Key Vault Reader}
        - {identity: vm, role: Key Vault Secrets User}
    secrets:
      - {name: greeting, value: %s}
`, principalSecret, good, expired, greetingValue)
}

// productionAuthority is how the tests reach the Entra endpoint: the real
// authority host, routed to the emulator by its transport.
func productionAuthority(e *emulatortest.Emulator) azcore.ClientOptions {
	return azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: "https://login.microsoftonline.com/"},
		Transport: e.Client(),
		Retry:     policy.RetryOptions{MaxRetries: -1},
	}
}

// secretCredential is a ClientSecretCredential for the service principal
// clientID, reaching the emulator's Entra endpoint.
func secretCredential(t *testing.T, e *emulatortest.Emulator, clientID, secret string) azcore.TokenCredential {
	t.Helper()
	c, err := azidentity.NewClientSecretCredential(e.Config.Tenant, clientID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: productionAuthority(e), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// certFileCredentials reads a PEM file of certificate and key, as
// azidentity reads AZURE_CLIENT_CERTIFICATE_PATH.
func certFileCredentials(t *testing.T, file string) ([]*x509.Certificate, crypto.PrivateKey) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	certs, key, err := azidentity.ParseCertificates(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return certs, key
}

// certCredential is a ClientCertificateCredential for the service
// principal clientID with the certificate and key in file.
func certCredential(t *testing.T, e *emulatortest.Emulator, clientID, file string) azcore.TokenCredential {
	t.Helper()
	certs, key := certFileCredentials(t, file)
	c, err := azidentity.NewClientCertificateCredential(e.Config.Tenant, clientID, certs, key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: productionAuthority(e), DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestServicePrincipalCredentialsReadASecret(t *testing.T) {
	t.Parallel()
	logs := &logRecords{}
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: principalsConfig(t), Logger: logs.logger()})
	good, _, _ := certFiles(t)
	secretCred := secretCredential(t, e, e.Identity(t, "ci-secret").ClientID, principalSecret)
	certCred := certCredential(t, e, e.Identity(t, "ci-cert").ClientID, good)
	for _, tc := range []struct {
		name string
		cred azcore.TokenCredential
		who  string
	}{{"ClientSecretCredential", secretCred, "ci-secret"}, {"ClientCertificateCredential", certCred, "ci-cert"}} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(logs.records(t, "entra token issued"))
			readGreeting(t, e.VaultURLFor("flavours"), tc.cred, e.Client(), true)
			recs := logs.records(t, "entra token issued")[before:]
			if len(recs) != 1 || recs[0]["identity"] != tc.who {
				t.Errorf("entra tokens issued: %v, want one to %s", recs, tc.who)
			}
		})
	}
	if strings.Contains(logs.text(), principalSecret) {
		t.Error("the emulator logged the client secret")
	}
}

// EnvironmentCredential and DefaultAzureCredential read the lines
// Env(identity.ServicePrincipal) prints: with a secret, and (for a config
// whose principal has only a certificate) with the certificate path.
func TestServicePrincipalFromPrintedEnv(t *testing.T) {
	good, _, _ := certFiles(t)
	for _, tc := range []struct {
		name, config, wantKey string
	}{
		{"secret", principalsConfig(t), "AZURE_CLIENT_SECRET"},
		{"certificate", "identities:\n  - {name: ci-cert, kind: servicePrincipal, certificate: " + good + "}\n" +
			"vaults:\n  - name: flavours\n    secrets:\n      - {name: greeting, value: " + greetingValue + "}\n", "AZURE_CLIENT_CERTIFICATE_PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: tc.config})
			env, err := e.Server.Env(identity.ServicePrincipal)
			if err != nil {
				t.Fatal(err)
			}
			if envValue(env, tc.wantKey) == "" || envValue(env, "AZURE_AUTHORITY_HOST") != e.VaultURL {
				t.Fatalf("Env(serviceprincipal) = %v, want %s and AZURE_AUTHORITY_HOST=%s", env, tc.wantKey, e.VaultURL)
			}
			clearManagedIdentityEnv(t)
			for _, kv := range env {
				t.Setenv(kv.Key, kv.Value)
			}
			client := trustingClient(t, envValue(env, "SSL_CERT_FILE"))
			opts := azcore.ClientOptions{Transport: client, Retry: policy.RetryOptions{MaxRetries: -1}}
			envCred, err := azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
			if err != nil {
				t.Fatal(err)
			}
			readGreeting(t, envValue(env, "AZURE_KEYVAULT_URL"), envCred, client, false)
			defaultCred, err := azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
			if err != nil {
				t.Fatal(err)
			}
			readGreeting(t, envValue(env, "AZURE_KEYVAULT_URL"), defaultCred, client, false)
		})
	}
}

// entraRefusal is the AADSTS code and OAuth error in an Entra error body.
func entraRefusal(t *testing.T, err error) (status, code int, oauth string) {
	t.Helper()
	var afe *azidentity.AuthenticationFailedError
	if !errors.As(err, &afe) || afe.RawResponse == nil {
		t.Fatalf("error %v is not an AuthenticationFailedError with the response", err)
	}
	body, _ := io.ReadAll(afe.RawResponse.Body)
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Codes       []int  `json:"error_codes"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Codes) != 1 || !strings.HasPrefix(e.Description, fmt.Sprintf("AADSTS%d: ", e.Codes[0])) {
		t.Fatalf("Entra error body %s", body)
	}
	return afe.RawResponse.StatusCode, e.Codes[0], e.Error
}

func TestServicePrincipalRefusals(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: principalsConfig(t)})
	good, foreign, expired := certFiles(t)
	scope := policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}
	unknown := "00000000-1111-4222-8333-444444444444"
	for _, tc := range []struct {
		name       string
		cred       func(t *testing.T) azcore.TokenCredential
		status     int
		code       int
		oauthError string
	}{
		{"wrong secret", func(t *testing.T) azcore.TokenCredential {
			return secretCredential(t, e, e.Identity(t, "ci-secret").ClientID, "not-the-secret")
		}, 401, 7000215, "invalid_client"},
		{"secret of a certificate-only principal", func(t *testing.T) azcore.TokenCredential {
			return secretCredential(t, e, e.Identity(t, "ci-cert").ClientID, principalSecret)
		}, 401, 7000215, "invalid_client"},
		{"foreign certificate", func(t *testing.T) azcore.TokenCredential {
			return certCredential(t, e, e.Identity(t, "ci-cert").ClientID, foreign)
		}, 401, 700027, "invalid_client"},
		{"another principal's certificate", func(t *testing.T) azcore.TokenCredential {
			return certCredential(t, e, e.Identity(t, "ci-expired").ClientID, good)
		}, 401, 700027, "invalid_client"},
		{"expired certificate", func(t *testing.T) azcore.TokenCredential {
			return certCredential(t, e, e.Identity(t, "ci-expired").ClientID, expired)
		}, 401, 700027, "invalid_client"},
		{"unknown client with a secret", func(t *testing.T) azcore.TokenCredential {
			return secretCredential(t, e, unknown, principalSecret)
		}, 400, 700016, "unauthorized_client"},
		{"unknown client with a certificate", func(t *testing.T) azcore.TokenCredential {
			return certCredential(t, e, unknown, good)
		}, 400, 700016, "unauthorized_client"},
		{"managed identity with a secret", func(t *testing.T) azcore.TokenCredential {
			return secretCredential(t, e, e.Identity(t, "vm").ClientID, principalSecret)
		}, 401, 7000215, "invalid_client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.cred(t).GetToken(context.Background(), scope)
			status, code, oauth := entraRefusal(t, err)
			if status != tc.status || code != tc.code || oauth != tc.oauthError {
				t.Errorf("got %d AADSTS%d %s, want %d AADSTS%d %s", status, code, oauth, tc.status, tc.code, tc.oauthError)
			}
			if strings.Contains(err.Error(), principalSecret) {
				t.Error("the error repeats the client secret")
			}
		})
	}
}

// The assertion checks beyond the certificate, on raw requests: the
// audience must be this tenant's token endpoint, iss and sub the client.
func TestServicePrincipalAssertionClaims(t *testing.T) {
	t.Parallel()
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: principalsConfig(t)})
	good, _, _ := certFiles(t)
	certs, key := certFileCredentials(t, good)
	client := e.Identity(t, "ci-cert").ClientID
	endpoint := "https://login.microsoftonline.com/" + e.Config.Tenant + "/oauth2/v2.0/token"
	now := time.Now()
	for _, tc := range []struct {
		name   string
		claims map[string]any
		code   int
	}{
		{"valid", map[string]any{"aud": endpoint, "iss": client, "sub": client}, 0},
		{"v1 endpoint audience", map[string]any{"aud": "https://login.microsoftonline.com/" + e.Config.Tenant + "/oauth2/token", "iss": client, "sub": client}, 0},
		{"audience of another tenant", map[string]any{"aud": "https://login.microsoftonline.com/common/oauth2/v2.0/token", "iss": client, "sub": client}, 700027},
		{"issuer not the client", map[string]any{"aud": endpoint, "iss": "someone", "sub": client}, 700021},
		{"expired", map[string]any{"aud": endpoint, "iss": client, "sub": client, "nbf": now.Add(-time.Hour).Unix(), "exp": now.Add(-30 * time.Minute).Unix()}, 700024},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims := map[string]any{"jti": "j-" + tc.name, "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
			for k, v := range tc.claims {
				claims[k] = v
			}
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "scope": {"https://vault.azure.net/.default"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion":      {signAssertion(t, certs[0], key, claims)}}
			resp, err := e.Client().PostForm(endpoint, form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if tc.code == 0 {
				if resp.StatusCode != 200 {
					t.Fatalf("%d %s, want 200", resp.StatusCode, body)
				}
				return
			}
			var out struct {
				Codes []int `json:"error_codes"`
			}
			if json.Unmarshal(body, &out) != nil || !slices.Equal(out.Codes, []int{tc.code}) {
				t.Errorf("%d %s, want AADSTS%d", resp.StatusCode, body, tc.code)
			}
		})
	}
}

// signAssertion signs claims as MSAL does: PS256 with the certificate's
// SHA-256 thumbprint in x5t#S256 (base64url, MSAL Node's spelling; MSAL Go
// writes standard base64, which the SDK cases above cover).
func signAssertion(t *testing.T, cert *x509.Certificate, key crypto.PrivateKey, claims map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodPS256, jwt.MapClaims(claims))
	sum := sha256.Sum256(cert.Raw)
	tok.Header["x5t#S256"] = base64.RawURLEncoding.EncodeToString(sum[:])
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
