package main

import (
	"context"
	"crypto/x509"
	"errors"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/internal/refusing"
	"github.com/secretkit/secretkit/internal/testutil"
	"github.com/secretkit/secretkit/provider"
)

// In-process emulators take their signing keys from a pool made once per
// machine rather than generating one each.
func init() { testutil.PoolSigningKeys() }

// greeting is the value examples/emulator.yaml seeds.
const greeting = "Hello from the Key Vault emulator!"

// noGetClientID is the "no-get" identity of examples/emulator.yaml.
const noGetClientID = "6f1d0c3e-5b7a-4e21-9c3d-2a8e4f6b1d07"

// startSampleEmulator runs the emulator with the config the quick start and
// docker-compose use, so the file itself is under test.
func startSampleEmulator(t *testing.T) *emulatortest.Emulator {
	t.Helper()
	data, err := os.ReadFile("../emulator.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return emulatortest.Start(t, &emulatortest.Options{ConfigYAML: string(data)})
}

// running is one app under test.
type running struct {
	URL  string
	logs *testutil.Buffer
}

// startApp serves the app for cfg in-process, reading through azurekv + mi
// with opts as the SDK's client options (the test's transport).
func startApp(t *testing.T, cfg config, opts azcore.ClientOptions) *running {
	t.Helper()
	if cfg.SecretName == "" {
		cfg.SecretName = defaultSecretName
	}
	secrets, source, err := openSecrets(context.Background(), cfg, opts)
	if err != nil {
		t.Fatalf("openSecrets: %v", err)
	}
	logs := &testutil.Buffer{}
	a, err := newApp(cfg, secrets, source, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(func() {
		srv.Close()
		a.Close()
		if strings.Contains(logs.String(), greeting) {
			t.Errorf("the secret value appeared in the app's logs:\n%s", logs)
		}
	})
	return &running{URL: srv.URL, logs: logs}
}

// emulatorApp is the app against the in-process emulator at its production
// URL, challenge verification on, as the identity named by selector.
func emulatorApp(t *testing.T, e *emulatortest.Emulator, vault, identity, secret string) *running {
	t.Helper()
	return startApp(t, config{VaultURL: e.VaultURLFor(vault), Identity: identity, SecretName: secret},
		azcore.ClientOptions{Transport: e.Client()})
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, u string) response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func post(t *testing.T, u string, form url.Values) response {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func read(t *testing.T, resp *http.Response) response {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// text returns the unescaped text of the element with the given id (no
// nested elements), or fails the test.
func (r response) text(t *testing.T, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no element #%s in the page (status %d):\n%s", id, r.status, r.body)
	}
	return html.UnescapeString(m[1])
}

func (r response) has(id string) bool { return strings.Contains(r.body, `id="`+id+`"`) }

func TestSecretPageMasksUntilReveal(t *testing.T) {
	e := startSampleEmulator(t)
	app := emulatorApp(t, e, "myvault", "system", "greeting")

	home := get(t, app.URL+"/")
	if home.status != 200 || !home.has("get-secret") {
		t.Fatalf("home: status %d, Get Secret link present %v", home.status, home.has("get-secret"))
	}
	if src := home.text(t, "source"); !strings.Contains(src, "https://myvault.vault.azure.net/") || !strings.Contains(src, "system") {
		t.Errorf("home names the source %q, want the vault URL and the identity", src)
	}

	masked := get(t, app.URL+"/secret")
	if masked.status != 200 {
		t.Fatalf("GET /secret: status %d\n%s", masked.status, masked.body)
	}
	if strings.Contains(masked.body, greeting) {
		t.Fatal("the masked page contains the value")
	}
	if got := masked.text(t, "secret-name"); got != "greeting" {
		t.Errorf("name %q, want greeting", got)
	}
	version := masked.text(t, "secret-version")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(version) {
		t.Errorf("version %q is not a Key Vault version", version)
	}
	if got := masked.text(t, "secret-updated"); !strings.HasSuffix(got, " UTC") {
		t.Errorf("updated %q, want a UTC time", got)
	}
	if got := masked.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}

	revealed := post(t, app.URL+"/secret", url.Values{"version": {version}})
	if revealed.status != 200 {
		t.Fatalf("POST /secret: status %d\n%s", revealed.status, revealed.body)
	}
	if got := revealed.text(t, "secret-value"); got != greeting {
		t.Errorf("revealed value %q, want %q", got, greeting)
	}
	if got := revealed.text(t, "secret-version"); got != version {
		t.Errorf("revealed version %q, want %q", got, version)
	}
}

// The reveal button shows the version the user was looking at, even when a
// newer one was set in between.
func TestRevealShowsTheVersionOnThePage(t *testing.T) {
	e := startSampleEmulator(t)
	app := emulatorApp(t, e, "myvault", "system", "greeting")
	version := get(t, app.URL+"/secret").text(t, "secret-version")

	cred, err := azidentity.NewManagedIdentityCredential(&azidentity.ManagedIdentityCredentialOptions{
		ClientOptions: azcore.ClientOptions{Transport: e.Client()}})
	if err != nil {
		t.Fatal(err)
	}
	client, err := azsecrets.NewClient(e.VaultURLFor("myvault"), cred, &azsecrets.ClientOptions{ClientOptions: azcore.ClientOptions{Transport: e.Client()}})
	if err != nil {
		t.Fatal(err)
	}
	newer := "a newer value"
	if _, err := client.SetSecret(context.Background(), "greeting", azsecrets.SetSecretParameters{Value: &newer}, nil); err != nil {
		t.Fatal(err)
	}

	if got := post(t, app.URL+"/secret", url.Values{"version": {version}}).text(t, "secret-value"); got != greeting {
		t.Errorf("reveal of version %s shows %q, want the value of that version", version, got)
	}
	latest := get(t, app.URL+"/secret").text(t, "secret-version")
	if latest == version {
		t.Fatal("the masked page still shows the old version after a new one was set")
	}
	if got := post(t, app.URL+"/secret", url.Values{"version": {latest}}).text(t, "secret-value"); got != newer {
		t.Errorf("reveal of the latest version shows %q, want %q", got, newer)
	}
}

// errorsConfig has one vault per access model and the secrets each error
// page needs.
const errorsConfig = `
identities:
  - {name: web, kind: system}
  - {name: no-get, kind: user, clientId: ` + noGetClientID + `}
vaults:
  - name: myvault
    access:
      policies:
        - {identity: web, secrets: [all]}
        - {identity: no-get, secrets: [list]}
    secrets:
      - {name: greeting, value: "` + greeting + `"}
      - {name: switched-off, value: "` + greeting + `", enabled: false}
  - name: rbacvault
    access:
      roles:
        - {identity: web, role: Key Vault Secrets Officer}
        - {identity: no-get, role: Key Vault Reader}
    secrets:
      - {name: greeting, value: "` + greeting + `"}
`

func TestErrorPages(t *testing.T) {
	e := emulatortest.Start(t, &emulatortest.Options{ConfigYAML: errorsConfig})
	noRetry := azcore.ClientOptions{Transport: e.Client(), Retry: policy.RetryOptions{MaxRetries: -1}}

	untrusted := e.Client().Transport.(*http.Transport).Clone()
	untrusted.TLSClientConfig.RootCAs = x509.NewCertPool()

	closedURL := "https://" + refusing.Addr(t) + "/"

	identityDown := transportFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Hostname() == "169.254.169.254" {
			return nil, errors.New("no route to the identity endpoint")
		}
		return e.Client().Do(r)
	})

	// throttled answers every vault request 429, as a busy vault does.
	throttled := transportFunc(func(r *http.Request) (*http.Response, error) {
		if strings.HasSuffix(r.URL.Hostname(), ".vault.azure.net") {
			return &http.Response{StatusCode: http.StatusTooManyRequests, Request: r, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(`{"error":{"code":"Throttled","message":"Request was not processed because too many requests were received."}}`))}, nil
		}
		return e.Client().Do(r)
	})
	// forgedToken replaces every bearer token with one the vault cannot
	// verify, as a token from another tenant would be.
	forgedToken := transportFunc(func(r *http.Request) (*http.Response, error) {
		if r.Header.Get("Authorization") != "" {
			r = r.Clone(r.Context())
			r.Header.Set("Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl")
		}
		return e.Client().Do(r)
	})

	cases := []struct {
		name    string
		cfg     config
		opts    azcore.ClientOptions
		status  int
		kind    problemKind
		missing string
		title   string
	}{
		{name: "access policy lacks get",
			cfg:    config{VaultURL: e.VaultURLFor("myvault"), Identity: "client:" + noGetClientID, SecretName: "greeting"},
			opts:   noRetry,
			status: 403, kind: kindPermissionDenied, missing: "get", title: "Permission denied"},
		{name: "RBAC role lacks getSecret",
			cfg:    config{VaultURL: e.VaultURLFor("rbacvault"), Identity: "client:" + noGetClientID, SecretName: "greeting"},
			opts:   noRetry,
			status: 403, kind: kindPermissionDenied, missing: "Microsoft.KeyVault/vaults/secrets/getSecret/action", title: "Permission denied"},
		{name: "identity not assigned",
			cfg:    config{VaultURL: e.VaultURLFor("myvault"), Identity: "client:0a1b2c3d-0000-4000-8000-00000000abcd", SecretName: "greeting"},
			opts:   noRetry,
			status: 403, kind: kindIdentityNotAssigned, title: "The managed identity is not assigned to this app"},
		{name: "identity endpoint down",
			cfg:    config{VaultURL: e.VaultURLFor("myvault"), Identity: "system", SecretName: "greeting"},
			opts:   azcore.ClientOptions{Transport: identityDown, Retry: policy.RetryOptions{MaxRetries: -1}},
			status: 502, kind: kindIdentityFailed, title: "The app could not get a token for its managed identity"},
		{name: "secret not found",
			cfg:    config{VaultURL: e.VaultURLFor("myvault"), Identity: "system", SecretName: "absent"},
			opts:   noRetry,
			status: 404, kind: kindNotFound, title: "Secret not found"},
		{name: "secret disabled",
			cfg:    config{VaultURL: e.VaultURLFor("myvault"), Identity: "system", SecretName: "switched-off"},
			opts:   noRetry,
			status: 403, kind: kindSecretDisabled, title: "The secret is disabled"},
		{name: "certificate not trusted",
			cfg:    config{VaultURL: e.VaultURLFor("myvault"), Identity: "system", SecretName: "greeting"},
			opts:   azcore.ClientOptions{Transport: &http.Client{Transport: untrusted}, Retry: policy.RetryOptions{MaxRetries: -1}},
			status: 502, kind: kindUntrusted, title: "The vault's certificate is not trusted"},
		{name: "vault unreachable",
			cfg:    config{VaultURL: closedURL, Identity: "system", SecretName: "greeting", DisableChallengeResourceVerification: true},
			opts:   noRetry,
			status: 502, kind: kindUnreachable, title: "The vault is unreachable"},
		{name: "vault throttling",
			cfg:    config{VaultURL: e.VaultURLFor("myvault"), Identity: "system", SecretName: "greeting"},
			opts:   azcore.ClientOptions{Transport: throttled, Retry: policy.RetryOptions{MaxRetries: -1}},
			status: 502, kind: kindVaultError, title: "The vault answered with an error"},
		{name: "token the vault cannot verify",
			cfg:    config{VaultURL: e.VaultURLFor("myvault"), Identity: "system", SecretName: "greeting"},
			opts:   azcore.ClientOptions{Transport: forgedToken, Retry: policy.RetryOptions{MaxRetries: -1}},
			status: 403, kind: kindTokenRejected, title: "The vault rejected the app's token"},
		{name: "loopback vault without the verification switch",
			cfg:    config{VaultURL: e.VaultURL, Identity: "system", SecretName: "greeting"},
			opts:   noRetry,
			status: 502, kind: kindChallengeMismatch, title: "The vault's address does not look like a Key Vault address"},
		{name: "name Key Vault cannot hold",
			cfg:    config{VaultURL: e.VaultURLFor("myvault"), Identity: "system", SecretName: "no_underscores"},
			opts:   noRetry,
			status: 400, kind: kindInvalid, title: "The secret name is not valid here"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			app := startApp(t, c.cfg, c.opts)
			r := get(t, app.URL+"/secret")
			if r.status != c.status {
				t.Errorf("status %d, want %d", r.status, c.status)
			}
			if !strings.Contains(r.body, `data-kind="`+string(c.kind)+`"`) {
				t.Errorf("page is not the %s problem:\n%s", c.kind, r.body)
			}
			if got := r.text(t, "problem-title"); got != c.title {
				t.Errorf("title %q, want %q", got, c.title)
			}
			if c.missing != "" {
				if got := r.text(t, "missing-permission"); got != c.missing {
					t.Errorf("missing permission %q, want %q", got, c.missing)
				}
			} else if r.has("missing-permission") {
				t.Errorf("page names a missing permission where none applies")
			}
			if strings.Contains(r.body, greeting) {
				t.Error("the error page contains the secret value")
			}
			if strings.Contains(r.body, "goroutine ") || strings.Contains(r.body, ".go:") {
				t.Error("the error page looks like a stack trace")
			}
			if !strings.Contains(app.logs.String(), "problem="+string(c.kind)) {
				t.Errorf("log does not record the problem kind:\n%s", app.logs)
			}
		})
	}
}

