package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/secretkit/secretkit/internal/testutil"
)

// binary is the emulator built once for the tests that run it as a process.
var binary string

func TestMain(m *testing.M) {
	testutil.PoolSigningKeys()
	dir, err := testutil.Binaries(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, "building emulator:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "emulator")
	if sdkKeyDir, err = os.MkdirTemp("", "emulator-sdk-keys-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(sdkKeyDir)
	os.Exit(code)
}

// sdkKeyDir is the key directory of every run of
// TestBinaryServesEveryOperationToTheSDK.
var sdkKeyDir string

// proc is one running emulator process.
type proc struct {
	cmd    *exec.Cmd
	env    map[string]string
	stderr *testutil.Buffer
	client *http.Client
}

// startBinary runs the emulator with args (ports 0 unless given) and waits
// for its client environment on stdout.
func startBinary(t *testing.T, tlsDir string, args ...string) *proc {
	t.Helper()
	all := append([]string{"-vault-addr", "127.0.0.1:0", "-identity-addr", "127.0.0.1:0", "-tls-dir", tlsDir}, args...)
	cmd := exec.Command(binary, all...)
	cmd.Env = append(os.Environ(), "EMULATOR_LOG_LEVEL=debug")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, env: map[string]string{}, stderr: &testutil.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(60 * time.Second)
	for len(p.env) < 7 {
		select {
		case line, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("emulator exited before printing its environment; stderr:\n%s", p.stderr)
			}
			k, v, found := strings.Cut(line, "=")
			if !found {
				t.Fatalf("stdout line %q is not KEY=VALUE", line)
			}
			p.env[k] = v
		case <-deadline:
			t.Fatalf("emulator printed no environment within 60s; stderr:\n%s", p.stderr)
		}
	}
	go func() {
		for range lines {
		}
	}()
	pem, err := os.ReadFile(p.env["SSL_CERT_FILE"])
	if err != nil {
		t.Fatalf("SSL_CERT_FILE: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("SSL_CERT_FILE %s holds no certificate", p.env["SSL_CERT_FILE"])
	}
	p.client = &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		Timeout:   30 * time.Second,
	}
	return p
}

// token gets a Key Vault token from the App Service endpoint the emulator
// advertised.
func (p *proc) token(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest("GET", p.env["IDENTITY_ENDPOINT"]+"?api-version=2019-08-01&resource="+url.QueryEscape("https://vault.azure.net"), nil)
	req.Header.Set("X-IDENTITY-HEADER", p.env["IDENTITY_HEADER"])
	resp, err := p.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&body) != nil || body.AccessToken == "" {
		t.Fatalf("token request: status %d", resp.StatusCode)
	}
	return body.AccessToken
}

// call sends one vault request with a bearer token and decodes the JSON
// answer into out (when non-nil).
func (p *proc) call(token, method, path, body string, out any) (int, error) {
	u := p.env["AZURE_KEYVAULT_URL"] + strings.TrimPrefix(path, "/")
	if strings.Contains(u, "?") {
		u += "&api-version=2026-04-01"
	} else {
		u += "?api-version=2026-04-01"
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("decoding %s: %w", data, err)
		}
	}
	return resp.StatusCode, nil
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("emulator exit after SIGTERM: %v; stderr:\n%s", err, p.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("emulator did not stop within 20s of SIGTERM")
	}
}

type bundle struct {
	Value      string            `json:"value"`
	ID         string            `json:"id"`
	Tags       map[string]string `json:"tags"`
	RecoveryID string            `json:"recoveryId"`
	Attributes struct {
		Enabled *bool `json:"enabled"`
	} `json:"attributes"`
}

type page struct {
	Value    []bundle `json:"value"`
	NextLink *string  `json:"nextLink"`
}

