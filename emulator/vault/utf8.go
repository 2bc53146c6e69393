package vault

import "unicode/utf8"

// unconfirmed: Key Vault (System.Text.Json) refuses a body that is not
// UTF-8 with 400 BadParameter; the wording is the emulator's.
const msgBadUTF8 = "The request body is not valid UTF-8 JSON text."

// validJSONText reports whether a JSON body is UTF-8 and has no lone
// surrogate escapes (\ud800 without its pair): encoding/json would decode
// either to U+FFFD, silently storing something other than what was sent.
// data must already be valid JSON syntax, so a backslash only occurs
// inside strings.
func validJSONText(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	pendingHigh := false
	for i := 0; i < len(data); i++ {
		if data[i] != '\\' {
			if pendingHigh {
				return false
			}
			continue
		}
		if i+1 >= len(data) {
			return false
		}
		if data[i+1] != 'u' {
			if pendingHigh {
				return false
			}
			i++ // the escaped character, which may be a backslash
			continue
		}
		if i+6 > len(data) {
			return false
		}
		r, ok := hex4(data[i+2 : i+6])
		if !ok {
			return false
		}
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if pendingHigh {
				return false
			}
			pendingHigh = true
		case r >= 0xdc00 && r < 0xe000:
			if !pendingHigh {
				return false
			}
			pendingHigh = false
		default:
			if pendingHigh {
				return false
			}
		}
		i += 5
	}
	return !pendingHigh
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}
