package jstest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/testutil"

	"github.com/secretkit/secretkit/emulator/emulatortest"
	"github.com/secretkit/secretkit/emulator/identity"
)

// nodeTimeout bounds one run of getsecret.mjs. A run takes about a second;
// the margin covers a loaded CI machine, and the bound makes a hung SDK
// retry loop a failure instead of a stuck test binary.
const nodeTimeout = 60 * time.Second

const (
	dbPassword = "js-sdk-sees-this-value"
	apiKey     = "another-value-for-the-user-identity"
	// listed is how many extra secrets the list test pages through.
	listed = 11
)

// testConfig has a system identity and a user identity allowed to read, an
// outsider that may only list (so get is denied by policy), and the secrets
// the cases read.
func testConfig() string {
	var b strings.Builder
	b.WriteString(`
identities:
  - {name: app, kind: system}
  - {name: worker, kind: user}
  - {name: outsider, kind: user}
  - {name: ci-secret, kind: servicePrincipal, clientSecret: ` + principalSecret + `}
  - {name: ci-cert, kind: servicePrincipal, certificate: ` + principalCertFile() + `}
vaults:
  - name: jsvault
    access:
      policies:
        - {identity: app, secrets: [get, list]}
        - {identity: worker, secrets: [get, list]}
        - {identity: outsider, secrets: [list]}
        - {identity: ci-secret, secrets: [get]}
        - {identity: ci-cert, secrets: [get]}
    secrets:
      - {name: db-password, value: ` + dbPassword + `, contentType: text/plain}
      - {name: api-key, value: ` + apiKey + `}
`)
	for i := range listed {
		fmt.Fprintf(&b, "      - {name: page-%02d, value: v%d}\n", i, i)
	}
	return b.String()
}

// getResult is getsecret.mjs's output for a read.
type getResult struct {
	Name        string  `json:"name"`
	Version     string  `json:"version"`
	ID          string  `json:"id"`
	Enabled     bool    `json:"enabled"`
	ContentType string  `json:"contentType"`
	Value       *string `json:"value"`
}

// listResult is getsecret.mjs's output for --list.
type listResult struct {
	Names []string `json:"names"`
	Pages int      `json:"pages"`
}

// errorResult is getsecret.mjs's output when the SDK call fails.
type errorResult struct {
	Error struct {
		Code       string `json:"code"`
		StatusCode int    `json:"statusCode"`
		Name       string `json:"name"`
	} `json:"error"`
}

// tokenEvent is one answer of the emulator's identity endpoints, as its
// log tells it: a token issued to identity, or a refusal with status.
type tokenEvent struct {
	flavour  string
	identity string // who got the token; empty for a refusal
	status   int64  // the refusal's HTTP status; 0 for a token
}

// tokenLog is a slog.Handler that keeps the identity endpoints' answers, so
// a case can assert which managed-identity source the SDK really used.
type tokenLog struct {
	mu     sync.Mutex
	events []tokenEvent
}

func (l *tokenLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *tokenLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *tokenLog) WithGroup(string) slog.Handler            { return l }

func (l *tokenLog) Handle(_ context.Context, r slog.Record) error {
	var ev tokenEvent
	switch r.Message {
	case "identity token issued", "identity token refused":
	case "entra token issued", "entra token refused":
		ev.flavour = "entra" // the Entra token endpoint names no flavour
	default:
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "flavour":
			ev.flavour = a.Value.String()
		case "identity":
			ev.identity = a.Value.String()
		case "status":
			ev.status = a.Value.Int64()
		}
		return true
	})
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
	return nil
}

// since returns the events after the first n.
func (l *tokenLog) since(n int) []tokenEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.events[n:])
}

func (l *tokenLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// harness is a running emulator plus what a case needs to run Node against it.
type harness struct {
	emu  *emulatortest.Emulator
	node string
	// clientEnv is the emulator's client environment, parsed back from the
	// KEY=VALUE lines cmd/emulator prints (Server.Env), so the lines
	// themselves are what is tested.
	clientEnv map[string]string
	log       *tokenLog
}

// findNodeSDK looks for node on PATH and the pinned SDK packages under dir.
// It returns node's path, or what is missing in words a developer can act on.
func findNodeSDK(dir string) (node, missing string) {
	const fix = "; install Node.js 20+ and run `npm ci` in emulator/jstest (scripts/test does both)"
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "node is not on PATH" + fix
	}
	for _, pkg := range []string{"@azure/identity", "@azure/keyvault-secrets"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			return "", pkg + " is not installed in " + filepath.Join(dir, "node_modules") + fix
		}
	}
	return node, ""
}