func TestBinaryPrintsClientEnvironment(t *testing.T) {
	p := startBinary(t, t.TempDir(), "-identity-header", "fixed-header")
	for _, key := range []string{"AZURE_KEYVAULT_URL", "AZURE_TENANT_ID", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
		"AZURE_POD_IDENTITY_AUTHORITY_HOST", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"} {
		if p.env[key] == "" {
			t.Errorf("%s missing from the printed environment", key)
		}
	}
	if got := p.env["IDENTITY_HEADER"]; got != "fixed-header" {
		t.Errorf("IDENTITY_HEADER = %q, want the -identity-header value", got)
	}
	if u := p.env["AZURE_KEYVAULT_URL"]; !strings.HasPrefix(u, "https://127.0.0.1:") || !strings.HasSuffix(u, "/") {
		t.Errorf("AZURE_KEYVAULT_URL = %q, want https://127.0.0.1:PORT/", u)
	}
	if e := p.env["IDENTITY_ENDPOINT"]; !strings.HasPrefix(e, "http://127.0.0.1:") || !strings.HasSuffix(e, "/msi/token") {
		t.Errorf("IDENTITY_ENDPOINT = %q", e)
	}
	resp, err := p.client.Get(p.env["AZURE_POD_IDENTITY_AUTHORITY_HOST"] + "/_emulator/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("health: %d", resp.StatusCode)
	}
	p.stop(t)
	if strings.Contains(p.stderr.String(), "fixed-header") {
		t.Error("the identity header secret appeared in the logs")
	}
}

func TestBinaryWritesEnvFile(t *testing.T) {
	envFile := filepath.Join(t.TempDir(), "emulator.env")
	p := startBinary(t, t.TempDir(), "-env-file", envFile)
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range p.env {
		if !strings.Contains(string(data), k+"="+v+"\n") {
			t.Errorf("env file lacks %s=%s", k, v)
		}
	}
}

func TestBinaryRejectsBadConfigWithOneLine(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(cfg, []byte("vaults:\n  - name: myvault\n    retention: 9\n"), 0o600)
	out, err := exec.Command(binary, "-config", cfg, "-tls-dir", t.TempDir(),
		"-vault-addr", "127.0.0.1:0", "-identity-addr", "127.0.0.1:0").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit = %v, want status 2; output:\n%s", err, out)
	}
	msg := strings.TrimSpace(string(out))
	if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "bad.yaml:3") || !strings.Contains(msg, "retention") {
		t.Errorf("want one line naming bad.yaml:3 and the key, got:\n%s", msg)
	}
}

func TestBinaryRejectsUnknownFlag(t *testing.T) {
	out, err := exec.Command(binary, "-no-such-flag").CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 {
		t.Fatalf("exit = %v, want status 2", err)
	}
	if !strings.Contains(string(out), "no-such-flag") {
		t.Errorf("output does not name the flag:\n%s", out)
	}
}

func TestRestartServesAcknowledgedState(t *testing.T) {
	tlsDir, data := t.TempDir(), filepath.Join(t.TempDir(), "state.db")
	p := startBinary(t, tlsDir, "-data", data)
	tok := p.token(t)

	var v1, v2 bundle
	mustCall(t, p, tok, "PUT", "secrets/db-password", `{"value":"first","tags":{"env":"dev"}}`, &v1, 200)
	mustCall(t, p, tok, "PUT", "secrets/db-password", `{"value":"second"}`, &v2, 200)
	mustCall(t, p, tok, "PUT", "secrets/gone", `{"value":"bye"}`, nil, 200)
	mustCall(t, p, tok, "DELETE", "secrets/gone", "", nil, 200)
	mustCall(t, p, tok, "PATCH", "secrets/db-password/"+lastSegment(v1.ID), `{"attributes":{"enabled":false}}`, nil, 200)
	p.stop(t)

	p = startBinary(t, tlsDir, "-data", data)
	tok = p.token(t)
	var got bundle
	mustCall(t, p, tok, "GET", "secrets/db-password/", "", &got, 200)
	// The port differs across restarts, so compare versions, not whole ids.
	if got.Value != "second" || lastSegment(got.ID) != lastSegment(v2.ID) {
		t.Errorf("latest after restart = %q %s, want second %s", got.Value, got.ID, v2.ID)
	}
	var errBody struct {
		Error struct {
			Code       string `json:"code"`
			InnerError struct {
				Code string `json:"code"`
			} `json:"innererror"`
		} `json:"error"`
	}
	mustCall(t, p, tok, "GET", "secrets/db-password/"+lastSegment(v1.ID), "", &errBody, 403)
	if errBody.Error.InnerError.Code != "SecretDisabled" {
		t.Errorf("disabled version after restart: innererror %q, want SecretDisabled", errBody.Error.InnerError.Code)
	}
	var versions page
	mustCall(t, p, tok, "GET", "secrets/db-password/versions", "", &versions, 200)
	if len(versions.Value) != 2 {
		t.Errorf("versions after restart = %d, want 2", len(versions.Value))
	}
	var deleted bundle
	mustCall(t, p, tok, "GET", "deletedsecrets/gone", "", &deleted, 200)
	if deleted.RecoveryID == "" {
		t.Error("deleted secret lost its deleted state across the restart")
	}
	mustCall(t, p, tok, "PUT", "secrets/gone", `{"value":"again"}`, nil, 409)
	mustCall(t, p, tok, "POST", "deletedsecrets/gone/recover", "", nil, 200)
	var recovered bundle
	mustCall(t, p, tok, "GET", "secrets/gone", "", &recovered, 200)
	if recovered.Value != "bye" {
		t.Errorf("recovered value = %q", recovered.Value)
	}
	p.stop(t)
}

