package ref

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/internal/dotenv"
)

// FuzzParse checks that the reference parser never panics and that writing
// what it read back in the grammar (literals escaped, references wrapped)
// reads the same.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "plain", "${secret:env://A}", "x ${secret: env://A } y", "$${secret:env://A}", "$$${secret:env://A}",
		"${secret:", "${secret:}", "${secret:chain:env:// file:///x#n}", "$${secret:$${secret:${secret:a}}}",
		"${VAR} $$ ${secret:a}${secret:b}", "${secret:a}}", "$", "${secret:a?version=1#b}",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		segs, err := parse(s)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, seg := range segs {
			if seg.isRef {
				if seg.text == "" || strings.Contains(seg.text, "}") {
					t.Fatalf("parse(%q) yielded reference %q", s, seg.text)
				}
				b.WriteString(opener + seg.text + "}")
			} else {
				b.WriteString(strings.ReplaceAll(seg.text, opener, escape))
			}
		}
		again, err := parse(b.String())
		if err != nil {
			t.Fatalf("parse(%q) = %v; its rewrite %q fails: %v", s, segs, b.String(), err)
		}
		if !reflect.DeepEqual(again, segs) {
			t.Fatalf("parse(%q) = %#v; its rewrite %q parses to %#v", s, segs, b.String(), again)
		}
	})
}

// FuzzParseDotenv checks that the dotenv parser never panics and that a
// value quoted by dotenv.Quote reads back exactly.
func FuzzParseDotenv(f *testing.F) {
	for _, seed := range []string{
		"A=1\n", "export A = 'x' # c\n", "A=\"multi\nline\\n\\$\"\n", "# c\n\nB=${secret:x} # t\r\n",
		"A='open\n", "A=\"x\" y\n", "=1\n", "A=\"\\q\"\n", "A=p w\"$x",
	} {
		f.Add(seed, "p w\"$x\n\\")
	}
	f.Fuzz(func(t *testing.T, src, value string) {
		vars, err := ParseDotenv([]byte(src), "f.env")
		if err == nil {
			for _, v := range vars {
				if v.Key == "" || v.Line < 1 || v.start > v.end || v.end > len(src) {
					t.Fatalf("ParseDotenv(%q) yielded %+v", src, v)
				}
			}
		}
		if strings.IndexByte(value, 0) >= 0 {
			return
		}
		line := "K=" + dotenv.Quote(value) + "\n"
		got, err := ParseDotenv([]byte(line), "q.env")
		if err != nil || len(got) != 1 || got[0].Value != value {
			t.Fatalf("value %q quoted as %q reads back as %+v, %v", value, line, got, err)
		}
	})
}

// FuzzJSON checks that expanding a JSON document never panics, leaves a
// document without references unchanged, and yields valid JSON.
func FuzzJSON(f *testing.F) {
	for _, seed := range []string{
		`{"a":"${secret:x}"}`, `{"${secret:x}":"${secret:x}"}`, `["\"${secret:x}\\"]`, `"$${secret:x}"`,
		`{"a": [1, 2.5e3, null, true, {"b": "c"}]}`, `{"a":"\u0024{secret:x}"}`, `{`,
	} {
		f.Add(seed)
	}
	r := &Resolver{Mux: echoMux()}
	f.Fuzz(func(t *testing.T, src string) {
		out, err := r.JSON(context.Background(), []byte(src), "f.json")
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("JSON(%q) = %q, not valid JSON", src, out)
		}
		if !strings.Contains(src, opener) && string(out) != src {
			t.Fatalf("JSON(%q) changed a document without references: %q", src, out)
		}
	})
}