// requireNodeSDK returns node's path. Without node or the SDK the test
// fails under CI, where scripts/test must have installed them, and skips on
// a developer machine that has no Node.
func requireNodeSDK(t *testing.T) string {
	t.Helper()
	node, missing := findNodeSDK(".")
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI is set but " + missing)
		}
		t.Skip(missing)
	}
	return node
}

// harnesses are the running emulators the cases share. A case holds one
// harness for its whole run, so that harness's token log records exactly
// that case's events; cases run in parallel, each on a harness of its
// own, and the pool grows to the number of cases running at once (go
// test's -parallel). No case writes to the vault, so a harness a case
// returns serves the next one as new.
var harnesses struct {
	mu   sync.Mutex
	idle []*harness
	all  []*harness
}

func TestMain(m *testing.M) {
	testutil.PoolSigningKeys()
	code := m.Run()
	removePrincipalCert()
	for _, h := range harnesses.all {
		if err := h.emu.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "closing an emulator: %v\n", err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}

// useHarness lends t a harness until t ends, starting one when none is
// idle. Without Node or the SDK it skips t, or fails it under CI.
func useHarness(t *testing.T) *harness {
	t.Helper()
	node := requireNodeSDK(t)
	harnesses.mu.Lock()
	var h *harness
	if n := len(harnesses.idle); n > 0 {
		h, harnesses.idle = harnesses.idle[n-1], harnesses.idle[:n-1]
	}
	harnesses.mu.Unlock()
	if h == nil {
		h = startHarness(t, node)
		harnesses.mu.Lock()
		harnesses.all = append(harnesses.all, h)
		harnesses.mu.Unlock()
	}
	t.Cleanup(func() {
		harnesses.mu.Lock()
		harnesses.idle = append(harnesses.idle, h)
		harnesses.mu.Unlock()
	})
	return h
}

// startHarness starts an emulator that outlives t (TestMain closes it).
func startHarness(t *testing.T, node string) *harness {
	t.Helper()
	log := &tokenLog{}
	emu, err := emulatortest.New(&emulatortest.Options{ConfigYAML: testConfig(), Logger: slog.New(log)})
	if err != nil {
		t.Fatalf("emulatortest: %v", err)
	}
	h := &harness{emu: emu, node: node, log: log}
	if err := h.readClientEnv(); err != nil {
		emu.Close()
		t.Fatal(err)
	}
	return h
}

// readClientEnv parses the client environment the emulator prints.
func (h *harness) readClientEnv() error {
	lines, err := h.emu.Server.Env(identity.AppService)
	if err != nil {
		return fmt.Errorf("Env: %v", err)
	}
	printed := bytes.NewBufferString(lines.String())
	env := map[string]string{}
	sc := bufio.NewScanner(printed)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), "=")
		if !ok || key == "" {
			return fmt.Errorf("client env line %q is not KEY=VALUE", sc.Text())
		}
		env[key] = value
	}
	for _, key := range []string{"AZURE_KEYVAULT_URL", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
		"AZURE_POD_IDENTITY_AUTHORITY_HOST", "NODE_EXTRA_CA_CERTS"} {
		if env[key] == "" {
			return fmt.Errorf("client env has no %s; got keys %v", key, keysOf(env))
		}
	}
	h.clientEnv = env
	return nil
}