// TestKillLosesNoAcknowledgedWrite SIGKILLs the emulator while writers are
// busy and checks that every write that got a 200 is served after restart.
func TestKillLosesNoAcknowledgedWrite(t *testing.T) {
	tlsDir, data := t.TempDir(), filepath.Join(t.TempDir(), "state.db")
	p := startBinary(t, tlsDir, "-data", data)
	tok := p.token(t)

	type ack struct{ name, version, value string }
	var (
		mu    sync.Mutex
		acked []ack
		wg    sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 2000; i++ {
				name := fmt.Sprintf("writer-%d", w)
				value := fmt.Sprintf("w%d-n%d", w, i)
				var b bundle
				status, err := p.call(tok, "PUT", "secrets/"+name, `{"value":"`+value+`"}`, &b)
				if err != nil || status != 200 {
					return // the process is gone
				}
				mu.Lock()
				acked = append(acked, ack{name, lastSegment(b.ID), value})
				mu.Unlock()
			}
		}(w)
	}
	// Let writes accumulate, then kill without warning.
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 200 || ctx.Err() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Kill()
	p.cmd.Wait()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no write was acknowledged before the kill")
	}

	p = startBinary(t, tlsDir, "-data", data)
	tok = p.token(t)
	for _, a := range acked {
		var b bundle
		status, err := p.call(tok, "GET", "secrets/"+a.name+"/"+a.version, "", &b)
		if err != nil || status != 200 || b.Value != a.value {
			t.Fatalf("acknowledged write %s/%s lost after kill -9: status %d err %v value %q", a.name, a.version, status, err, b.Value)
		}
	}
	t.Logf("%d acknowledged writes all survived kill -9", len(acked))
	p.stop(t)
}

func mustCall(t *testing.T, p *proc, tok, method, path, body string, out any, want int) {
	t.Helper()
	status, err := p.call(tok, method, path, body, out)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if status != want {
		t.Fatalf("%s %s: status %d, want %d", method, path, status, want)
	}
}

func lastSegment(id string) string { return id[strings.LastIndex(id, "/")+1:] }

