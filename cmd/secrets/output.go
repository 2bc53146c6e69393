package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secretkit/secretkit/provider"
)

// secretJSON is the JSON shape of one secret or version. Value is set only
// when the user asked for it with --reveal; zero times are left out, as the
// provider contract uses them for "not recorded".
type secretJSON struct {
	Name          string            `json:"name"`
	Version       string            `json:"version,omitempty"`
	ContentType   string            `json:"contentType,omitempty"`
	Enabled       bool              `json:"enabled"`
	Tags          map[string]string `json:"tags,omitempty"`
	NotBefore     *time.Time        `json:"notBefore,omitempty"`
	Expires       *time.Time        `json:"expires,omitempty"`
	Created       *time.Time        `json:"created,omitempty"`
	Updated       *time.Time        `json:"updated,omitempty"`
	Value         *string           `json:"value,omitempty"`
	ValueEncoding string            `json:"valueEncoding,omitempty"`
}

func newMetadataJSON(md provider.Metadata) secretJSON {
	return secretJSON{
		Name:        md.Name,
		Version:     md.Version,
		ContentType: md.ContentType,
		Enabled:     md.Enabled,
		Tags:        md.Tags,
		NotBefore:   timeJSON(md.NotBefore),
		Expires:     timeJSON(md.Expires),
		Created:     timeJSON(md.Created),
		Updated:     timeJSON(md.Updated),
	}
}

// newSecretJSON describes s, with its value only when reveal is set. JSON
// strings must be UTF-8, so any other bytes are base64-encoded rather than
// silently replaced.
func newSecretJSON(s provider.Secret, reveal bool) secretJSON {
	out := newMetadataJSON(s.Metadata)
	if reveal {
		plain := s.Value.Reveal()
		if !utf8.ValidString(plain) {
			plain = base64.StdEncoding.EncodeToString([]byte(plain))
			out.ValueEncoding = "base64"
		}
		out.Value = &plain
	}
	return out
}

func metadataListJSON(all []provider.Metadata) []secretJSON {
	out := make([]secretJSON, 0, len(all)) // an empty listing is [], not null
	for _, md := range all {
		out = append(out, newMetadataJSON(md))
	}
	return out
}

func timeJSON(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	utc := t.UTC()
	return &utc
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeTable writes rows as aligned columns under header.
func writeTable[T any](w io.Writer, header []string, rows []T, cells func(T) []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	writeRow := func(cols []string) {
		for i, col := range cols {
			if i > 0 {
				io.WriteString(tw, "\t")
			}
			if strings.ContainsFunc(col, unicode.IsControl) {
				col = strconv.Quote(col) // a tab or newline in a name would break the columns
			}
			io.WriteString(tw, col)
		}
		io.WriteString(tw, "\n")
	}
	if header != nil {
		writeRow(header)
	}
	for _, row := range rows {
		writeRow(cells(row))
	}
	return tw.Flush()
}

func enabledText(enabled bool) string {
	if enabled {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
