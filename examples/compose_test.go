// Package examples holds the runnable sample (webapp) and the files that
// run it and the emulator (whose image probes itself with cmd/healthprobe)
// in containers. Its tests keep docker-compose.yml and the Dockerfiles
// honest without a Docker engine: every flag and variable they use must be
// one the programs accept, and the web app's settings must be what the
// emulator, started with the compose settings, prints.
package examples

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/internal/testutil"
)

// bin holds the programs the compose file runs, built once.
var bin = map[string]string{}

func TestMain(m *testing.M) {
	testutil.PoolSigningKeys()
	pkgs := []string{"../cmd/emulator", "./webapp", "../cmd/healthprobe"}
	dir, err := testutil.Binaries(pkgs...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, pkg := range pkgs {
		bin[filepath.Base(pkg)] = filepath.Join(dir, filepath.Base(pkg))
	}
	os.Exit(m.Run())
}

// compose is the part of the compose file format the sample uses.
type compose struct {
	Name     string             `yaml:"name"`
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Build struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Sysctls     map[string]int    `yaml:"sysctls"`
	Volumes     []string          `yaml:"volumes"`
	Networks    map[string]struct {
		Aliases []string `yaml:"aliases"`
	} `yaml:"networks"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Ports []string `yaml:"ports"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	data, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true) // a key this test does not model is a key it does not check
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"emulator", "webapp"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("docker-compose.yml has no %q service", name)
		}
	}
	return c
}

// mount is one "source:target[:ro]" volume entry.
type mount struct {
	source, target string
	readOnly       bool
}

func (s service) mounts(t *testing.T) []mount {
	t.Helper()
	var ms []mount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || len(parts) > 3 {
			t.Fatalf("volume %q is not source:target[:mode]", v)
		}
		ms = append(ms, mount{source: parts[0], target: parts[1], readOnly: len(parts) == 3 && parts[2] == "ro"})
	}
	return ms
}

// mountFor returns the mount whose target holds containerPath.
func (s service) mountFor(t *testing.T, containerPath string) (mount, bool) {
	for _, m := range s.mounts(t) {
		if containerPath == m.target || strings.HasPrefix(containerPath, m.target+"/") {
			return m, true
		}
	}
	return mount{}, false
}

// accepted is what a program's -h output says it accepts.
type accepted struct {
	flags, env map[string]bool
}

var (
	helpFlag = regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)
	helpEnv  = regexp.MustCompile(`\(env ([A-Z][A-Z0-9_]*)\)`)
)

func acceptedBy(t *testing.T, program string) accepted {
	t.Helper()
	out, err := exec.Command(bin[program], "-h").CombinedOutput()
	if err != nil {
		t.Fatalf("%s -h: %v\n%s", program, err, out)
	}
	a := accepted{flags: map[string]bool{}, env: map[string]bool{}}
	for _, m := range helpFlag.FindAllStringSubmatch(string(out), -1) {
		a.flags[m[1]] = true
	}
	for _, m := range helpEnv.FindAllStringSubmatch(string(out), -1) {
		a.env[m[1]] = true
	}
	if len(a.flags) < 3 || len(a.env) < 3 {
		t.Fatalf("%s -h lists too little to check against:\n%s", program, out)
	}
	return a
}

// sdkEnv are variables the Azure SDK (not the app) reads, which the app may
// therefore be given.
var sdkEnv = map[string]bool{
	"IDENTITY_ENDPOINT": true, "IDENTITY_HEADER": true, "SSL_CERT_FILE": true, "SSL_CERT_DIR": true,
	"AZURE_CLIENT_ID": true, "AZURE_TENANT_ID": true,
}

func TestComposeUsesOnlyAcceptedSettings(t *testing.T) {
	c := loadCompose(t)
	emu, app := acceptedBy(t, "emulator"), acceptedBy(t, "webapp")

	for _, arg := range c.Services["emulator"].Command {
		if name, ok := strings.CutPrefix(arg, "-"); ok {
			name, _, _ = strings.Cut(strings.TrimPrefix(name, "-"), "=")
			if !emu.flags[name] {
				t.Errorf("emulator command uses -%s, which the emulator does not accept", name)
			}
		}
	}
	for key := range c.Services["emulator"].Environment {
		if !emu.env[key] {
			t.Errorf("emulator environment sets %s, which the emulator does not read", key)
		}
	}
	for key := range c.Services["webapp"].Environment {
		if !app.env[key] && !sdkEnv[key] {
			t.Errorf("webapp environment sets %s, which neither the app nor the Azure SDK reads", key)
		}
	}
	for key := range dockerfileEnv(t, "../Dockerfile") {
		if !emu.env[key] {
			t.Errorf("Dockerfile sets %s, which the emulator does not read", key)
		}
	}
	for key := range dockerfileEnv(t, "webapp/Dockerfile") {
		if !app.env[key] {
			t.Errorf("webapp/Dockerfile sets %s, which the app does not read", key)
		}
	}
	for name, s := range c.Services {
		df := filepath.Join(s.Build.Context, s.Build.Dockerfile)
		if _, err := os.Stat(df); err != nil {
			t.Errorf("service %s builds from %s: %v", name, df, err)
		}
	}
	if got := c.Services["webapp"].DependsOn["emulator"].Condition; got != "service_healthy" {
		t.Errorf("webapp waits for the emulator with condition %q, want service_healthy (the CA file must exist first)", got)
	}
}

