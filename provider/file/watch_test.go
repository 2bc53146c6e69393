package file_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/file"
)

// onlyNotifications makes polling too rare to matter: what a test sees
// was delivered by a file-system notification.
var onlyNotifications = &provider.WatchOptions{Interval: time.Hour}

// generous bounds waits for a notification; on a loaded machine delivery
// may take a while, but it never takes this long.
const generous = 30 * time.Second

func watchNext(t *testing.T, w *provider.WatchedSecret) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), generous)
	defer cancel()
	s, err := w.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return s.Value.Reveal()
}

// nothingMore checks that no further update arrives within a few settle
// periods: the change was delivered once.
func nothingMore(t *testing.T, w *provider.WatchedSecret) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	if s, err := w.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an extra update arrived: %d bytes, err %v", s.Value.Len(), err)
	}
}

func startWatch(t *testing.T, p provider.SecretProvider, name string) *provider.WatchedSecret {
	t.Helper()
	w, err := provider.Watch(t.Context(), p, name, onlyNotifications)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestWatchSeesAFileRewrittenInPlace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secrets.yaml")
	if err := os.WriteFile(path, []byte("db-password: one\nother: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := file.New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, p, "db-password")
	if got := watchNext(t, w); got != "one" {
		t.Fatalf("initial value %q", got)
	}
	// Another key changing is not a change of this secret.
	if err := os.WriteFile(path, []byte("db-password: one\nother: y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	nothingMore(t, w)
	if err := os.WriteFile(path, []byte("db-password: two\nother: y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := watchNext(t, w); got != "two" {
		t.Fatalf("after the rewrite got %q; want \"two\"", got)
	}
	nothingMore(t, w)
}

// cp -p rewrites a file in place and then restores its modification time;
// with the same size, only the change time (or the contents) can tell.
func copyPreservingMtime(t *testing.T, path string, data []byte) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
}

func TestInPlaceRewriteKeepingMtimeAndSizeIsSeen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secrets.env")
	os.WriteFile(path, []byte("DB_PASSWORD=one\n"), 0o600)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old) // long written: a stat alone would be trusted
	p, err := file.New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, p, "DB_PASSWORD")
	if got := watchNext(t, w); got != "one" {
		t.Fatalf("initial value %q", got)
	}
	copyPreservingMtime(t, path, []byte("DB_PASSWORD=two\n"))
	if got := watchNext(t, w); got != "two" {
		t.Fatalf("after cp -p got %q; want \"two\"", got)
	}
	s, err := p.GetSecret(t.Context(), "DB_PASSWORD", "")
	if err != nil || s.Value.Reveal() != "two" {
		t.Fatalf("GetSecret after cp -p = %d bytes, %v; want \"two\"", s.Value.Len(), err)
	}
}

func TestWatchSeesAKubernetesDataSwap(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "volume")
	os.Mkdir(dir, 0o700)
	gen := 0
	secrets := map[string]string{"db-password": "one", "api-key": "k1"}
	if err := writeKubernetesVolume(dir, &gen, secrets); err != nil {
		t.Fatal(err)
	}
	p, err := file.New(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, p, "db-password")
	if got := watchNext(t, w); got != "one" {
		t.Fatalf("initial value %q", got)
	}
	secrets["api-key"] = "k2"
	writeKubernetesVolume(dir, &gen, secrets)
	nothingMore(t, w)
	secrets["db-password"] = "two"
	if err := writeKubernetesVolume(dir, &gen, secrets); err != nil {
		t.Fatal(err)
	}
	if got := watchNext(t, w); got != "two" {
		t.Fatalf("after the ..data swap got %q; want \"two\"", got)
	}
	nothingMore(t, w)
}

func TestWatchReportsDeletionOnceThenRecreation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "api-key")
	os.WriteFile(path, []byte("k1"), 0o600)
	p, _ := file.New(dir, nil)
	w := startWatch(t, p, "api-key")
	watchNext(t, w)
	os.Remove(path)
	ctx, cancel := context.WithTimeout(t.Context(), generous)
	defer cancel()
	if _, err := w.Next(ctx); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("after deletion err = %v; want ErrNotFound", err)
	}
	nothingMore(t, w)
	os.WriteFile(path, []byte("k2"), 0o600)
	if got := watchNext(t, w); got != "k2" {
		t.Fatalf("after re-creation got %q", got)
	}
}

func TestWatchRejectsInvalidNames(t *testing.T) {
	p, _ := file.New(t.TempDir(), nil)
	for _, name := range []string{"", "../escape", "..data"} {
		if _, err := provider.Watch(t.Context(), p, name, nil); !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("Watch(%q) err = %v; want ErrInvalidArgument", name, err)
		}
	}
}

func TestFileWatchesLeakNoGoroutine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("v"), 0o600)
	p, _ := file.New(dir, nil)
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(t.Context())
	var ws []*provider.WatchedSecret
	for range 5 {
		w, err := provider.Watch(ctx, p, "a", onlyNotifications)
		if err != nil {
			t.Fatal(err)
		}
		watchNext(t, w)
		ws = append(ws, w)
	}
	// One per watch, plus the provider's shared notification loop and
	// fsnotify's reader.
	if n := runtime.NumGoroutine() - before; n < 5 || n > 8 {
		t.Fatalf("5 watches of one provider run %d goroutines; want 5 + 2 shared", n)
	}
	cancel() // the context ends some watches ...
	for _, w := range ws[:2] {
		w.Next(t.Context())
	}
	for _, w := range ws { // ... Close ends them all and waits
		w.Close()
	}
	// fsnotify's reader goroutine exits just after Close returns; give it
	// the scheduler, bounded, rather than a fixed sleep.
	deadline := time.Now().Add(generous)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("%d goroutines before the watches, %d after closing them", before, n)
	}
}

// Watches of one provider share a notification handle: closing one must
// not blind the others, and each sees only its own secret change.
func TestWatchesShareNotificationsIndependently(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), []byte("a1"), 0o600)
	os.WriteFile(filepath.Join(dir, "b"), []byte("b1"), 0o600)
	p, _ := file.New(dir, nil)
	wa, wb := startWatch(t, p, "a"), startWatch(t, p, "b")
	watchNext(t, wa)
	watchNext(t, wb)
	os.WriteFile(filepath.Join(dir, "a"), []byte("a2"), 0o600)
	if got := watchNext(t, wa); got != "a2" {
		t.Fatalf("a got %q", got)
	}
	nothingMore(t, wb)
	wa.Close()
	os.WriteFile(filepath.Join(dir, "b"), []byte("b2"), 0o600)
	if got := watchNext(t, wb); got != "b2" {
		t.Fatalf("after the other watch closed, b got %q", got)
	}
	// A new watch after the others' handle was released works again.
	wb.Close()
	wc := startWatch(t, p, "a")
	watchNext(t, wc)
	os.WriteFile(filepath.Join(dir, "a"), []byte("a3"), 0o600)
	if got := watchNext(t, wc); got != "a3" {
		t.Fatalf("a new watch got %q", got)
	}
}
