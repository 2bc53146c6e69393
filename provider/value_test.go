package provider_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secretkit/secretkit/provider"
)

const plaintext = "hunter2-plaintext"

func TestValueNeverFormatsPlaintext(t *testing.T) {
	v := provider.NewValue(plaintext)
	s := provider.Secret{Metadata: provider.Metadata{Name: "db"}, Value: v}
	type hidden struct{ v provider.Value } // unexported: fmt cannot call its methods
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%10.3s", "%d", "%T"} {
		for _, arg := range []any{v, &v, s, &s, hidden{v}, []provider.Value{v}, map[string]provider.Value{"k": v}} {
			if out := fmt.Sprintf(verb, arg); strings.Contains(out, plaintext) || strings.Contains(out, fmt.Sprintf("%x", plaintext)) {
				t.Errorf("Sprintf(%q, %T) = %q reveals the plaintext", verb, arg, out)
			}
		}
	}
	if got := fmt.Sprint(v); got != provider.Redacted {
		t.Errorf("Sprint = %q; want %q", got, provider.Redacted)
	}
}

// TestValueHiddenFromReflectionPrinters: go-cmp (a dependency of this
// module) prints the fields of a Value it reports, bypassing its methods.
func TestValueHiddenFromReflectionPrinters(t *testing.T) {
	a := provider.Secret{Metadata: provider.Metadata{Name: "db"}, Value: provider.NewValue(plaintext + "-a")}
	b := provider.Secret{Metadata: provider.Metadata{Name: "db"}, Value: provider.NewValue(plaintext + "-b")}
	for _, diff := range []string{cmp.Diff(a, b), cmp.Diff(a.Value, b.Value), cmp.Diff([]provider.Secret{a}, []provider.Secret{b})} {
		if diff == "" {
			t.Errorf("cmp.Diff found different values equal")
		}
		if strings.Contains(diff, plaintext) {
			t.Errorf("cmp.Diff reveals the plaintext:\n%s", diff)
		}
	}
	if !cmp.Equal(a.Value, provider.NewValue(plaintext+"-a")) || !reflect.DeepEqual(a.Value, provider.NewValue(plaintext+"-a")) {
		t.Errorf("equal plaintexts compare unequal")
	}
	if reflect.DeepEqual(a.Value, b.Value) {
		t.Errorf("reflect.DeepEqual finds different plaintexts equal")
	}
}

func TestValueEncodersRedact(t *testing.T) {
	v := provider.NewValue(plaintext)
	j, err := json.Marshal(map[string]any{"v": v, "s": provider.Secret{Value: v}, "p": &v})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(j), plaintext) || !strings.Contains(string(j), `"`+provider.Redacted+`"`) {
		t.Errorf("json = %s", j)
	}
	text, _ := v.MarshalText()
	if string(text) != provider.Redacted {
		t.Errorf("MarshalText = %q", text)
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewJSONHandler(&buf, nil), slog.NewTextHandler(&buf, nil)} {
		slog.New(h).Info("msg", "v", v, "s", provider.Secret{Value: v}, slog.Any("p", &v))
	}
	if strings.Contains(buf.String(), plaintext) {
		t.Errorf("slog output reveals the plaintext: %s", buf.String())
	}
	err = fmt.Errorf("wrapping %v and %s", v, v)
	if strings.Contains(err.Error(), plaintext) {
		t.Errorf("error = %q", err)
	}
	if err := errors.Join(errors.New(fmt.Sprint(v))); strings.Contains(err.Error(), plaintext) {
		t.Errorf("joined error = %q", err)
	}
}

func TestValueRevealAndCompare(t *testing.T) {
	v := provider.NewValue(plaintext)
	if v.Reveal() != plaintext || v.Len() != len(plaintext) {
		t.Errorf("Reveal/Len = %d bytes, %d", len(v.Reveal()), v.Len())
	}
	var zero provider.Value
	if zero.Reveal() != "" || zero.Len() != 0 || !zero.Equal(provider.NewValue("")) {
		t.Errorf("zero Value is not the empty value")
	}
	if !v.Equal(provider.NewValue(plaintext)) || v.Equal(zero) {
		t.Errorf("Equal compares wrongly")
	}
	binary := "\x00\xff\xfe"
	if provider.NewValue(binary).Reveal() != binary {
		t.Errorf("binary value altered")
	}
}