func TestFlagsFallBackToEnvironment(t *testing.T) {
	env := map[string]string{
		"EMULATOR_VAULT_ADDR":      "127.0.0.1:9443",
		"EMULATOR_IDENTITY_ADDR":   "127.0.0.1:9080",
		"EMULATOR_CONFIG":          "/etc/emulator.yaml",
		"EMULATOR_DATA":            "/var/lib/emulator.db",
		"EMULATOR_TLS_DIR":         "/var/lib/emulator-tls",
		"EMULATOR_ENV_FILE":        "/run/emulator.env",
		"EMULATOR_IDENTITY_HEADER": "h",
		"EMULATOR_ADVERTISE_HOST":  "emulator",
		"EMULATOR_FLAVOUR":         "cloudshell",
		"EMULATOR_LOG_FORMAT":      "json",
		"EMULATOR_LOG_LEVEL":       "debug",
	}
	s, src, err := parseFlags([]string{"-data", "/flag/wins.db"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := settings{
		vaultAddr: "127.0.0.1:9443", identityAddr: "127.0.0.1:9080", configPath: "/etc/emulator.yaml",
		dataFile: "/flag/wins.db", tlsDir: "/var/lib/emulator-tls", envFile: "/run/emulator.env",
		identityHeader: "h", advertiseHost: "emulator", logFormat: "json", logLevel: "debug", flavour: "cloudshell",
	}
	if s != want {
		t.Errorf("parseFlags = %+v\nwant %+v", s, want)
	}
	if src.of("data") != "-data" || src.of("log-level") != "EMULATOR_LOG_LEVEL" {
		t.Errorf("sources: data from %s, log-level from %s; want -data and EMULATOR_LOG_LEVEL", src.of("data"), src.of("log-level"))
	}
}

func TestBinaryPrintsTheChosenFlavour(t *testing.T) {
	p := startBinary(t, t.TempDir(), "-flavour", "service-fabric", "-identity-header", "fixed-header")
	if e := p.env["IDENTITY_ENDPOINT"]; !strings.HasPrefix(e, "https://127.0.0.1:") || !strings.HasSuffix(e, "/servicefabric/token") {
		t.Errorf("IDENTITY_ENDPOINT = %q, want the Service Fabric endpoint on the HTTPS listener", e)
	}
	if len(p.env["IDENTITY_SERVER_THUMBPRINT"]) != 40 || p.env["IDENTITY_HEADER"] != "fixed-header" {
		t.Errorf("Service Fabric lines: %v", p.env)
	}
	if _, ok := p.env["AZURE_POD_IDENTITY_AUTHORITY_HOST"]; ok {
		t.Error("the App Service lines were printed too")
	}
	p.stop(t)
}

func TestBinaryWritesTheWorkloadTokenFile(t *testing.T) {
	p := startBinary(t, t.TempDir(), "-flavour", "workload")
	data, err := os.ReadFile(p.env["AZURE_FEDERATED_TOKEN_FILE"])
	if err != nil || strings.Count(string(data), ".") != 2 {
		t.Errorf("AZURE_FEDERATED_TOKEN_FILE %q: %v, want a JWT", p.env["AZURE_FEDERATED_TOKEN_FILE"], err)
	}
	if p.env["AZURE_AUTHORITY_HOST"] == "" || p.env["AZURE_CLIENT_ID"] == "" {
		t.Errorf("workload lines: %v", p.env)
	}
	p.stop(t)
}

func TestUnknownFlavourIsRejectedBeforeStarting(t *testing.T) {
	err := run(context.Background(), []string{"-flavour", "mainframe"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `"mainframe"`) || !strings.Contains(err.Error(), "servicefabric") {
		t.Errorf("run -flavour mainframe: %v", err)
	}
}

func TestBadLogSettingsAreRejected(t *testing.T) {
	for _, args := range [][]string{{"-log-format", "xml"}, {"-log-level", "loud"}} {
		err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), args[1]) {
			t.Errorf("run %v: err = %v, want one naming %q", args, err, args[1])
		}
	}
}

func TestHelpListsEveryFlagAndSucceeds(t *testing.T) {
	out, err := exec.Command(binary, "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("-h: %v\n%s", err, out)
	}
	for _, flag := range []string{"-vault-addr", "-identity-addr", "-config", "-data", "-tls-dir", "-env-file",
		"-identity-header", "-advertise-host", "-flavour", "-log-format", "-log-level"} {
		if !strings.Contains(string(out), flag+" ") || !strings.Contains(string(out), envName(strings.TrimPrefix(flag, "-"))) {
			t.Errorf("-h output does not list %s with its environment variable", flag)
		}
	}
}
