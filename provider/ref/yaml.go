package ref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/secretkit/secretkit/internal/yamlmsg"
)

// YAMLNode expands the references in the string scalars of doc in place:
// values and sequence items, never mapping keys. Comments, anchors,
// aliases, tags and styles stay as they are; a node an alias points to is
// expanded once. A plain scalar whose expanded text would read back as
// another type (a secret "1234" or "true") is quoted by the encoder, so it
// stays a string. file names the document in errors.
func (r *Resolver) YAMLNode(ctx context.Context, doc *yaml.Node, file string) error {
	j := &job{r: r}
	if err := j.addYAML(doc, file); err != nil {
		return err
	}
	return j.run(ctx)
}

func (j *job) addYAML(root *yaml.Node, file string) error {
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node, isKey bool) error
	walk = func(n *yaml.Node, isKey bool) error {
		if n == nil || seen[n] {
			return nil
		}
		seen[n] = true
		switch n.Kind {
		case yaml.ScalarNode:
			if isKey && n.Tag == "!!merge" && n.Style == 0 {
				// yaml.v3 would write the implicit tag out as "!!merge <<".
				n.Tag = ""
			}
			if isKey || n.ShortTag() != "!!str" || !mayHold(n.Value) {
				return nil
			}
			return j.add(&site{text: n.Value, file: file, line: n.Line, set: func(v string) error {
				if err := textOnly(v); err != nil {
					return err
				}
				n.Value = v
				if strings.HasPrefix(v, "\n") && n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) == 0 {
					// yaml.v3 writes a leading line break into a block
					// scalar that it then reads back without it.
					n.Style = yaml.DoubleQuotedStyle
				}
				return nil
			}})
		case yaml.MappingNode:
			for i, c := range n.Content {
				if err := walk(c, i%2 == 0); err != nil {
					return err
				}
			}
		case yaml.AliasNode:
			// The anchored node is walked where it is defined.
		default:
			for _, c := range n.Content {
				if err := walk(c, false); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, false)
}

// YAML expands the references in a YAML stream (one or more documents) and
// returns it encoded again. A stream without references is returned
// unchanged, byte for byte; otherwise it is re-encoded from its nodes with
// the indentation of the source, which keeps comments, anchors, key order,
// tags and quoting styles. file names the stream in errors.
func (r *Resolver) YAML(ctx context.Context, src []byte, file string) ([]byte, error) {
	if yamlmsg.IsUTF16(src) {
		return nil, fmt.Errorf("%s:1: %s", file, yamlmsg.MsgUTF16)
	}
	var docs []*yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// yaml.v3 quotes the name of an unknown anchor, which an
			// unquoted "*value" is: only the line and the problem stay.
			line, msg := yamlmsg.Syntax(err, src)
			if line == 0 {
				return nil, fmt.Errorf("%s: malformed YAML: %s", file, msg)
			}
			return nil, fmt.Errorf("%s:%d: malformed YAML: %s", file, line, msg)
		}
		docs = append(docs, &doc)
	}
	j := &job{r: r}
	for _, doc := range docs {
		if err := j.addYAML(doc, file); err != nil {
			return nil, err
		}
	}
	if len(j.sites) == 0 {
		return src, nil // every ${secret: was in a key or a comment
	}
	if err := j.run(ctx); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(indentOf(docs))
	for _, doc := range docs {
		if err := enc.Encode(doc); err != nil {
			return nil, fmt.Errorf("%s: encoding: %w", file, err)
		}
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("%s: encoding: %w", file, err)
	}
	return out.Bytes(), nil
}

// indentOf returns the indentation the documents use for nested mappings,
// or 2 when none is nested.
func indentOf(docs []*yaml.Node) int {
	var find func(n *yaml.Node) int
	find = func(n *yaml.Node) int {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Kind == yaml.MappingNode && len(v.Content) > 0 && v.Style&yaml.FlowStyle == 0 {
					if d := v.Content[0].Column - k.Column; d > 0 {
						return d
					}
				}
			}
		}
		for _, c := range n.Content {
			if d := find(c); d > 0 {
				return d
			}
		}
		return 0
	}
	for _, doc := range docs {
		if d := find(doc); d > 0 {
			return d
		}
	}
	return 2
}
