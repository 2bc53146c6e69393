package ref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Environ expands the references in the values of env, a list of
// "KEY=value" entries as os.Environ returns, and returns a new list in the
// same order. Entries without references are kept byte for byte. source
// names the list in errors (e.g. "environment"); errors name the variable.
func (r *Resolver) Environ(ctx context.Context, env []string, source string) ([]string, error) {
	out := append([]string(nil), env...)
	j := &job{r: r}
	for i, kv := range env {
		key, value, ok := strings.Cut(kv, "=")
		if !ok || !mayHold(value) {
			continue
		}
		if err := j.add(&site{text: value, file: source, key: key, set: func(v string) error {
			if err := envValueOnly(v); err != nil {
				return err
			}
			out[i] = key + "=" + v
			return nil
		}}); err != nil {
			return nil, err
		}
	}
	if err := j.run(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// Map expands the references in the values of m and returns a new map.
func (r *Resolver) Map(ctx context.Context, m map[string]string, source string) (map[string]string, error) {
	out := make(map[string]string, len(m))
	j := &job{r: r}
	for key, value := range m {
		out[key] = value
		if !mayHold(value) {
			continue
		}
		if err := j.add(&site{text: value, file: source, key: key, set: func(v string) error {
			out[key] = v
			return nil
		}}); err != nil {
			return nil, err
		}
	}
	if err := j.run(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// envValueOnly rejects what an environment variable cannot hold.
func envValueOnly(v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("the expanded value (%d bytes) holds a NUL byte, which an environment variable cannot", len(v))
	}
	return nil
}

// EnvVar is one KEY=VALUE entry of a dotenv file.
type EnvVar struct {
	Key   string
	Value string
	Line  int // 1-based line of the entry
	// start and end delimit the value's source text, quotes included.
	start, end int
}

var dotenvKey = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ParseDotenv reads a dotenv file with the syntax package provider/file
// reads: KEY=VALUE lines, '#' comments, optional "export ", unquoted values
// (a trailing " # comment" removed), single-quoted literal values and
// double-quoted values with \n \r \t \\ \" \$ escapes; quoted values may
// span lines. Nothing is expanded: references stay as written. Errors name
// file and line, never a value.
func ParseDotenv(data []byte, file string) ([]EnvVar, error) {
	s := string(data)
	fail := func(line int, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", file, line, fmt.Sprintf(format, args...))
	}
	lineEnd := func(from int) int {
		if i := strings.IndexByte(s[from:], '\n'); i >= 0 {
			return from + i
		}
		return len(s)
	}
	var out []EnvVar
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
		if eq < 0 || !dotenvKey.MatchString(key) {
			return nil, fail(startLine, "expected KEY=VALUE with a key of letters, digits, '_', '.' or '-'")
		}
		valueStart := pos + eq + 1
		lineStop := pos + len(raw)
		for valueStart < lineStop && (s[valueStart] == ' ' || s[valueStart] == '\t') {
			valueStart++
		}
		v := EnvVar{Key: key, Line: startLine, start: valueStart}
		if valueStart < lineStop && (s[valueStart] == '"' || s[valueStart] == '\'') {
			value, n, err := unquoteDotenv(s[valueStart:])
			if err != nil {
				return nil, fail(startLine, "key %q: %v", key, err)
			}
			closing := valueStart + n
			line += strings.Count(s[valueStart:closing], "\n")
			end = lineEnd(closing)
			if t := strings.TrimSpace(s[closing:end]); t != "" && !strings.HasPrefix(t, "#") {
				return nil, fail(line, "key %q: unexpected text after the closing quote", key)
			}
			v.Value, v.end = value, closing
		} else {
			value := s[valueStart:lineStop]
			if i := strings.Index(value, " #"); i >= 0 {
				value = value[:i]
			}
			value = strings.TrimRight(value, " \t")
			v.Value, v.end = value, valueStart+len(value)
		}
		out = append(out, v)
		pos, line = end+1, line+1
	}
	return out, nil
}

// unquoteDotenv reads one quoted value from the start of s and returns it
// and the number of bytes read, closing quote included.
func unquoteDotenv(s string) (value string, n int, err error) {
	quote := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == quote:
			return b.String(), i + 1, nil
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
				return "", 0, errors.New(`unknown escape sequence; after \ use n, r, t, \, " or $`)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errors.New("unterminated quoted value")
}

// quoteDotenv writes v so that ParseDotenv reads it back exactly: bare
// when it is plain, else double-quoted with escapes.
func quoteDotenv(v string) string {
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

// Dotenv expands the references in the values of a dotenv file (see
// [ParseDotenv]) and returns the file with only those values rewritten,
// quoted as needed; comments, order and every other line stay as they
// were. file names it in errors.
func (r *Resolver) Dotenv(ctx context.Context, src []byte, file string) ([]byte, error) {
	vars, err := ParseDotenv(src, file)
	if err != nil {
		return nil, err
	}
	replaced := map[int]string{}
	var changed []EnvVar
	j := &job{r: r}
	for _, v := range vars {
		if !mayHold(v.Value) {
			continue
		}
		changed = append(changed, v)
		if err := j.add(&site{text: v.Value, file: file, line: v.Line, key: v.Key, set: func(val string) error {
			if err := envValueOnly(val); err != nil {
				return err
			}
			replaced[v.start] = quoteDotenv(val)
			return nil
		}}); err != nil {
			return nil, err
		}
	}
	if len(changed) == 0 {
		return src, nil
	}
	if err := j.run(ctx); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	prev := 0
	for _, v := range changed {
		out.WriteString(string(src[prev:v.start]))
		out.WriteString(replaced[v.start])
		prev = v.end
	}
	out.Write(src[prev:])
	return out.Bytes(), nil
}

// DotenvVars expands the references in a dotenv file and returns its
// variables as "KEY=value" entries, in file order, as a process
// environment takes them.
func (r *Resolver) DotenvVars(ctx context.Context, src []byte, file string) ([]string, error) {
	vars, err := ParseDotenv(src, file)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vars))
	j := &job{r: r}
	for i, v := range vars {
		out[i] = v.Key + "=" + v.Value
		if !mayHold(v.Value) {
			continue
		}
		if err := j.add(&site{text: v.Value, file: file, line: v.Line, key: v.Key, set: func(val string) error {
			if err := envValueOnly(val); err != nil {
				return err
			}
			out[i] = v.Key + "=" + val
			return nil
		}}); err != nil {
			return nil, err
		}
	}
	if err := j.run(ctx); err != nil {
		return nil, err
	}
	return out, nil
}
