package ref

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/secretkit/secretkit/internal/dotenv"
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

// DotenvFile is a dotenv file for [Resolver.EnvironLayered]: its name (for
// errors) and contents.
type DotenvFile struct {
	Name string
	Data []byte
}

// EnvironLayered returns env with the variables of each dotenv file laid
// over it in order (a later definition replaces an earlier one, keeping its
// place), and the references of what is left expanded in one pass, as a
// process started with that environment would see them. A variable another
// source replaces is never expanded, so its references are neither read
// nor able to fail; each distinct secret is read once across all sources.
// Errors name the source: source for env's entries, a file and line for
// the files'.
func (r *Resolver) EnvironLayered(ctx context.Context, env []string, source string, files ...DotenvFile) ([]string, error) {
	type entry struct {
		kv   string // as given when not KEY=value
		key  string
		val  string
		file string
		line int
	}
	var entries []entry
	index := map[string]int{}
	lay := func(e entry) {
		if i, ok := index[e.key]; ok {
			entries[i] = e
			return
		}
		index[e.key] = len(entries)
		entries = append(entries, e)
	}
	for _, kv := range env {
		key, val, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			entries = append(entries, entry{kv: kv})
			continue
		}
		lay(entry{key: key, val: val, file: source})
	}
	for _, f := range files {
		vars, err := ParseDotenv(f.Data, f.Name)
		if err != nil {
			return nil, err
		}
		for _, v := range vars {
			lay(entry{key: v.Key, val: v.Value, file: f.Name, line: v.Line})
		}
	}
	out := make([]string, len(entries))
	j := &job{r: r}
	for i, e := range entries {
		if e.key == "" {
			out[i] = e.kv
			continue
		}
		out[i] = e.key + "=" + e.val
		if !mayHold(e.val) {
			continue
		}
		if err := j.add(&site{text: e.val, file: e.file, line: e.line, key: e.key, set: func(v string) error {
			if err := envValueOnly(v); err != nil {
				return err
			}
			out[i] = e.key + "=" + v
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

// ParseDotenv reads a dotenv file with the syntax package provider/file
// reads (internal/dotenv): KEY=VALUE lines, '#' comments, optional
// "export ", unquoted values (a trailing " # comment" removed),
// single-quoted literal values and double-quoted values with \n \r \t \\
// \" \$ escapes; quoted values may span lines. Nothing is expanded:
// references stay as written. Errors name file and line, never a value.
func ParseDotenv(data []byte, file string) ([]EnvVar, error) {
	entries, err := dotenv.Parse(data)
	if err != nil {
		var de *dotenv.Error
		if errors.As(err, &de) {
			return nil, fmt.Errorf("%s:%d: %s", file, de.Line, de.Msg)
		}
		return nil, err
	}
	out := make([]EnvVar, len(entries))
	for i, e := range entries {
		out[i] = EnvVar{Key: e.Key, Value: e.Value, Line: e.Line, start: e.Start, end: e.End}
	}
	return out, nil
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
			replaced[v.start] = dotenv.Quote(val)
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
		out.Write(src[prev:v.start])
		out.WriteString(replaced[v.start])
		prev = v.end
	}
	out.Write(src[prev:])
	return out.Bytes(), nil
}

// DotenvVars expands the references in a dotenv file and returns its
// variables as "KEY=value" entries, in file order, as a process
// environment takes them: a key defined twice keeps its first place and
// its last value, and only that value is expanded.
func (r *Resolver) DotenvVars(ctx context.Context, src []byte, file string) ([]string, error) {
	return r.EnvironLayered(ctx, nil, "", DotenvFile{Name: file, Data: src})
}
