package examples

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A "# syntax=" directive makes BuildKit (Compose v2's builder) fetch a
// frontend image before building, so the build fails on a machine that
// cannot reach a registry; nothing in these files needs one.
func TestDockerfilesNeedNoFrontendImage(t *testing.T) {
	directive := regexp.MustCompile(`(?i)^#\s*syntax\s*=`)
	for _, file := range []string{"../Dockerfile", "webapp/Dockerfile"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if directive.MatchString(strings.TrimSpace(line)) {
				t.Errorf("%s:%d: %s", file, i+1, line)
			}
		}
	}
}

// The first health probe runs one --interval after the container starts,
// and "depends_on: service_healthy" waits for it: a long interval makes
// every "compose up" wait that long for an emulator ready in under a
// second. --start-interval would fix that only on Docker Engine 25+ and
// breaks older builders, so the interval itself must be short.
func TestHealthCheckProbesSoonAndEverywhere(t *testing.T) {
	var health string
	for _, inst := range dockerfileInstructions(t, "../Dockerfile") {
		if strings.HasPrefix(inst, "HEALTHCHECK ") {
			health = inst
		}
	}
	opts := map[string]time.Duration{}
	for _, f := range strings.Fields(health) {
		name, value, ok := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if !ok || !strings.HasPrefix(f, "--") {
			continue
		}
		if name == "start-interval" {
			t.Errorf("HEALTHCHECK uses --start-interval, which needs Docker Engine 25+")
			continue
		}
		if name == "retries" {
			continue
		}
		d, err := time.ParseDuration(value)
		if err != nil {
			t.Fatalf("HEALTHCHECK --%s=%s: %v", name, value, err)
		}
		opts[name] = d
	}
	if iv := opts["interval"]; iv == 0 || iv > 2*time.Second {
		t.Errorf("HEALTHCHECK --interval=%v: the first probe waits that long; want at most 2s", iv)
	}
	if to := opts["timeout"]; to == 0 || to > 5*time.Second {
		t.Errorf("HEALTHCHECK --timeout=%v, want set and no longer than the probe's own 5s", to)
	}
}

// The Dockerfile's header tells a "docker run" user to keep the TLS
// directory in a named volume (one CA across runs, trusted once) and how
// to get the CA out of the container.
func TestDockerRunRecipeKeepsTheCA(t *testing.T) {
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	tlsDir := dockerfileEnv(t, "../Dockerfile")["EMULATOR_TLS_DIR"]
	header := string(data[:strings.Index(string(data), "\nARG ")])
	named := regexp.MustCompile(`-v [a-z][a-z0-9_.-]*:` + regexp.QuoteMeta(tlsDir) + `\s`)
	if tlsDir == "" || !named.MatchString(header) {
		t.Errorf("the docker run recipe mounts no named volume on the TLS directory %q", tlsDir)
	}
	if !strings.Contains(header, "/_emulator/ca.pem") {
		t.Errorf("the header does not say how to fetch the CA (GET /_emulator/ca.pem)")
	}
}