// dockerfileEnv returns the ENV settings of a Dockerfile, continuation
// lines joined.
func dockerfileEnv(t *testing.T, file string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, inst := range dockerfileInstructions(t, file) {
		args, ok := strings.CutPrefix(inst, "ENV ")
		if !ok {
			continue
		}
		for _, kv := range strings.Fields(args) {
			k, v, found := strings.Cut(kv, "=")
			if !found {
				t.Fatalf("%s: ENV %q is not KEY=VALUE", file, kv)
			}
			env[k] = v
		}
	}
	return env
}

func dockerfileInstructions(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if body, cont := strings.CutSuffix(trimmed, "\\"); cont {
			cur.WriteString(body + " ")
			continue
		}
		cur.WriteString(trimmed)
		out = append(out, cur.String())
		cur.Reset()
	}
	return out
}

// The emulator started as compose starts it (listeners moved to free
// loopback ports, container paths moved to a temporary directory) prints
// the identity endpoint, header and CA file the web app is configured with.
func TestComposeAppEnvMatchesEmulator(t *testing.T) {
	c := loadCompose(t)
	emuSvc, appSvc := c.Services["emulator"], c.Services["webapp"]
	image := dockerfileEnv(t, "../Dockerfile")
	root := t.TempDir()

	// The container's environment: the image's ENV, then compose's.
	containerEnv := map[string]string{}
	maps.Copy(containerEnv, image)
	maps.Copy(containerEnv, emuSvc.Environment)
	// hostPath maps a container path to where the test keeps it: a bind
	// mount's source, or a directory under root for anything else.
	hostPath := func(p string) string {
		if m, ok := emuSvc.mountFor(t, p); ok && (strings.HasPrefix(m.source, "./") || strings.HasPrefix(m.source, "../")) {
			return filepath.Join(m.source, strings.TrimPrefix(p, m.target))
		}
		return filepath.Join(root, p)
	}
	args := slices.Clone(emuSvc.Command)
	for i := range args {
		if strings.HasPrefix(args[i], "/") {
			args[i] = hostPath(args[i])
		}
	}
	listen := map[string]string{}
	procEnv := []string{}
	for k, v := range containerEnv {
		switch {
		case strings.HasSuffix(k, "_ADDR"):
			listen[k] = v
			v = "127.0.0.1:0"
		case strings.HasPrefix(v, "/"):
			v = hostPath(v)
			if err := os.MkdirAll(filepath.Dir(v), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		procEnv = append(procEnv, k+"="+v)
	}
	printed, identityAddr := runEmulator(t, args, procEnv)

	appEnv := appSvc.Environment
	// Identity endpoint: the advertised host and the compose listener's port.
	got, err := url.Parse(printed["IDENTITY_ENDPOINT"])
	if err != nil {
		t.Fatal(err)
	}
	_, composeIdentityPort, err := net.SplitHostPort(listen["EMULATOR_IDENTITY_ADDR"])
	if err != nil {
		t.Fatalf("EMULATOR_IDENTITY_ADDR %q: %v", listen["EMULATOR_IDENTITY_ADDR"], err)
	}
	_, actualPort, _ := net.SplitHostPort(identityAddr)
	if got.Port() != actualPort {
		t.Fatalf("printed IDENTITY_ENDPOINT %s is not on the identity listener's port %s", got, actualPort)
	}
	got.Host = net.JoinHostPort(got.Hostname(), composeIdentityPort)
	if want := appEnv["IDENTITY_ENDPOINT"]; got.String() != want {
		t.Errorf("webapp IDENTITY_ENDPOINT %q, but the emulator in compose prints %q", want, got)
	}
	if !slices.Contains(mapKeys(c.Services), got.Hostname()) {
		t.Errorf("IDENTITY_ENDPOINT host %q is not a compose service", got.Hostname())
	}
	if printed["IDENTITY_HEADER"] != appEnv["IDENTITY_HEADER"] {
		t.Errorf("webapp IDENTITY_HEADER differs from the one the emulator prints")
	}

	// CA file: the printed path, seen from the app's container.
	tlsDir := containerEnv["EMULATOR_TLS_DIR"]
	rel, err := filepath.Rel(hostPath(tlsDir), printed["SSL_CERT_FILE"])
	if err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("printed SSL_CERT_FILE %s is not under the TLS directory %s", printed["SSL_CERT_FILE"], tlsDir)
	}
	wantCA := path.Join(tlsDir, filepath.ToSlash(rel))
	if appEnv["SSL_CERT_FILE"] != wantCA {
		t.Errorf("webapp SSL_CERT_FILE %q, but the emulator writes its CA to %q", appEnv["SSL_CERT_FILE"], wantCA)
	}
	emuTLS, ok := emuSvc.mountFor(t, tlsDir)
	appTLS, ok2 := appSvc.mountFor(t, appEnv["SSL_CERT_FILE"])
	if !ok || !ok2 || emuTLS.source != appTLS.source || emuTLS.target != appTLS.target {
		t.Errorf("the app does not mount the emulator's TLS volume where SSL_CERT_FILE points (emulator %+v, app %+v)", emuTLS, appTLS)
	}
	if !appTLS.readOnly {
		t.Errorf("the app mounts the emulator's TLS volume writable")
	}

	// Vault: the production URL is a network alias of the emulator, on the
	// port the vault listens on, and names a vault that holds the secret.
	vaultURL, err := url.Parse(appEnv["AZURE_KEYVAULT_URL"])
	if err != nil || vaultURL.Scheme != "https" {
		t.Fatalf("webapp AZURE_KEYVAULT_URL %q is not an https URL", appEnv["AZURE_KEYVAULT_URL"])
	}
	if !slices.Contains(emuSvc.Networks["default"].Aliases, vaultURL.Hostname()) {
		t.Errorf("vault host %s is not a network alias of the emulator", vaultURL.Hostname())
	}
	vaultPort := vaultURL.Port()
	if vaultPort == "" {
		vaultPort = "443"
	}
	_, listenPort, _ := net.SplitHostPort(listen["EMULATOR_VAULT_ADDR"])
	if listenPort != vaultPort {
		t.Errorf("the app calls the vault on port %s, the emulator listens on %s", vaultPort, listenPort)
	}
	if listenPort == "443" && emuSvc.Sysctls["net.ipv4.ip_unprivileged_port_start"] != 0 {
		t.Errorf("the emulator binds 443 as a non-root user without net.ipv4.ip_unprivileged_port_start: 0")
	}
	if _, disabled := appEnv["WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION"]; disabled {
		t.Errorf("compose turns challenge verification off; the production URL needs no such switch")
	}
	// args already hold host paths.
	cfg, err := config.Load(args[slices.Index(args, "-config")+1])
	if err != nil {
		t.Fatal(err)
	}
	vaultName, _, _ := strings.Cut(vaultURL.Hostname(), ".")
	secret := appEnv["WEBAPP_SECRET"]
	seeded := false
	for _, v := range cfg.Vaults {
		if v.Name == vaultName {
			for _, s := range v.Secrets {
				seeded = seeded || s.Name == secret
			}
		}
	}
	if !seeded {
		t.Errorf("the emulator config seeds no secret %q in a vault %q", secret, vaultName)
	}

	// The CA route the Dockerfile's header sends host users to serves the
	// CA file the app trusts.
	resp, err := http.Get("http://" + identityAddr + "/_emulator/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	caFile, err := os.ReadFile(printed["SSL_CERT_FILE"])
	if err != nil || resp.StatusCode != 200 || string(served) != string(caFile) {
		t.Errorf("GET /_emulator/ca.pem: %d, %d bytes; CA file %d bytes (%v)", resp.StatusCode, len(served), len(caFile), err)
	}

	// The image's health check passes against this emulator.
	probe := exec.Command(bin["healthprobe"])
	probe.Env = []string{"EMULATOR_IDENTITY_ADDR=" + identityAddr}
	if out, err := probe.CombinedOutput(); err != nil {
		t.Errorf("healthprobe against the running emulator: %v\n%s", err, out)
	}
}

func TestDockerfileHealthCheckAndUser(t *testing.T) {
	insts := dockerfileInstructions(t, "../Dockerfile")
	var health, user string
	for _, inst := range insts {
		switch {
		case strings.HasPrefix(inst, "HEALTHCHECK "):
			health = inst
		case strings.HasPrefix(inst, "USER "):
			user = inst
		}
	}
	if !strings.Contains(health, `CMD ["/usr/local/bin/healthprobe"]`) {
		t.Errorf("HEALTHCHECK %q does not run the health probe", health)
	}
	if user == "" || strings.HasPrefix(user, "USER 0") || strings.HasPrefix(user, "USER root") {
		t.Errorf("the emulator image runs as %q, want a non-root user", user)
	}
}

func mapKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// runEmulator starts the emulator binary and returns the client
// environment it prints and its identity listener's address.
func runEmulator(t *testing.T, args, env []string) (map[string]string, string) {
	t.Helper()
	cmd := exec.Command(bin["emulator"], args...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &strings.Builder{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	printed := readEnv(t, stdout, func() string { return stderr.String() })
	u, err := url.Parse(printed["AZURE_POD_IDENTITY_AUTHORITY_HOST"])
	if err != nil {
		t.Fatal(err)
	}
	return printed, net.JoinHostPort("127.0.0.1", u.Port())
}

// readEnv reads KEY=VALUE lines until the emulator's seven client
// variables are in.
func readEnv(t *testing.T, r io.Reader, stderr func() string) map[string]string {
	t.Helper()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, r)
	}()
	env := map[string]string{}
	timeout := time.After(60 * time.Second)
	for len(env) < 7 {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("emulator exited before printing its environment:\n%s", stderr())
			}
			k, v, _ := strings.Cut(line, "=")
			env[k] = v
		case <-timeout:
			t.Fatalf("emulator printed no environment within 60s:\n%s", stderr())
		}
	}
	go func() {
		for range lines {
		}
	}()
	return env
}

