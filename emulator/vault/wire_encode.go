package vault

import (
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Secrets and pages are encoded by hand: they are every successful read's
// answer, and encoding/json's reflection was the largest allocation on the
// GET path (issue 12). The output is byte for byte what json.Marshal
// writes (FuzzAppendSecret checks), HTML escaping included.

var encodeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func appendSecret(b []byte, s *wireSecret) []byte {
	b = append(b, '{')
	if s.Value != nil {
		b = append(b, `"value":`...)
		b = appendString(b, *s.Value)
		b = append(b, ',')
	}
	b = append(b, `"id":`...)
	b = appendString(b, s.ID)
	if s.ContentType != "" {
		b = append(b, `,"contentType":`...)
		b = appendString(b, s.ContentType)
	}
	a := &s.Attributes
	b = append(b, `,"attributes":{"enabled":`...)
	b = strconv.AppendBool(b, a.Enabled)
	b = appendOptionalInt(b, `,"nbf":`, a.NotBefore)
	b = appendOptionalInt(b, `,"exp":`, a.Expires)
	b = append(b, `,"created":`...)
	b = strconv.AppendInt(b, a.Created, 10)
	b = append(b, `,"updated":`...)
	b = strconv.AppendInt(b, a.Updated, 10)
	b = append(b, `,"recoveryLevel":`...)
	b = appendString(b, a.RecoveryLevel)
	b = append(b, `,"recoverableDays":`...)
	b = strconv.AppendInt(b, int64(a.RecoverableDays), 10)
	b = append(b, '}')
	if len(s.Tags) > 0 {
		b = append(b, `,"tags":{`...)
		b = appendTags(b, s.Tags)
		b = append(b, '}')
	}
	if s.RecoveryID != "" {
		b = append(b, `,"recoveryId":`...)
		b = appendString(b, s.RecoveryID)
	}
	b = appendOptionalInt(b, `,"deletedDate":`, s.DeletedDate)
	b = appendOptionalInt(b, `,"scheduledPurgeDate":`, s.ScheduledPurgeDate)
	return append(b, '}')
}

func appendPage(b []byte, p *wirePage) []byte {
	b = append(b, `{"value":`...)
	if p.Value == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range p.Value {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSecret(b, &p.Value[i])
		}
		b = append(b, ']')
	}
	b = append(b, `,"nextLink":`...)
	if p.NextLink == nil {
		b = append(b, "null"...)
	} else {
		b = appendString(b, *p.NextLink)
	}
	return append(b, '}')
}

func appendOptionalInt(b []byte, key string, v *int64) []byte {
	if v == nil {
		return b
	}
	return strconv.AppendInt(append(b, key...), *v, 10)
}

// appendTags writes the members in key order, as encoding/json sorts map
// keys. Most secrets have a few tags; the sort is over a small stack array
// then.
func appendTags(b []byte, tags map[string]string) []byte {
	var small [8]string
	keys := small[:0]
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, tags[k])
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendString writes s as encoding/json does with HTML escaping: <, > and &
// as \u003c, \u003e, \u0026; control characters as \b \f \n \r \t or \u00XX;
// invalid UTF-8 as \ufffd; U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
