package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/secretkit/secretkit/provider"
)

// setOpenHook installs hook for the duration of the test.
func setOpenHook(t *testing.T, hook func(path string)) {
	t.Helper()
	openHook = hook
	t.Cleanup(func() { openHook = nil })
}

// within runs f and fails the test if it has not returned after a bound far
// longer than it needs: the failure these tests guard against is a call
// that never returns.
func within(t *testing.T, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
	}
}

// An in-place rewrite that restores the modification time and keeps the
// size (cp -p, rsync -t, tar) is seen by the next read: the change time
// moved.
func TestInPlaceRewriteRestoringMtimeIsReadAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(path, []byte("a: one\n"), 0o600)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old) // long written: the stat alone would be trusted
	p, err := New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := readValue(t, p, "a"); got != "one" {
		t.Fatalf("first read %q", got)
	}
	os.WriteFile(path, []byte("a: two\n"), 0o600)
	os.Chtimes(path, old, old)
	if got := readValue(t, p, "a"); got != "two" {
		t.Fatalf("after a rewrite restoring mtime and size: %q, want \"two\"", got)
	}
}

// A FIFO swapped in for the secrets file between the provider's stat and
// its open is refused at once instead of waiting forever for a writer, and
// later calls are not blocked behind it.
func TestFIFOSwappedInBeforeOpenIsRefusedAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name, file, secret string
		dir                bool
	}{
		{"yaml", "s.yaml", "a", false},
		{"dotenv", "s.env", "A", false},
		{"directory", "a", "a", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.file)
			os.WriteFile(path, []byte(map[string]string{"s.yaml": "a: one\n", "s.env": "A=one\n", "a": "one"}[tc.file]), 0o600)
			target := dir
			if !tc.dir {
				target = path
			}
			p, err := New(target, nil)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(path, []byte(map[string]string{"s.yaml": "a: two\n", "s.env": "A=two\n", "a": "two"}[tc.file]), 0o600)
			var once sync.Once
			setOpenHook(t, func(string) {
				once.Do(func() {
					os.Remove(path)
					if err := syscall.Mkfifo(path, 0o600); err != nil {
						t.Errorf("mkfifo: %v", err)
					}
				})
			})
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			within(t, "GetSecret of a FIFO", func() {
				_, err = p.GetSecret(ctx, tc.secret, "")
			})
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("GetSecret of a FIFO: %v, want a not-a-regular-file error", err)
			}
			os.Remove(path)
			os.WriteFile(path, []byte(map[string]string{"s.yaml": "a: three\n", "s.env": "A=three\n", "a": "three"}[tc.file]), 0o600)
			within(t, "GetSecret after the FIFO", func() {
				if got := readValue(t, p, tc.secret); got != "three" {
					t.Errorf("after the FIFO went away: %q", got)
				}
			})
		})
	}
}

// One call stuck opening the file (a slow network file system, or a FIFO
// on a system without O_NONBLOCK) must not hold the provider's lock: other
// calls still answer.
func TestSlowOpenDoesNotBlockOtherCalls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	os.WriteFile(path, []byte("a: one\n"), 0o600)
	p, err := New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("a: two\n"), 0o600)
	entered, release := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	setOpenHook(t, func(string) {
		if first.CompareAndSwap(false, true) {
			close(entered)
			<-release
		}
	})
	stuck := make(chan error, 1)
	go func() { _, err := p.GetSecret(context.Background(), "a", ""); stuck <- err }()
	<-entered
	within(t, "a second GetSecret while the first is stuck in open", func() {
		if got := readValue(t, p, "a"); got != "two" {
			t.Errorf("second call read %q", got)
		}
	})
	close(release)
	if err := <-stuck; err != nil {
		t.Errorf("first call, once released: %v", err)
	}
}

// The directory provider follows symbolic links only while they stay in
// the directory: Kubernetes' relative links through ..data work; links to
// /proc/self/environ, out through "..", or absolute ones are refused with
// ErrPermissionDenied and not listed.
func TestDirectoryFollowsOnlyLinksInside(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	os.WriteFile(outside, []byte("outside-value-7Qw"), 0o600)
	dir := filepath.Join(base, "vol")
	os.MkdirAll(filepath.Join(dir, "..2026_01_01"), 0o700)
	os.WriteFile(filepath.Join(dir, "..2026_01_01", "db"), []byte("inside"), 0o600)
	os.Symlink("..2026_01_01", filepath.Join(dir, "..data"))
	os.Symlink("..data/db", filepath.Join(dir, "db"))
	links := map[string]string{
		"environ": "/proc/self/environ",
		"up":      "../outside",
		"abs":     outside,
		"deep":    "..data/../../outside",
	}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	p, err := New(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := readValue(t, p, "db"); got != "inside" {
		t.Fatalf("Kubernetes link read %q", got)
	}
	for name := range links {
		s, err := p.GetSecret(context.Background(), name, "")
		if !errors.Is(err, provider.ErrPermissionDenied) || s.Value.Len() != 0 {
			t.Errorf("GetSecret(%q) through a link out of the directory: %d bytes, %v; want ErrPermissionDenied", name, s.Value.Len(), err)
		}
		if err != nil && strings.Contains(err.Error(), "outside-value") {
			t.Errorf("error shows the outside file: %v", err)
		}
	}
	results, err := p.GetSecrets(context.Background(), []string{"db", "up"})
	if err != nil || results[0].Secret.Value.Reveal() != "inside" || !errors.Is(results[1].Err, provider.ErrPermissionDenied) {
		t.Errorf("GetSecrets: %v, %+v", err, results)
	}
	var listed []string
	for m, err := range p.ListSecrets(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, m.Name)
	}
	if strings.Join(listed, ",") != "db" {
		t.Errorf("listed %q, want only db", listed)
	}
}
