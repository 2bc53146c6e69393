package file

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/secretkit/secretkit/internal/dotenv"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/internal/yamlmsg"
)

// ParseError reports a malformed secrets file. It names the file and, where
// the parser knows it, the 1-based line; its message may quote keys but
// never values.
type ParseError struct {
	Path string
	Line int // 0 when unknown
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Path, e.Line, e.Msg)
	}
	return e.Path + ": " + e.Msg
}

// flattener collects name/value pairs, joining nested keys with sep and
// rejecting duplicates, whether written twice or produced by flattening.
type flattener struct {
	path    string
	sep     string
	secrets map[string]string
	lines   map[string]int

	// walking holds the YAML mappings being flattened, so an alias to a
	// mapping that contains it is an error rather than endless recursion.
	walking map[*yaml.Node]bool
	// aliasBudget is how many more bytes of names YAML aliases may still
	// produce (see aliasNameBytes), so a small file of aliases of aliases
	// cannot expand into millions of keys.
	aliasBudget int
}

func newFlattener(path, sep string) *flattener {
	return &flattener{path: path, sep: sep, secrets: map[string]string{}, lines: map[string]int{},
		walking: map[*yaml.Node]bool{}}
}

func (f *flattener) fail(line int, format string, args ...any) error {
	return &ParseError{Path: f.path, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// join returns the name of key inside the mapping called parent. Names are
// bounded by maxNameBytes, which also bounds how deep mappings nest: every
// level of a deep file would otherwise hold a longer copy of its parent's
// name, and a megabyte of "{"a":" would need gigabytes.
func (f *flattener) join(parent, key string, line int) (string, error) {
	name := key
	if parent != "" {
		name = parent + f.sep + key
	}
	if len(name) > maxNameBytes {
		return "", f.fail(line, "a name is longer than %d bytes (nested too deeply, or a key too long)", maxNameBytes)
	}
	return name, nil
}

func (f *flattener) add(name string, line int, value string) error {
	if len(name) > maxNameBytes {
		return f.fail(line, "a name is longer than %d bytes", maxNameBytes)
	}
	if err := validKey(name); err != nil {
		return f.fail(line, "%s: %v", showKey(name), err)
	}
	if first, dup := f.lines[name]; dup {
		return f.fail(line, "duplicate %s (first defined on line %d)", showKey(name), first)
	}
	f.secrets[name] = value
	f.lines[name] = line
	return nil
}

// validKey is the rule every name in a structured file obeys: non-empty and
// free of control characters, which no reasonable secret name contains and
// which would make error messages and listings ambiguous.
func validKey(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errors.New("control character in name")
		}
	}
	return nil
}

// shownKey is the charset of keys an error message may quote: what secret
// names are made of. A key outside it, such as "password hunter2" from a
// flow mapping missing its ':', may really be a value, so it is described
// instead of quoted.
var shownKey = regexp.MustCompile(`^[A-Za-z0-9_./-]{1,256}$`)

// showKey names a key in an error message.
func showKey(name string) string {
	if shownKey.MatchString(name) {
		return "key " + strconv.Quote(name)
	}
	return "a key (not shown: it has characters a name rarely has and may be a value)"
}

// yamlTags are the tags a value may carry explicitly. Any other, such as
// the "!pw" an unquoted "!pw..." value turns into, would silently eat the
// start of the value.
var yamlTags = map[string]bool{"!!str": true, "!!binary": true, "!!null": true, "!!bool": true,
	"!!int": true, "!!float": true, "!!timestamp": true}

// aliasNameBytes is how many bytes of names the aliases of a size-byte YAML
// file may produce: generous for sharing a block of settings many times,
// yet bounded, where an alias bomb of a few hundred bytes asks for
// gigabytes.
func aliasNameBytes(size int) int { return 1<<20 + 16*size }

func parseYAML(path string, data []byte, sep string) (map[string]string, error) {
	f := newFlattener(path, sep)
	f.aliasBudget = aliasNameBytes(len(data))
	// yaml.v3 quotes an unknown anchor, which an unquoted "*value" is;
	// yamlmsg keeps only the line and the kind of problem.
	syntaxError := func(err error) error {
		line, msg := yamlmsg.Syntax(err, data)
		return f.fail(line, "malformed YAML: %s", msg)
	}
	if yamlmsg.IsUTF16(data) {
		return nil, f.fail(1, "%s", yamlmsg.MsgUTF16)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err == io.EOF {
		return f.secrets, nil // empty file, or only comments
	} else if err != nil {
		return nil, syntaxError(err)
	}
	// Another document after "---" would be ignored silently by a single
	// Decode; only empty ones (a trailing "---") are harmless.
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntaxError(err)
		}
		if len(next.Content) == 1 && next.Content[0].Tag == "!!null" && next.Content[0].Value == "" {
			continue
		}
		return nil, f.fail(next.Line, "a second YAML document starts here; the file must hold one mapping")
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return f.secrets, nil // empty file
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" && root.Value == "" && root.Anchor == "" {
		return f.secrets, nil // only "---": an empty document, as a trailing one is
	}
	if root.Kind != yaml.MappingNode {
		return nil, f.fail(root.Line, "the top level must be a mapping of names to values")
	}
	if err := f.walkYAML("", root, 0); err != nil {
		return nil, err
	}
	return f.secrets, nil
}

