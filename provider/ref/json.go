package ref

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// JSON expands the references in the string values of a JSON document
// (never in object keys) and returns it with only those strings changed:
// key order, white space, numbers and every other byte stay as they were.
// file names the document in errors.
func (r *Resolver) JSON(ctx context.Context, src []byte, file string) ([]byte, error) {
	if !json.Valid(src) {
		var v any
		err := json.Unmarshal(src, &v)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s:%d: %w", file, lineAt(src, int(se.Offset)), err)
		}
		return nil, fmt.Errorf("%s: not valid JSON", file)
	}
	if !bytes.Contains(src, []byte(opener)) {
		return src, nil
	}
	type span struct{ start, end int }
	var spans []span
	replaced := map[int]string{} // span start -> new literal
	j := &job{r: r}
	lines := lineCounter{src: src, line: 1}
	for _, s := range jsonValueStrings(src) {
		var text string
		if err := json.Unmarshal(src[s.start:s.end], &text); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, lines.at(s.start), err)
		}
		if !mayHold(text) {
			continue
		}
		start := s.start
		spans = append(spans, span(s))
		if err := j.add(&site{text: text, file: file, line: lines.at(s.start), set: func(v string) error {
			if err := textOnly(v); err != nil {
				return err
			}
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(v); err != nil {
				return err
			}
			replaced[start] = string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
			return nil
		}}); err != nil {
			return nil, err
		}
	}
	if len(spans) == 0 {
		return src, nil
	}
	if err := j.run(ctx); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	prev := 0
	for _, s := range spans {
		out.Write(src[prev:s.start])
		out.WriteString(replaced[s.start])
		prev = s.end
	}
	out.Write(src[prev:])
	return out.Bytes(), nil
}

// jsonValueStrings returns the byte spans, quotes included, of the string
// literals in valid JSON src that are values rather than object keys.
func jsonValueStrings(src []byte) []struct{ start, end int } {
	var out []struct{ start, end int }
	for i := 0; i < len(src); i++ {
		if src[i] != '"' {
			continue
		}
		start := i
		for i++; src[i] != '"'; i++ {
			if src[i] == '\\' {
				i++
			}
		}
		end := i + 1
		k := end
		for k < len(src) && (src[k] == ' ' || src[k] == '\t' || src[k] == '\n' || src[k] == '\r') {
			k++
		}
		if k < len(src) && src[k] == ':' {
			continue // an object key
		}
		out = append(out, struct{ start, end int }{start, end})
	}
	return out
}

// lineCounter finds the lines of ascending offsets in src, counting on
// from the previous one: lineAt for every string of a large document
// would be quadratic in its size.
type lineCounter struct {
	src       []byte
	off, line int // line is the 1-based line of offset off
}

func (c *lineCounter) at(off int) int {
	off = min(off, len(c.src))
	if off < c.off {
		c.off, c.line = 0, 1
	}
	c.line += bytes.Count(c.src[c.off:off], []byte("\n"))
	c.off = off
	return c.line
}

// lineAt returns the 1-based line of byte offset off in src.
func lineAt(src []byte, off int) int {
	if off > len(src) {
		off = len(src)
	}
	return bytes.Count(src[:off], []byte("\n")) + 1
}