// The README's quick start: the emulator with the sample config, and the
// web app given exactly what the emulator printed plus the explicit
// challenge-verification switch a 127.0.0.1 vault URL needs.
func TestQuickStartAppReadsSecretWithPrintedEnv(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "emulator.env")
	printed, _ := runEmulator(t, []string{"-config", "emulator.yaml", "-env-file", envFile,
		"-vault-addr", "127.0.0.1:0", "-identity-addr", "127.0.0.1:0", "-tls-dir", filepath.Join(dir, "tls")}, nil)
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		if printed[k] != v {
			t.Errorf("env file has %s=%q, stdout %q", k, v, printed[k])
		}
		env = append(env, line)
	}

	base, appLog := runWebapp(t, env, "-disable-challenge-resource-verification")
	status, body := postReveal(t, base)
	const want = `id="secret-value" class="revealed">Hello from the Key Vault emulator!<`
	if status != 200 || !strings.Contains(body, want) {
		t.Fatalf("POST /secret: status %d, page:\n%s", status, body)
	}
	if log := appLog(); strings.Contains(log, "Hello from the Key Vault emulator!") {
		t.Errorf("the secret value appeared in the app's log:\n%s", log)
	}

	// The App Service flavour refusing an identity the emulator does not
	// have: the plain-words page, and the identity header nowhere in sight.
	base, appLog = runWebapp(t, env, "-disable-challenge-resource-verification", "-identity", "client:0a1b2c3d-0000-4000-8000-00000000abcd")
	status, body = postReveal(t, base)
	if status != 403 || !strings.Contains(body, `data-kind="identity-not-assigned"`) {
		t.Errorf("unknown identity: status %d, page:\n%s", status, body)
	}
	header := printed["IDENTITY_HEADER"]
	if strings.Contains(body, header) || strings.Contains(appLog(), header) {
		t.Errorf("the IDENTITY_HEADER value appeared on the page or in the log")
	}
}

