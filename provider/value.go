package provider

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"weak"
)

// Redacted is what every formatting, encoding and logging path prints in
// place of a [Value]'s plaintext.
const Redacted = "[REDACTED]"

// Value holds a secret's plaintext and refuses to show it anywhere but
// [Value.Reveal]: fmt (every verb and flag), encoding/json, encoding.TextMarshaler
// users and log/slog all see [Redacted]. The zero Value is the empty value.
//
// Printers that bypass the methods and walk the fields by reflection
// (go-cmp's diffs, spew, which testify uses, fmt on a struct with an
// unexported Value field) find no plaintext and nothing derived from it:
// the only field leads to a function that returns the plaintext, and
// reflection prints a function as its code address, the same for every
// Value. go-cmp uses [Value.Equal] and never descends. Values with equal
// plaintexts share one holder, so == and reflect.DeepEqual compare
// plaintexts too. A Value is immutable and safe to copy and share between
// goroutines.
type Value struct {
	h *valueHolder // nil for the empty value
}

// valueHolder keeps a plaintext out of reach of reflection: a closure's
// captured variables are not fields.
type valueHolder struct {
	plaintext func() string
}

// holders interns one valueHolder per plaintext in use, weakly. Entries
// whose holder was collected are swept out whenever the table has doubled
// since the last sweep, which keeps it within twice the live values (plus
// minSweep) at an amortised constant cost and without a cleanup goroutine,
// which would disturb programs that count their goroutines.
var holders struct {
	mu      sync.Mutex
	m       map[string]weak.Pointer[valueHolder]
	sweepAt int
}

const minSweep = 1024

// NewValue returns a Value holding s. Any bytes are allowed, including NUL and
// invalid UTF-8.
func NewValue(s string) Value {
	if s == "" {
		return Value{}
	}
	holders.mu.Lock()
	defer holders.mu.Unlock()
	if h := holders.m[s].Value(); h != nil {
		return Value{h: h}
	}
	if len(holders.m) >= holders.sweepAt {
		for k, wp := range holders.m {
			if wp.Value() == nil {
				delete(holders.m, k)
			}
		}
		holders.sweepAt = max(2*len(holders.m), minSweep)
	}
	s = strings.Clone(s) // not a window into a larger string the caller holds
	h := &valueHolder{plaintext: func() string { return s }}
	if holders.m == nil {
		holders.m = make(map[string]weak.Pointer[valueHolder])
	}
	holders.m[s] = weak.Make(h)
	return Value{h: h}
}

// Reveal returns the plaintext. It is the only way to obtain it; call it as
// late as possible and never pass its result to a logger or an error.
func (v Value) Reveal() string {
	if v.h == nil {
		return ""
	}
	return v.h.plaintext()
}

// Len returns the plaintext's length in bytes, which is not considered secret.
func (v Value) Len() int { return len(v.Reveal()) }

// Equal reports whether v and w hold the same plaintext, without revealing
// it or comparing it byte by byte: equal plaintexts share one holder.
func (v Value) Equal(w Value) bool { return v.h == w.h }

// String returns [Redacted].
func (v Value) String() string { return Redacted }

// GoString returns [Redacted], so %#v does not show the plaintext.
func (v Value) GoString() string { return Redacted }

// Format writes [Redacted] for every verb and flag, including %x and %q.
func (v Value) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(Redacted)) }

// MarshalJSON encodes [Redacted] as a JSON string.
func (v Value) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText returns [Redacted]; text-based encoders (YAML, XML, JSON map keys) use it.
func (v Value) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue makes log/slog record [Redacted].
func (v Value) LogValue() slog.Value { return slog.StringValue(Redacted) }
