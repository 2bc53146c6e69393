// Package yamlnode is the one strict way the emulator's settings types read
// themselves from yaml.v3 nodes: every problem, an unknown or duplicate key
// included, is an *Error carrying the line of the node it is about, and
// messages never quote a scalar the caller has not chosen to quote (values
// may be secrets).
//
// Each room's settings type has an UnmarshalYAML method written with these
// helpers; package config adds the file name and the checks that span
// rooms.
package yamlnode

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Error is a problem at a line of a YAML document (0 when unknown).
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return e.Msg
}

// Errorf returns an *Error at n's line (n as given: an alias reports the
// alias's line).
func Errorf(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return ErrorAt(line, format, args...)
}

// ErrorAt returns an *Error at line.
func ErrorAt(line int, format string, args ...any) error {
	return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// IsNull reports whether n is absent or an explicit null (`key:`, `~`).
// The readers below take an absent node (nil, as Mapping.Get returns for
// a missing key) as the wrong kind, an error at line 0, never a panic.
func IsNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Mapping is a YAML mapping whose keys are plain and unique, in file order.
type Mapping struct {
	// Node is the resolved mapping node.
	Node    *yaml.Node
	entries []Entry
}

// Entry is one key/value pair of a Mapping.
type Entry struct {
	Key, Value *yaml.Node
}

// Map reads n as a mapping, rejecting duplicate keys. what names the
// mapping in messages ("vault \"x\"").
func Map(n *yaml.Node, what string) (Mapping, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return Mapping{}, Errorf(n, "%s must be a mapping", what)
	}
	m := Mapping{Node: n, entries: make([]Entry, 0, len(n.Content)/2)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return Mapping{}, Errorf(k, "keys in %s must be plain names", what)
		}
		for _, e := range m.entries {
			if e.Key.Value == k.Value {
				return Mapping{}, Errorf(k, "duplicate %s in %s (first at line %d)", showKey(n, k, n.Content[i+1]), what, e.Key.Line)
			}
		}
		m.entries = append(m.entries, Entry{k, n.Content[i+1]})
	}
	return m, nil
}

// Strict is Map followed by Known: the mapping of a settings type whose
// keys are all known up front.
func Strict(n *yaml.Node, what, where string, keys ...string) (Mapping, error) {
	m, err := Map(n, what)
	if err != nil {
		return m, err
	}
	return m, m.Known(where, keys...)
}

// Known rejects any key not in keys; where completes the message
// `unknown key "k"` (e.g. ` in vault "x"`).
func (m Mapping) Known(where string, keys ...string) error {
	for _, e := range m.entries {
		if !slices.Contains(keys, e.Key.Value) {
			return Errorf(e.Key, "unknown %s%s", showKey(m.Node, e.Key, e.Value), where)
		}
	}
	return nil
}

// settingsKey is what a settings key looks like; only such keys are
// quoted in messages.
var settingsKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// showKey names key k of mapping m (value v) in a message. A key is quoted
// only when it looks like a settings key and has a value: in
// {name: db, value hunter2} the "key" is a value missing its ':'.
func showKey(m, k, v *yaml.Node) string {
	v = resolve(v)
	missingColon := m.Style&yaml.FlowStyle != 0 && v != nil && v.Kind == yaml.ScalarNode &&
		v.Tag == "!!null" && v.Value == "" && v.Style == 0
	if settingsKey.MatchString(k.Value) && !missingColon {
		return "key " + strconv.Quote(k.Value)
	}
	return "key (not shown: it may be a value; is a ':' missing?)"
}

// Get returns the value of key, or nil when the key is absent.
func (m Mapping) Get(key string) *yaml.Node {
	for _, e := range m.entries {
		if e.Key.Value == key {
			return e.Value
		}
	}
	return nil
}

// Entries returns the pairs in file order.
func (m Mapping) Entries() []Entry { return m.entries }

// Require reads n as a mapping (named what) that must hold key with a
// non-null value: "{what} needs a {key}" otherwise, at the mapping's line.
func Require(n *yaml.Node, what, key string) (Mapping, error) {
	m, err := Map(n, what)
	if err == nil && IsNull(m.Get(key)) {
		err = Errorf(m.Node, "%s needs a %s", what, key)
	}
	return m, err
}

// Named reads the mapping of a thing its name identifies (an identity, a
// vault): what needs a name; the name must be a string for which valid
// holds, else `{what} name "x" is invalid: {rule}`; and every key must be
// in keys (` in {what} "x"` completes the message). It returns the
// mapping and the name as written.
func Named(n *yaml.Node, what string, valid func(string) bool, rule string, keys ...string) (Mapping, string, error) {
	m, err := Require(n, what, "name")
	if err != nil {
		return m, "", err
	}
	nameNode := m.Get("name")
	name, err := Str(nameNode, what+" name")
	if err != nil {
		return m, "", err
	}
	if !valid(name) {
		return m, "", Errorf(nameNode, "%s name %q is invalid: %s", what, name, rule)
	}
	return m, name, m.Known(fmt.Sprintf(" in %s %q", what, name), keys...)
}

// Str returns a scalar's text. Numbers and booleans are accepted as the
// text written, so `tags: {build: 42}` means "42". The message never
// quotes the value, which may be a secret.
func Str(n *yaml.Node, what string) (string, error) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		return "", Errorf(n, "%s must be a string", what)
	}
	if n.Style&yaml.TaggedStyle != 0 && !standardTags[n.ShortTag()] {
		// An unquoted "!pw..." is a tag: the value would lose its start.
		return "", Errorf(n, "%s has a YAML tag (!...); quote a value that starts with '!'", what)
	}
	return n.Value, nil
}

// standardTags are the explicit tags a scalar may carry.
var standardTags = map[string]bool{"!!str": true, "!!int": true, "!!float": true, "!!bool": true,
	"!!null": true, "!!timestamp": true, "!!binary": true}

// Int returns an integer scalar.
func Int(n *yaml.Node, what string) (int, error) {
	n = resolve(n)
	var v int
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		return 0, Errorf(n, "%s must be an integer", what)
	}
	return v, nil
}

// Bool returns a boolean scalar.
func Bool(n *yaml.Node, what string) (bool, error) {
	n = resolve(n)
	var v bool
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		return false, Errorf(n, "%s must be true or false", what)
	}
	return v, nil
}

// Seq returns a list's items; null means an empty list.
func Seq(n *yaml.Node, what string) ([]*yaml.Node, error) {
	if IsNull(n) {
		return nil, nil
	}
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		return nil, Errorf(n, "%s must be a list", what)
	}
	return n.Content, nil
}

// Line is the line of n after resolving aliases, 0 for nil.
func Line(n *yaml.Node) int {
	if n = resolve(n); n != nil {
		return n.Line
	}
	return 0
}
