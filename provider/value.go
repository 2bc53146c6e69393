package provider

import (
	"crypto/rand"
	"fmt"
	"log/slog"
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
// unexported Value field) reach only the stored form: the plaintext XORed
// with a per-process random mask, behind a pointer. They show an address or
// masked bytes, never the plaintext, while reflect.DeepEqual still finds
// equal plaintexts equal. A Value is immutable and safe to copy and share
// between goroutines.
type Value struct {
	p *string // masked plaintext; nil for the empty value
}

// valueMask is XORed over every stored plaintext, cyclically. Every byte
// has its high bit set, so no byte is stored as itself and ASCII text is
// never stored as ASCII.
var valueMask = func() (m [32]byte) {
	_, _ = rand.Read(m[:])
	for i := range m {
		m[i] |= 0x80
	}
	return m
}()

// masked returns s XORed with valueMask; applying it twice gives s back.
func masked(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] ^= valueMask[i%len(valueMask)]
	}
	return string(b)
}

// NewValue returns a Value holding s. Any bytes are allowed, including NUL and
// invalid UTF-8.
func NewValue(s string) Value {
	if s == "" {
		return Value{}
	}
	m := masked(s)
	return Value{p: &m}
}

// Reveal returns the plaintext. It is the only way to obtain it; call it as
// late as possible and never pass its result to a logger or an error.
func (v Value) Reveal() string {
	if v.p == nil {
		return ""
	}
	return masked(*v.p)
}

// stored returns the masked plaintext.
func (v Value) stored() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

// Len returns the plaintext's length in bytes, which is not considered secret.
func (v Value) Len() int { return len(v.stored()) }

// Equal reports whether v and w hold the same plaintext, without revealing it.
func (v Value) Equal(w Value) bool { return v.stored() == w.stored() }

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
