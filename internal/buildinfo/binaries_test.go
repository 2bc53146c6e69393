package buildinfo

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
	"github.com/secretkit/secretkit/internal/testutil"
)

// Every binary the project ships answers -version with what `go version -m`
// reads from the same file: the module version and, built from a checkout,
// the VCS revision (and whether the tree was modified).
func TestEveryBinaryPrintsItsVersion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds four binaries")
	}
	pkgs := map[string]string{
		"emulator": "../../cmd/emulator", "secrets": "../../cmd/secrets",
		"healthprobe": "../../cmd/healthprobe", "webapp": "../../examples/webapp",
	}
	dir, err := testutil.Binaries(slices.Collect(maps.Values(pkgs))...)
	if err != nil {
		t.Fatal(err)
	}
	for name, pkg := range pkgs {
		bin := filepath.Join(dir, name)
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("go build %s: %v", pkg, err)
		}
		meta, err := exec.Command("go", "version", "-m", bin).Output()
		if err != nil {
			t.Fatal(err)
		}
		version, rev, dirty := goVersionM(string(meta))
		out, err := exec.Command(bin, "-version").Output()
		if err != nil {
			t.Errorf("%s -version: %v", name, err)
			continue
		}
		line := strings.TrimSpace(string(out))
		if strings.Count(line, "\n") != 0 || !strings.HasPrefix(line, name+" github.com/secretkit/secretkit ") {
			t.Errorf("%s -version printed %q, want one line naming the program and the module", name, line)
		}
		wantRev := "(rev unknown"
		if rev != "" {
			wantRev = "(rev " + rev[:12]
			if dirty {
				wantRev += "+dirty"
			}
		}
		if !strings.Contains(line, " "+version+" ") || !strings.Contains(line, wantRev) {
			t.Errorf("%s -version printed %q; go version -m says version %s, %s", name, line, version, wantRev)
		}
	}
}

// goVersionM reads the main module's version and the VCS settings from
// `go version -m` output.
func goVersionM(out string) (version, rev string, dirty bool) {
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "mod":
			version = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision="):
			rev = strings.TrimPrefix(f[1], "vcs.revision=")
		case len(f) == 2 && f[0] == "build" && f[1] == "vcs.modified=true":
			dirty = true
		}
	}
	return version, rev, dirty
}