func keysOf(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// flavour selects which managed-identity source the client environment
// leaves the SDK.
type flavour struct {
	name string
	// drop lists client env variables removed, so only one source is
	// possible and a pass proves that source works.
	drop []string
	// set overrides client env variables (to present wrong values) and adds
	// ones the App Service lines lack (a service principal's).
	set map[string]string
	// issuedBy is the emulator flavour expected to issue the token.
	issuedBy string
}

var (
	// App Service: without AZURE_POD_IDENTITY_AUTHORITY_HOST a fallback to
	// IMDS would go to 169.254.169.254 and fail, not pass by accident.
	appService = flavour{name: "appservice", drop: []string{"AZURE_POD_IDENTITY_AUTHORITY_HOST"}, issuedBy: "appservice"}
	// IMDS: without IDENTITY_* the SDK has no source but IMDS, which
	// AZURE_POD_IDENTITY_AUTHORITY_HOST moves to the emulator.
	imds = flavour{name: "imds", drop: []string{"IDENTITY_ENDPOINT", "IDENTITY_HEADER"}, issuedBy: "imds"}
	// printed is the environment exactly as printed: the SDK must pick
	// App Service, its first choice.
	printed = flavour{name: "printed", issuedBy: "appservice"}
)

// environ builds Node's environment from scratch: the client env as f
// changes it, plus PATH and HOME. Nothing else is inherited, so a
// developer's own AZURE_*, MSI_* or proxy variables cannot change which
// source the SDK picks or where its requests go.
func (h *harness) environ(f flavour) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for _, key := range keysOf(h.clientEnv) {
		value, overridden := f.set[key]
		if !overridden {
			value = h.clientEnv[key]
		}
		if !slices.Contains(f.drop, key) {
			env = append(env, key+"="+value)
		}
	}
	for _, key := range keysOf(f.set) {
		if _, printed := h.clientEnv[key]; !printed {
			env = append(env, key+"="+f.set[key])
		}
	}
	return env
}

// run runs getsecret.mjs with args under flavour f, fails the test unless
// it exits with wantStatus, and returns its stdout and stderr. A failure
// shows Node's stderr, which carries the SDK's own message.
func (h *harness) run(t *testing.T, f flavour, wantStatus int, args ...string) (stdout, stderr []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), nodeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.node, append([]string{"getsecret.mjs"}, args...)...)
	cmd.Env = h.environ(f)
	cmd.WaitDelay = 5 * time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	status := 0
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		status = exitErr.ExitCode()
	default:
		t.Fatalf("node getsecret.mjs %v (%s): %v (timeout %v)\nstdout:\n%s\nstderr:\n%s",
			args, f.name, err, nodeTimeout, out.Bytes(), errOut.Bytes())
	}
	if status != wantStatus {
		t.Fatalf("node getsecret.mjs %v (%s) exited %d, want %d\nstdout:\n%s\nstderr:\n%s",
			args, f.name, status, wantStatus, out.Bytes(), errOut.Bytes())
	}
	return out.Bytes(), errOut.Bytes()
}

func decode[T any](t *testing.T, out []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("getsecret.mjs output is not the expected JSON: %v\n%s", err, out)
	}
	return v
}

// TestGetSecret reads secrets with ManagedIdentityCredential and
// DefaultAzureCredential through each managed-identity source, as the
// system identity and as a user identity chosen by client id, and checks
// the emulator issued the token through that source to that identity.
func TestGetSecret(t *testing.T) {
	t.Parallel()
	type identityCase struct {
		name     string
		user     bool // chosen by --client-id
		secret   string
		value    string
		identity string // the emulator's name for who got the token
	}
	identities := []identityCase{
		{"system", false, "db-password", dbPassword, "app"},
		{"user", true, "api-key", apiKey, "worker"},
	}
	for _, f := range []flavour{appService, imds} {
		for _, id := range identities {
			for _, credential := range []string{"managed", "default"} {
				t.Run(f.name+"/"+id.name+"/"+credential, func(t *testing.T) {
					t.Parallel()
					h := useHarness(t)
					before := h.log.count()
					args := []string{"--credential", credential, "--reveal"}
					if id.user {
						args = append(args, "--client-id", h.emu.Identity(t, id.identity).ClientID)
					}
					out, _ := h.run(t, f, 0, append(args, id.secret)...)
					got := decode[getResult](t, out)

					if got.Name != id.secret || got.Version == "" || !got.Enabled {
						t.Errorf("got %+v, want secret %s, enabled, with a version", got, id.secret)
					}
					wantID := h.clientEnv["AZURE_KEYVAULT_URL"] + "secrets/" + id.secret + "/" + got.Version
					if got.ID != wantID {
						t.Errorf("id = %q, want %q", got.ID, wantID)
					}
					if got.Value == nil || *got.Value != id.value {
						t.Errorf("value does not match the seeded value of %s", id.secret)
					}
					want := []tokenEvent{{flavour: f.issuedBy, identity: id.identity}}
					if issued := h.log.since(before); !slices.Equal(issued, want) {
						t.Errorf("emulator issued %v, want %v", issued, want)
					}
				})
			}
		}
	}
}