// transportFunc is an SDK transport (policy.Transporter) made of a function.
type transportFunc func(*http.Request) (*http.Response, error)

func (f transportFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// An error that fits no known case still gets a page, not a crash or a
// stack trace.
func TestUnclassifiedErrorPage(t *testing.T) {
	p := failingProvider{err: errors.New("something odd")}
	a, err := newApp(config{SecretName: "greeting"}, p, "a test provider", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	r := get(t, srv.URL+"/secret")
	if r.status != 500 || r.text(t, "problem-title") != "Reading the secret failed" {
		t.Fatalf("status %d, title %q", r.status, r.text(t, "problem-title"))
	}
}

type failingProvider struct{ err error }

func (f failingProvider) GetSecret(context.Context, string, string) (provider.Secret, error) {
	return provider.Secret{}, f.err
}

func TestEnvProviderByURI(t *testing.T) {
	t.Setenv("WEBAPP_TEST_GREETING", "from the environment")
	app := startApp(t, config{ProviderURI: "env://?prefix=WEBAPP_TEST_", SecretName: "greeting"}, azcore.ClientOptions{})
	if got := get(t, app.URL+"/").text(t, "source"); got != "the provider env://?prefix=WEBAPP_TEST_" {
		t.Errorf("source %q", got)
	}
	r := get(t, app.URL+"/secret")
	if got := r.text(t, "secret-version"); got != "(unversioned)" {
		t.Errorf("version %q, want (unversioned)", got)
	}
	if got := post(t, app.URL+"/secret", url.Values{"version": {""}}).text(t, "secret-value"); got != "from the environment" {
		t.Errorf("value %q", got)
	}
}

func TestUnknownPathIsAPlainNotFoundPage(t *testing.T) {
	app := startApp(t, config{ProviderURI: "env://", SecretName: "greeting"}, azcore.ClientOptions{})
	r := get(t, app.URL+"/admin")
	if r.status != 404 || r.text(t, "problem-title") != "No such page" {
		t.Fatalf("status %d\n%s", r.status, r.body)
	}
	if got := get(t, app.URL+"/static/style.css").status; got != 200 {
		t.Errorf("style sheet: status %d", got)
	}
}

// A vault that never answers ends in the read timeout, reported as
// unreachable rather than as an unexplained failure.
func TestTimeoutIsUnreachable(t *testing.T) {
	err := provider.NewError("azurekv", "get", "greeting", nil, context.DeadlineExceeded)
	if got := diagnose(err, config{SecretName: "greeting", VaultURL: "https://myvault.vault.azure.net/"}); got.Kind != kindUnreachable || got.Status != 502 {
		t.Fatalf("diagnosis %s / %d, want %s / 502", got.Kind, got.Status, kindUnreachable)
	}
}
