// Package dotenv reads and writes the one dotenv syntax secretkit speaks:
// the file provider reads secrets files in it, and secret references
// (provider/ref, `secrets run` and `secrets render`) rewrite values in
// place in it. One parser keeps the two from ever disagreeing on a file.
//
// The syntax: KEY=VALUE lines; blank lines and lines starting with '#' are
// skipped; an optional "export " before the key; keys of letters, digits,
// '_', '.' and '-'. An unquoted value ends at the line's end or at " #"
// (a comment), and surrounding blanks are dropped. A single-quoted value is
// literal; a double-quoted one takes the escapes \n \r \t \\ \" \$. Quoted
// values may span lines (a CRLF inside one reads as LF). Nothing is
// expanded: a secret holding '$' reads back unchanged.
package dotenv

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Entry is one KEY=VALUE line of a file.
type Entry struct {
	Key   string
	Value string
	Line  int // 1-based line of the key
	// Start and End are the byte offsets of the value's source text in
	// the file, quotes included, so a caller can rewrite it in place.
	Start, End int
}

// Error is a syntax error. Its message names the line and the problem and
// never quotes a value.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Parse reads every entry of data, in file order. A key given twice
// appears twice; what that means is the caller's rule.
func Parse(data []byte) ([]Entry, error) {
	s := string(data)
	fail := func(line int, format string, args ...any) error {
		return &Error{Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	lineEnd := func(from int) int {
		if i := strings.IndexByte(s[from:], '\n'); i >= 0 {
			return from + i
		}
		return len(s)
	}
	var out []Entry
	line := 1
	for pos := 0; pos < len(s); {
		end := lineEnd(pos)
		raw := strings.TrimSuffix(s[pos:end], "\r")
		startLine := line
		if t := strings.TrimSpace(raw); t == "" || strings.HasPrefix(t, "#") {
			pos, line = end+1, line+1
			continue
		}
		eq := strings.IndexByte(raw, '=')
		key := ""
		if eq >= 0 {
			key = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(raw[:eq]), "export "))
		}
		if eq < 0 || !keyPattern.MatchString(key) {
			return nil, fail(startLine, "expected KEY=VALUE with a key of letters, digits, '_', '.' or '-'")
		}
		valueStart := pos + eq + 1
		lineStop := pos + len(raw)
		for valueStart < lineStop && (s[valueStart] == ' ' || s[valueStart] == '\t') {
			valueStart++
		}
		e := Entry{Key: key, Line: startLine, Start: valueStart}
		if valueStart < lineStop && (s[valueStart] == '"' || s[valueStart] == '\'') {
			value, n, err := unquote(s[valueStart:])
			if err != nil {
				return nil, fail(startLine, "key %q: %v", key, err)
			}
			closing := valueStart + n
			line += strings.Count(s[valueStart:closing], "\n")
			end = lineEnd(closing)
			if t := strings.TrimSpace(s[closing:end]); t != "" && !strings.HasPrefix(t, "#") {
				return nil, fail(line, "key %q: unexpected text after the closing quote", key)
			}
			e.Value, e.End = value, closing
		} else {
			value := s[valueStart:lineStop]
			if i := strings.Index(value, " #"); i >= 0 {
				value = value[:i]
			}
			value = strings.TrimRight(value, " \t")
			e.Value, e.End = value, valueStart+len(value)
		}
		out = append(out, e)
		pos, line = end+1, line+1
	}
	return out, nil
}

// unquote reads one quoted value from the start of s and returns it and
// the number of bytes read, closing quote included.
func unquote(s string) (value string, n int, err error) {
	quote := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == quote:
			return b.String(), i + 1, nil
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			// A line break of a CRLF file is a line break, not a CR.
		case c == '\\' && quote == '"' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '\\', '"', '$':
				b.WriteByte(s[i])
			default:
				// The escaped character is part of the value: not named.
				return "", 0, errors.New(`unknown escape sequence; after \ use n, r, t, \, " or $`)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errors.New("unterminated quoted value")
}

// Quote writes v so that Parse reads it back exactly: bare when it is
// plain, else double-quoted with escapes.
func Quote(v string) string {
	plain := v != ""
	for _, c := range []byte(v) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_-.,/:@+=%", c) >= 0) {
			plain = false
			break
		}
	}
	if plain {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(v) {
		switch c {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\\', '"', '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
