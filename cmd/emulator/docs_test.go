package main

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// The reference (docs/emulator.md) documents every flag the binary
// accepts, with its variable, so the two cannot drift apart: each flag in
// -h output has a table row starting "| `-flag` |", and so has each flag
// of "emulator env".
func TestReferenceDocumentsEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("../../docs/emulator.md")
	if err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`(?m)^\s+-([a-z][a-z0-9-]*)`)
	for _, args := range [][]string{{"-h"}, {"env", "-h"}} {
		out, _ := exec.Command(binary, args...).CombinedOutput()
		flags := flagLine.FindAllStringSubmatch(string(out), -1)
		if len(flags) < 4 {
			t.Fatalf("emulator %s lists too few flags to check:\n%s", strings.Join(args, " "), out)
		}
		for _, m := range flags {
			row := "| `-" + m[1] + "` |"
			if !strings.Contains(string(doc), row) {
				t.Errorf("docs/emulator.md has no row %s for the flag of emulator %s", row, strings.Join(args, " "))
			}
			if args[0] == "-h" && m[1] != "version" && !strings.Contains(string(doc), row+" `"+envName(m[1])+"` |") {
				t.Errorf("docs/emulator.md's row for -%s does not name %s", m[1], envName(m[1]))
			}
		}
	}
}