// runWebapp starts the web app binary on a free port and returns its base
// URL and a function returning what it has logged so far.
func runWebapp(t *testing.T, env []string, args ...string) (string, func() string) {
	t.Helper()
	app := exec.Command(bin["webapp"], append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	app.Env = env
	logs, err := app.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(logs)
	listening := regexp.MustCompile(`url=(http://\S+)`)
	var base string
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			base = strings.TrimSuffix(m[1], "/")
			break
		}
	}
	if base == "" {
		app.Wait()
		t.Fatal("the web app exited without serving")
	}
	var appLog testutil.Buffer
	done := make(chan struct{})
	go func() {
		for sc.Scan() {
			appLog.Write([]byte(sc.Text() + "\n"))
		}
		close(done)
	}()
	t.Cleanup(func() {
		app.Process.Kill()
		app.Wait()
		<-done
	})
	return base, func() string {
		return appLog.String()
	}
}

func postReveal(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.PostForm(base+"/secret", url.Values{"version": {""}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// With the emulator's embedded defaults (one empty vault, one system
// identity) the app's own defaults line up: it gets a token and reaches the
// vault, which has no secret yet, and says so in plain words.
func TestDefaultEmulatorAppReachesEmptyVault(t *testing.T) {
	dir := t.TempDir()
	printed, _ := runEmulator(t, []string{"-vault-addr", "127.0.0.1:0", "-identity-addr", "127.0.0.1:0", "-tls-dir", dir}, nil)
	var env []string
	for k, v := range printed {
		env = append(env, k+"="+v)
	}
	base, _ := runWebapp(t, env, "-disable-challenge-resource-verification")
	status, body := postReveal(t, base)
	if status != 404 || !strings.Contains(body, `data-kind="not-found"`) {
		t.Fatalf("status %d, want the not-found page:\n%s", status, body)
	}
}
