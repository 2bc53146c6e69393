package file

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func readValue(t *testing.T, p *Provider, name string) string {
	t.Helper()
	s, err := p.GetSecret(context.Background(), name, "")
	if err != nil {
		t.Fatal(err)
	}
	return s.Value.Reveal()
}

func TestUnchangedFileIsNotReparsed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(path, []byte("a: one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Written long ago: an unchanged stat is then proof enough.
	old := time.Now().Add(-time.Hour)
	os.Chtimes(path, old, old)
	p, err := New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		readValue(t, p, "a")
	}
	if p.parses.Load() != 1 || p.reads.Load() != 1 {
		t.Fatalf("after 1 open and 3 reads of an old file: parses=%d reads=%d; want 1 and 1", p.parses.Load(), p.reads.Load())
	}

	// A rewrite moves the mtime, so the stat no longer vouches for the
	// contents and the file is read and parsed again.
	os.WriteFile(path, []byte("a: two\n"), 0o600)
	if got := readValue(t, p, "a"); got != "two" {
		t.Fatalf("after a rewrite got %q", got)
	}
	if p.parses.Load() != 2 {
		t.Fatalf("parses = %d; want 2 after a change", p.parses.Load())
	}
}

func TestRecentlyWrittenFileIsHashedNotReparsed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.json")
	os.WriteFile(path, []byte(`{"a":"one"}`), 0o600)
	p, err := New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The file is inside the racy window: each read hashes it, none parses.
	for range 3 {
		readValue(t, p, "a")
	}
	if p.parses.Load() != 1 {
		t.Fatalf("parses = %d; want 1", p.parses.Load())
	}
	// A same-size rewrite within the same timestamp tick is still seen.
	mtime := mustStat(t, path).ModTime()
	os.WriteFile(path, []byte(`{"a":"two"}`), 0o600)
	os.Chtimes(path, mtime, mtime)
	if got := readValue(t, p, "a"); got != "two" {
		t.Fatalf("same size, same mtime rewrite: got %q", got)
	}
	if p.parses.Load() != 2 {
		t.Fatalf("parses = %d; want 2", p.parses.Load())
	}
	// Touching without changing the contents does not parse.
	now := time.Now()
	os.Chtimes(path, now, now)
	readValue(t, p, "a")
	if p.parses.Load() != 2 {
		t.Fatalf("touch caused a parse: parses = %d", p.parses.Load())
	}
}

func mustStat(t *testing.T, path string) os.FileInfo {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info
}
