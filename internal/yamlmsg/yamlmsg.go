// Package yamlmsg rewrites the errors gopkg.in/yaml.v3 returns while
// decoding a document into a yaml.Node so that they name a line and the
// kind of problem, never text of the document. yaml.v3 quotes the name of
// an unknown or self-containing anchor, and an unquoted value such as
// `db: *Xk9secretA` is read as an alias: its message would print the
// secret. provider/file and the emulator's config share this one rule.
package yamlmsg

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
)

var (
	linePrefix     = regexp.MustCompile(`^line (\d+): `)
	unknownAnchor  = regexp.MustCompile(`^unknown anchor '(.*)' referenced$`)
	recursiveAlias = regexp.MustCompile(`^anchor '(.*)' value contains itself$`)
	// oneChar is a quoted single character: the scanner's own messages
	// quote nothing else ("did not find expected ',' or ']'").
	oneChar = regexp.MustCompile(`'[^']'`)
)

// Messages for the problems whose yaml.v3 text quotes the document.
const (
	MsgUnknownAnchor  = "an alias (*name) refers to an anchor that is not defined; quote a value that starts with '*'"
	MsgRecursiveAlias = "an alias refers to the node that contains it"
	MsgInvalid        = "invalid YAML"
)

// MsgUTF16 refuses a UTF-16 document: yaml.v3 would decode it and number
// its lines by characters (U+2028, U+0085 included) that no editor showing
// the bytes agrees with, so no error could name the line a person sees.
const MsgUTF16 = "the file is UTF-16; save it as UTF-8"

// IsUTF16 reports whether data starts with a UTF-16 byte-order mark, the
// only way yaml.v3 reads UTF-16.
func IsUTF16(data []byte) bool {
	return len(data) >= 2 && (data[0] == 0xff && data[1] == 0xfe || data[0] == 0xfe && data[1] == 0xff)
}

// Syntax returns the line (0 when yaml.v3 did not say and it cannot be
// found) and a one-line message for err, an error of yaml.v3 decoding
// data. The message has no "yaml: " prefix and no "line N: ".
func Syntax(err error, data []byte) (line int, msg string) {
	msg, _, _ = strings.Cut(err.Error(), "\n")
	msg = strings.TrimPrefix(msg, "yaml: ")
	if m := linePrefix.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		return aliasLine(data, m[1], line), MsgUnknownAnchor
	}
	if m := recursiveAlias.FindStringSubmatch(msg); m != nil {
		return aliasLine(data, m[1], line), MsgRecursiveAlias
	}
	if strings.ContainsAny(oneChar.ReplaceAllString(msg, ""), "'\"`") {
		// Quoting more than one character: not a message this package
		// knows to be free of the document's text.
		return line, MsgInvalid
	}
	return line, msg
}

// aliasLine is the line of the first alias *name in data, or fallback.
func aliasLine(data []byte, name string, fallback int) int {
	alias := []byte("*" + name)
	for off := 0; ; {
		i := bytes.Index(data[off:], alias)
		if i < 0 {
			return fallback
		}
		end := off + i + len(alias)
		if end == len(data) || bytes.IndexByte([]byte(" \t\r\n,]}#"), data[end]) >= 0 {
			return 1 + bytes.Count(data[:off+i], []byte("\n")) +
				bytes.Count(bytes.ReplaceAll(data[:off+i], []byte("\r\n"), nil), []byte("\r"))
		}
		off = end
	}
}
