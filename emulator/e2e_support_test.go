package emulator_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/token"
	"github.com/secretkit/secretkit/internal/testutil"
)

// Shared by the e2e_*_test.go files: they drive the whole emulator
// (emulatortest.Start, real HTTPS, real tokens, real validation) and only
// ever look inside it through what a client or an operator can see — HTTP
// answers, the logs, the files in the TLS directory.

// signingKey loads the emulator's token signing key from its TLS directory,
// where the CA file lives, to mint tokens the issuer never would (wrong
// issuer, past expiry, ...) and prove the validator's checks one by one.
func signingKey(t *testing.T, e *emulatortest.Emulator) *token.Key {
	t.Helper()
	dir := filepath.Dir(e.Server.Authority().CAPath)
	if _, err := os.Stat(filepath.Join(dir, token.KeyFileName)); err != nil {
		t.Fatalf("no signing key beside the CA: %v", err)
	}
	k, err := token.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// logRecords captures the emulator's JSON logs for assertions on what it
// did (which flavour issued a token to whom) and did not do (leak secrets).
type logRecords struct {
	testutil.Buffer
}

func (l *logRecords) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (l *logRecords) text() string { return l.String() }

// records returns every record whose msg is msg.
func (l *logRecords) records(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.text()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// clearManagedIdentityEnv unsets every variable the SDKs use to choose a
// credential or a managed-identity source, so a test sets exactly its own.
func clearManagedIdentityEnv(t *testing.T) {
	t.Helper()
	testutil.ClearAzureCredentialEnv(t)
}

// trustingClient trusts only the CA in caFile, as a Go process started
// with SSL_CERT_FILE=caFile would (SSL_CERT_FILE is read once per process,
// so a test cannot set it). Host names resolve normally.
func trustingClient(t *testing.T, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", caFile)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// localhostClient reaches the vault listener under any *.localhost name
// and port, which Go's resolver does not resolve, trusting the emulator CA.
func localhostClient(t *testing.T, e *emulatortest.Emulator) *http.Client {
	t.Helper()
	vaultAddr := e.Server.VaultAddr().String()
	var d net.Dialer
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, _, err := net.SplitHostPort(addr); err == nil && strings.HasSuffix(host, ".localhost") {
				addr = vaultAddr
			}
			return d.DialContext(ctx, network, addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: e.CAPool, MinVersion: tls.VersionTLS12},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// imdsToken fetches an access token from IMDS at its real address (routed
// by e.Client()) over plain HTTP, the way the SDKs ask: clientID selects a
// user-assigned identity, "" the system one.
func imdsToken(t *testing.T, e *emulatortest.Emulator, clientID, resource string) string {
	t.Helper()
	q := url.Values{"api-version": {"2018-02-01"}, "resource": {resource}}
	if clientID != "" {
		q.Set("client_id", clientID)
	}
	req, err := http.NewRequest(http.MethodGet, "http://169.254.169.254/metadata/identity/oauth2/token?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Metadata", "true")
	return tokenFromClient(t, e.Client(), req)
}

// vaultReply is one raw answer of the vault API.
type vaultReply struct {
	status    int
	challenge string // WWW-Authenticate
	body      []byte
	err       struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError *struct {
			Code string `json:"code"`
		} `json:"innererror"`
	}
}

func (r vaultReply) innerCode() string {
	if r.err.InnerError == nil {
		return ""
	}
	return r.err.InnerError.Code
}

// vaultCall sends one request to the vault API with authorization as the
// whole Authorization header ("" sends none) and decodes any error body.
func vaultCall(t *testing.T, client *http.Client, method, rawURL, authorization, body string) vaultReply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := vaultReply{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate")}
	r.body, _ = io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		var wrapper struct {
			Error *json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(r.body, &wrapper); err != nil || wrapper.Error == nil {
			t.Fatalf("%s %s: %d with a body that is not a Key Vault error: %q", method, rawURL, resp.StatusCode, r.body)
		}
		if err := json.Unmarshal(*wrapper.Error, &r.err); err != nil {
			t.Fatalf("%s %s: error body %q: %v", method, rawURL, r.body, err)
		}
	}
	return r
}