// TestPrintedEnvironment runs the SDK with the client env lines exactly as
// printed, the way a user sources them: App Service wins over IMDS, and the
// value is only printed when asked for.
func TestPrintedEnvironment(t *testing.T) {
	t.Parallel()
	h := useHarness(t)
	before := h.log.count()
	out, _ := h.run(t, printed, 0, "--credential", "default", "db-password")
	if bytes.Contains(out, []byte(dbPassword)) {
		t.Errorf("output without --reveal holds the secret value: %s", out)
	}
	got := decode[getResult](t, out)
	if got.Name != "db-password" || got.ContentType != "text/plain" || got.Value != nil {
		t.Errorf("got %+v, want db-password, text/plain, no value", got)
	}
	want := []tokenEvent{{flavour: "appservice", identity: "app"}}
	if issued := h.log.since(before); !slices.Equal(issued, want) {
		t.Errorf("emulator issued %v, want %v", issued, want)
	}
}

// TestListPages lists the vault in pages smaller than its contents and
// follows nextLink to the end, through both sources.
func TestListPages(t *testing.T) {
	t.Parallel()
	want := []string{"api-key", "db-password"}
	for i := range listed {
		want = append(want, fmt.Sprintf("page-%02d", i))
	}
	slices.Sort(want)
	const pageSize = 4
	wantPages := (len(want) + pageSize - 1) / pageSize
	for _, f := range []flavour{appService, imds} {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			h := useHarness(t)
			out, _ := h.run(t, f, 0, "--list", "--page-size", fmt.Sprint(pageSize))
			got := decode[listResult](t, out)
			if !slices.Equal(got.Names, want) {
				t.Errorf("listed %v, want %v", got.Names, want)
			}
			if got.Pages != wantPages {
				t.Errorf("fetched %d pages of at most %d, want %d", got.Pages, pageSize, wantPages)
			}
		})
	}
	t.Run("default-page-size", func(t *testing.T) {
		t.Parallel()
		h := useHarness(t)
		out, _ := h.run(t, imds, 0, "--list")
		got := decode[listResult](t, out)
		if !slices.Equal(got.Names, want) {
			t.Errorf("listed %v, want %v", got.Names, want)
		}
	})
}

