package dotenv

import (
	"errors"
	"strings"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParse(t *testing.T) {
	src := "# comment\r\nexport A=plain # note\r\nB = 'single $HOME'\nC=\"two\r\nlines\\r\"\nD=\n"
	got, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{Key: "A", Value: "plain", Line: 2},
		{Key: "B", Value: "single $HOME", Line: 3},
		{Key: "C", Value: "two\nlines\r", Line: 4},
		{Key: "D", Value: "", Line: 6},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Entry{}, "Start", "End")); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	// The spans are the values' source text, quotes included: what a
	// rewrite in place replaces.
	spans := []string{"plain", "'single $HOME'", "\"two\r\nlines\\r\"", ""}
	for i, e := range got {
		if i < len(spans) && src[e.Start:e.End] != spans[i] {
			t.Errorf("%s: span %q, want %q", e.Key, src[e.Start:e.End], spans[i])
		}
	}
}

func TestParseErrorsNameLineNotValue(t *testing.T) {
	for src, wantLine := range map[string]int{
		"A=1\nnot a pair\n":      2,
		"A=\"hunter2\\q\"\n":     1,
		"A=1\nB='hunter2\n\n":    2,
		"A=\"x\"hunter2\n":       1,
		"A=1\n\nbad key=hunter2": 3,
	} {
		_, err := Parse([]byte(src))
		var de *Error
		if !errors.As(err, &de) || de.Line != wantLine {
			t.Errorf("%q: err = %v; want a line-%d *Error", src, err, wantLine)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: error %q quotes the value", src, err)
		}
	}
}

func TestQuoteRoundTrips(t *testing.T) {
	for _, v := range []string{"", "plain", "with space", "a\"b", "$HOME", "line\nbreak", "cr\r\nlf", "tab\t", `back\slash`, "#hash"} {
		got, err := Parse([]byte("K=" + Quote(v) + "\n"))
		if err != nil || len(got) != 1 || got[0].Value != v {
			t.Errorf("Quote(%q) = %s reads back as %+v (%v)", v, Quote(v), got, err)
		}
	}
}
