package main

import (
	"strings"
	"testing"
)

// A secret-volume file whose name looks like a format (config.json) opens
// as a secrets file; the usage error says how to read it as one secret.
func TestFormatNamedVolumeFileHint(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "config.json", `{"endpoint":"https://example.test"}`)
	r := runCLI(t, "get", fileURI(dir)+"/config.json")
	r.want(t, exitUsage)
	want := fileURI(dir) + "/#config.json"
	if !strings.Contains(r.stderr, want) {
		t.Fatalf("stderr %q does not suggest %s", r.stderr, want)
	}
	r = runCLI(t, "get", want)
	r.want(t, exitOK)
	if strings.TrimSpace(r.stdout) != `{"endpoint":"https://example.test"}` {
		t.Errorf("the suggested URI read %q", r.stdout)
	}
}