// TestErrors checks the error each failure surfaces in the JS SDK, that
// getsecret.mjs exits 1 with that code, and what the identity endpoints
// answered on the way.
func TestErrors(t *testing.T) {
	t.Parallel()
	const outsider = "{outsider}" // replaced by the outsider's client id
	const unknownClientID = "00000000-0000-4000-8000-000000000001"
	wrongHeader := appService
	wrongHeader.set = map[string]string{"IDENTITY_HEADER": "not-the-emulator-header"}
	cases := []struct {
		name   string
		f      flavour
		args   []string
		code   string
		status int // the vault's HTTP status; 0 when no vault call was made
		events []tokenEvent
	}{
		// A policy without get: the vault answers 403 Forbidden to a caller
		// the identity endpoint authenticated.
		{"denied-by-policy/appservice", appService,
			[]string{"--client-id", outsider, "db-password"}, "Forbidden", 403,
			[]tokenEvent{{flavour: "appservice", identity: "outsider"}}},
		{"denied-by-policy/imds", imds,
			[]string{"--credential", "default", "--client-id", outsider, "db-password"}, "Forbidden", 403,
			[]tokenEvent{{flavour: "imds", identity: "outsider"}}},
		{"secret-not-found", imds, []string{"no-such-secret"}, "SecretNotFound", 404,
			[]tokenEvent{{flavour: "imds", identity: "app"}}},
		// No token, so the vault is never called: the credential fails.
		{"unknown-identity/imds", imds,
			[]string{"--client-id", unknownClientID, "db-password"}, "CredentialUnavailableError", 0,
			[]tokenEvent{{flavour: "imds", status: 400}}},
		{"unknown-identity/appservice", appService,
			[]string{"--client-id", unknownClientID, "db-password"}, "CredentialUnavailableError", 0,
			[]tokenEvent{{flavour: "appservice", status: 400}}},
		{"wrong-identity-header", wrongHeader,
			[]string{"db-password"}, "CredentialUnavailableError", 0,
			[]tokenEvent{{flavour: "appservice", status: 401}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := useHarness(t)
			args := slices.Clone(c.args)
			if i := slices.Index(args, outsider); i >= 0 {
				args[i] = h.emu.Identity(t, "outsider").ClientID
			}
			before := h.log.count()
			out, stderr := h.run(t, c.f, 1, args...)
			got := decode[errorResult](t, out)
			if got.Error.Code != c.code || got.Error.StatusCode != c.status {
				t.Errorf("error = %+v, want code %s status %d", got.Error, c.code, c.status)
			}
			if !bytes.HasPrefix(stderr, []byte(c.code+": ")) {
				t.Errorf("stderr does not start with the code %s:\n%s", c.code, stderr)
			}
			for _, stream := range [][]byte{out, stderr} {
				if bytes.Contains(stream, []byte(dbPassword)) {
					t.Errorf("output holds the secret value: %s", stream)
				}
			}
			if events := h.log.since(before); !slices.Equal(events, c.events) {
				t.Errorf("identity endpoints answered %v, want %v", events, c.events)
			}
		})
	}
}

// TestUsageErrors checks getsecret.mjs refuses bad invocations with exit
// status 2 before calling anything.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	noVault := imds
	noVault.drop = append(slices.Clone(imds.drop), "AZURE_KEYVAULT_URL")
	cases := []struct {
		name string
		f    flavour
		args []string
		want string // on stderr
	}{
		{"no-vault-url", noVault, []string{"db-password"}, "AZURE_KEYVAULT_URL is not set"},
		{"no-name", imds, nil, "usage: node getsecret.mjs"},
		{"two-names", imds, []string{"a", "b"}, "usage: node getsecret.mjs"},
		{"list-with-name", imds, []string{"--list", "a"}, "usage: node getsecret.mjs"},
		{"page-size-without-list", imds, []string{"--page-size", "3", "a"}, "--page-size needs --list"},
		{"page-size-zero", imds, []string{"--list", "--page-size", "0"}, "--page-size needs --list"},
		{"unknown-credential", imds, []string{"--credential", "cli", "a"}, `unknown --credential "cli"`},
		{"unknown-flag", imds, []string{"--bogus", "a"}, "Unknown option '--bogus'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := useHarness(t)
			before := h.log.count()
			out, stderr := h.run(t, c.f, 2, c.args...)
			if len(out) != 0 || !bytes.Contains(stderr, []byte(c.want)) {
				t.Errorf("stdout %q, stderr %q; want no stdout and %q on stderr", out, stderr, c.want)
			}
			if events := h.log.since(before); len(events) != 0 {
				t.Errorf("a refused invocation asked for a token: %v", events)
			}
		})
	}
}

// TestFindNodeSDK checks the message a machine without the SDK gets, which
// decides between skip and failure.
func TestFindNodeSDK(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
	dir := t.TempDir()
	if _, missing := findNodeSDK(dir); !strings.Contains(missing, "@azure/identity is not installed") ||
		!strings.Contains(missing, "npm ci") {
		t.Errorf("empty directory: missing = %q, want it to name @azure/identity and npm ci", missing)
	}
	pkg := filepath.Join(dir, "node_modules", "@azure", "identity")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pkg, "package.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, missing := findNodeSDK(dir); !strings.Contains(missing, "@azure/keyvault-secrets is not installed") {
		t.Errorf("identity only: missing = %q, want it to name @azure/keyvault-secrets", missing)
	}
}
