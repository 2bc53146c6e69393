package file

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// manyKeysJSON is a JSON object of n keys, one a line, as a generated
// secrets file near DefaultMaxBytes may be.
func manyKeysJSON(n int) []byte {
	var b strings.Builder
	b.WriteString("{\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, "%q: %q", fmt.Sprintf("key-%06d", i), "v")
	}
	b.WriteString("\n}\n")
	return []byte(b.String())
}

// BenchmarkParseJSONManyKeys parses a file of 50,000 keys (about 1 MiB):
// the cost per key must not grow with the key's offset in the file.
func BenchmarkParseJSONManyKeys(b *testing.B) {
	data := manyKeysJSON(50_000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := parseJSON("s.json", data, "."); err != nil {
			b.Fatal(err)
		}
	}
}

// Lines are counted on from key to key: an error deep in a large file,
// and one after a nested object, still names its own line.
func TestParseJSONLinesFarIntoTheFile(t *testing.T) {
	data := manyKeysJSON(2000) // key i is on line i+2
	dup := strings.Replace(string(data), `"key-001500"`, `"key-000700"`, 1)
	_, err := parseJSON("s.json", []byte(dup), ".")
	var perr *ParseError
	if !errors.As(err, &perr) || perr.Line != 1502 || !strings.Contains(perr.Msg, "first defined on line 702") {
		t.Fatalf("duplicate key far into the file: err = %v; want line 1502, first defined on line 702", err)
	}
	nested := "{\n\"a\": {\n\"b\": \"1\"\n},\n\"c\": 1,\n\"c\": 2\n}\n"
	_, err = parseJSON("s.json", []byte(nested), ".")
	if !errors.As(err, &perr) || perr.Line != 6 || !strings.Contains(perr.Msg, "first defined on line 5") {
		t.Fatalf("duplicate key after a nested object: err = %v; want line 6, first defined on line 5", err)
	}
	broken := string(data[:len(data)-3]) + ",\n]\n"
	_, err = parseJSON("s.json", []byte(broken), ".")
	if !errors.As(err, &perr) || perr.Line != 2002 {
		t.Fatalf("syntax error at the end: err = %v; want line 2002", err)
	}
}