// walkYAML flattens the mapping m under prefix. Inside the expansion of an
// alias, aliasLine is the line of the outermost alias, and names count
// against f.aliasBudget.
func (f *flattener) walkYAML(prefix string, m *yaml.Node, aliasLine int) error {
	f.walking[m] = true
	defer delete(f.walking, m)
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return f.fail(k.Line, "keys must be scalars")
		}
		if k.Value == "<<" && k.Tag == "!!merge" {
			return f.fail(k.Line, "merge keys (<<) are not supported")
		}
		if first, dup := seen[k.Value]; dup {
			return f.fail(k.Line, "duplicate %s (first defined on line %d)", showKey(k.Value), first)
		}
		seen[k.Value] = k.Line
		if m.Style&yaml.FlowStyle != 0 && k.Style == 0 && strings.ContainsAny(k.Value, " \t") &&
			v.Kind == yaml.ScalarNode && v.Tag == "!!null" && v.Value == "" && v.Style == 0 && v.Anchor == "" {
			// {password hunter2}: a ':' is missing, and the key would turn
			// a value into a listed name.
			return f.fail(k.Line, "a key with a space and no value in a {...} mapping: is a ':' missing? (the key is not shown; it may be a value)")
		}
		name, err := f.join(prefix, k.Value, k.Line)
		if err != nil {
			return err
		}
		valueAliasLine := aliasLine
		if v.Kind == yaml.AliasNode {
			if f.walking[v.Alias] {
				return f.fail(v.Line, "%s: an alias refers to a mapping that contains it", showKey(name))
			}
			if valueAliasLine == 0 {
				valueAliasLine = v.Line
			}
			v = v.Alias
		}
		if valueAliasLine > 0 {
			if f.aliasBudget -= len(name) + 1; f.aliasBudget < 0 {
				return f.fail(valueAliasLine, "%s: aliases expand to too many names", showKey(name))
			}
		}
		switch v.Kind {
		case yaml.MappingNode:
			if err := f.walkYAML(name, v, valueAliasLine); err != nil {
				return err
			}
		case yaml.ScalarNode:
			if v.Style&yaml.TaggedStyle != 0 && !yamlTags[v.ShortTag()] {
				return f.fail(v.Line, "%s: the value has a YAML tag (!...) that secrets do not use; quote a value that starts with '!'", showKey(name))
			}
			if v.Anchor != "" && v.Value == "" {
				return f.fail(v.Line, "%s: an anchor (&...) with no value; quote a value that starts with '&'", showKey(name))
			}
			value := v.Value
			switch v.Tag {
			case "!!null":
				value = ""
			case "!!binary":
				// yaml.v3 writes strings that are not UTF-8 this way, so
				// decoding it makes YAML files binary-safe.
				b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v.Value), ""))
				if err != nil {
					return f.fail(v.Line, "%s: !!binary value is not valid base64", showKey(name))
				}
				value = string(b)
			}
			if err := f.add(name, k.Line, value); err != nil {
				return err
			}
		default:
			return f.fail(v.Line, "%s: lists are not supported; use a mapping or a string", showKey(name))
		}
	}
	return nil
}

func parseJSON(path string, data []byte, sep string) (map[string]string, error) {
	f := newFlattener(path, sep)
	if len(bytes.TrimSpace(data)) == 0 {
		return f.secrets, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// lineAt returns the 1-based line of offset. The decoder's offsets
	// only grow, so it counts on from the previous call: counting from
	// the start for every key made a parse quadratic in the file's size.
	var countedTo int64
	line := 1
	lineAt := func(offset int64) int {
		offset = min(offset, int64(len(data)))
		if offset < countedTo {
			countedTo, line = 0, 1
		}
		line += bytes.Count(data[countedTo:offset], []byte("\n"))
		countedTo = offset
		return line
	}
	// jsonError hides the decoder's text, which can quote a character of
	// a value ("invalid character 'x' ..."), behind a line number.
	jsonError := func(err error) error {
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn):
			return f.fail(lineAt(syn.Offset), "malformed JSON")
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return f.fail(lineAt(int64(len(data))), "malformed JSON: unexpected end of file")
		default:
			return f.fail(lineAt(dec.InputOffset()), "malformed JSON")
		}
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(err)
	}
	if tok != json.Delim('{') {
		return nil, f.fail(lineAt(dec.InputOffset()), "the top level must be an object of names to values")
	}
	var walk func(prefix string) error
	walk = func(prefix string) error {
		seen := map[string]int{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return jsonError(err)
			}
			key, _ := tok.(string)
			line := lineAt(dec.InputOffset())
			if first, dup := seen[key]; dup {
				return f.fail(line, "duplicate %s (first defined on line %d)", showKey(key), first)
			}
			seen[key] = line
			name, err := f.join(prefix, key, line)
			if err != nil {
				return err
			}
			tok, err = dec.Token()
			if err != nil {
				return jsonError(err)
			}
			var value string
			switch v := tok.(type) {
			case json.Delim:
				if v != '{' {
					return f.fail(line, "%s: arrays are not supported; use an object or a string", showKey(name))
				}
				if err := walk(name); err != nil {
					return err
				}
				continue
			case string:
				value = v
			case json.Number:
				value = v.String()
			case bool:
				value = strconv.FormatBool(v)
			case nil:
				value = ""
			}
			if err := f.add(name, line, value); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // the closing '}'
			return jsonError(err)
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, f.fail(lineAt(dec.InputOffset()), "unexpected data after the top-level object")
	}
	return f.secrets, nil
}

// parseDotenv reads a dotenv file in the syntax of internal/dotenv, the
// one secret references rewrite too. Variables are not expanded: a secret
// containing '$' must read back unchanged.
func parseDotenv(path string, data []byte) (map[string]string, error) {
	f := newFlattener(path, "")
	entries, err := dotenv.Parse(data)
	if err != nil {
		var de *dotenv.Error
		if errors.As(err, &de) {
			return nil, f.fail(de.Line, "%s", de.Msg)
		}
		return nil, err
	}
	for _, e := range entries {
		if err := f.add(e.Key, e.Line, e.Value); err != nil {
			return nil, err
		}
	}
	return f.secrets, nil
}
