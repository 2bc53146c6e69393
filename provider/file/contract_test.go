package file_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/internal/testutil"
	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/file"
	"github.com/secretkit/secretkit/provider/providertest"
)

// The contract's watch cases and the watch tests here wait on file-system
// notifications and quiet periods; they compute almost nothing, so they run
// side by side rather than two at a time.
func TestMain(m *testing.M) {
	testutil.WaitersInParallel(32)
	os.Exit(m.Run())
}

// harness keeps the seeded secrets in memory and rewrites the backing file
// (in place, so the inode stays and only the contents change) or, for a
// directory, publishes a new Kubernetes-style ..data generation.
type harness struct {
	format  file.Format
	path    string
	secrets map[string]string
	gen     int
}

func newHarness(format file.Format) providertest.HarnessMaker {
	return func(ctx context.Context, t *testing.T) (providertest.Harness, error) {
		dir := t.TempDir()
		h := &harness{format: format, secrets: map[string]string{}}
		switch format {
		case file.FormatYAML:
			h.path = filepath.Join(dir, "secrets.yaml")
		case file.FormatJSON:
			h.path = filepath.Join(dir, "secrets.json")
		case file.FormatDotenv:
			h.path = filepath.Join(dir, "secrets.env")
		case file.FormatDir:
			h.path = filepath.Join(dir, "volume")
			if err := os.Mkdir(h.path, 0o700); err != nil {
				return nil, err
			}
		}
		return h, h.write()
	}
}

func (h *harness) write() error {
	switch h.format {
	case file.FormatYAML:
		data, err := yaml.Marshal(h.secrets)
		if err != nil {
			return err
		}
		return os.WriteFile(h.path, data, 0o600)
	case file.FormatJSON:
		data, err := json.Marshal(h.secrets)
		if err != nil {
			return err
		}
		return os.WriteFile(h.path, data, 0o600)
	case file.FormatDotenv:
		var b strings.Builder
		for name, value := range h.secrets {
			fmt.Fprintf(&b, "%s=\"%s\"\n", name, dotenvEscaper.Replace(value))
		}
		return os.WriteFile(h.path, []byte(b.String()), 0o600)
	default:
		return writeKubernetesVolume(h.path, &h.gen, h.secrets)
	}
}

var dotenvEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`)

// writeKubernetesVolume mimics the kubelet's atomic writer: the data goes
// into a fresh hidden directory, "..data" is switched to it by renaming a
// symlink, and each visible name is a symlink "..data/<name>".
func writeKubernetesVolume(dir string, gen *int, secrets map[string]string) error {
	*gen++
	dataDir := fmt.Sprintf("..gen_%d", *gen)
	if err := os.Mkdir(filepath.Join(dir, dataDir), 0o700); err != nil {
		return err
	}
	for name, value := range secrets {
		if err := os.WriteFile(filepath.Join(dir, dataDir, name), []byte(value), 0o600); err != nil {
			return err
		}
	}
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink(dataDir, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if _, keep := secrets[e.Name()]; !keep && !strings.HasPrefix(e.Name(), ".") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	for name := range secrets {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) MakeProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	return file.New(h.path, nil)
}

func (h *harness) MakeUnauthorizedProvider(ctx context.Context, t *testing.T) (provider.SecretProvider, error) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which file permissions cannot deny")
	}
	p, err := file.New(h.path, nil)
	if err != nil {
		return nil, err
	}
	targets := []string{h.path}
	if h.format == file.FormatDir {
		targets = nil
		for name := range h.secrets {
			targets = append(targets, filepath.Join(h.path, name))
		}
	}
	future := time.Now().Add(time.Hour)
	for _, target := range targets {
		if err := os.Chmod(target, 0); err != nil {
			return nil, err
		}
		if err := os.Chtimes(target, future, future); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (h *harness) SetSecret(ctx context.Context, t *testing.T, name, value string) error {
	h.secrets[name] = value
	return h.write()
}

func (h *harness) DeleteSecret(ctx context.Context, t *testing.T, name string) error {
	delete(h.secrets, name)
	return h.write()
}

func (h *harness) Rules() providertest.Rules {
	invalid := []string{"", "nul\x00byte", "line\nbreak"}
	if h.format == file.FormatDir {
		invalid = append(invalid, "../escape", "a/b", ".hidden", "..data")
	}
	return providertest.Rules{
		Capabilities: provider.Capabilities{List: true, GetMany: true},
		InvalidNames: invalid,
		EmptyValues:  true,
		// A directory stores bytes verbatim and YAML carries non-UTF-8
		// strings as !!binary; JSON and dotenv hold text.
		BinarySafe: h.format == file.FormatDir || h.format == file.FormatYAML,
		Parallel:   true,
	}
}

// WatchOptions implements providertest.WatchTuner: polling once an hour
// leaves the watch cases to file-system notifications alone, for a file
// rewritten in place and for a directory's ..data swap.
func (h *harness) WatchOptions() provider.WatchOptions {
	return provider.WatchOptions{Interval: time.Hour}
}

func TestContract(t *testing.T) {
	// Parallel with the watch tests below, which wait as these cases do.
	t.Parallel()
	for _, f := range []file.Format{file.FormatYAML, file.FormatJSON, file.FormatDotenv, file.FormatDir} {
		t.Run(string(f), func(t *testing.T) {
			// Each format has its own files; the watch cases' quiet
			// periods (1 s each) then overlap across formats too.
			t.Parallel()
			providertest.Run(t, newHarness(f))
		})
	}
}
