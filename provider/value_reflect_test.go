package provider_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/secretkit/secretkit/provider"
)

// dump prints everything reachable from v by reflection, unexported fields
// included, the way spew does: pointers are followed (once), strings and
// byte slices printed whole, functions and channels as their address.
func dump(v any) string {
	var b strings.Builder
	seen := map[uintptr]bool{}
	var walk func(r reflect.Value)
	walk = func(r reflect.Value) {
		switch r.Kind() {
		case reflect.Invalid:
			b.WriteString("<invalid>")
		case reflect.Pointer:
			if r.IsNil() {
				b.WriteString("nil")
				return
			}
			fmt.Fprintf(&b, "(%#x)&", r.Pointer())
			if seen[r.Pointer()] {
				return
			}
			seen[r.Pointer()] = true
			walk(r.Elem())
		case reflect.Interface:
			if r.IsNil() {
				b.WriteString("nil")
				return
			}
			walk(r.Elem())
		case reflect.Struct:
			b.WriteString(r.Type().String() + "{")
			for i := range r.NumField() {
				b.WriteString(r.Type().Field(i).Name + ":")
				walk(r.Field(i))
				b.WriteString(" ")
			}
			b.WriteString("}")
		case reflect.Slice, reflect.Array:
			if r.Type().Elem().Kind() == reflect.Uint8 {
				fmt.Fprintf(&b, "%q", bytesOf(r))
				return
			}
			b.WriteString("[")
			for i := range r.Len() {
				walk(r.Index(i))
				b.WriteString(" ")
			}
			b.WriteString("]")
		case reflect.Map:
			b.WriteString("map[")
			iter := r.MapRange()
			for iter.Next() {
				walk(iter.Key())
				b.WriteString(":")
				walk(iter.Value())
				b.WriteString(" ")
			}
			b.WriteString("]")
		case reflect.String:
			fmt.Fprintf(&b, "%q", r.String())
		case reflect.Func, reflect.Chan, reflect.UnsafePointer:
			fmt.Fprintf(&b, "%s(%#x)", r.Kind(), r.Pointer())
		case reflect.Bool:
			fmt.Fprint(&b, r.Bool())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			fmt.Fprint(&b, r.Int())
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			fmt.Fprint(&b, r.Uint())
		default:
			fmt.Fprintf(&b, "<%s>", r.Kind())
		}
	}
	walk(reflect.ValueOf(v))
	return b.String()
}

func bytesOf(r reflect.Value) []byte {
	out := make([]byte, r.Len())
	for i := range out {
		out[i] = byte(r.Index(i).Uint())
	}
	return out
}

var addresses = regexp.MustCompile(`0x[0-9a-f]+`)

// TestReflectionPrintersSeeNothingOfTheValue: go-cmp's diff, a spew-style
// walk of every reachable field, and every fmt verb print the same text
// whatever the plaintext (given its length), so they cannot show any byte
// of it or anything computed from it, masked or hashed. Only addresses
// differ between runs, and those are blanked before comparing.
func TestReflectionPrintersSeeNothingOfTheValue(t *testing.T) {
	pem := "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n"
	other := strings.Repeat("x", len(pem))
	type wrapper struct {
		secret provider.Secret // unexported: fmt cannot call the Value's methods
		values []provider.Value
	}
	printers := map[string]func(a, b provider.Value) string{
		"cmp.Diff of secrets": func(a, b provider.Value) string {
			return cmp.Diff(provider.Secret{Metadata: provider.Metadata{Name: "db"}, Value: a},
				provider.Secret{Metadata: provider.Metadata{Name: "db"}, Value: b})
		},
		"cmp.Diff of values": func(a, b provider.Value) string { return cmp.Diff(a, b) },
		"cmp.Diff of structs": func(a, b provider.Value) string {
			return cmp.Diff(wrapper{values: []provider.Value{a}}, wrapper{values: []provider.Value{b}}, cmp.AllowUnexported(wrapper{}))
		},
		"reflection walk": func(a, _ provider.Value) string {
			return dump(wrapper{secret: provider.Secret{Value: a}, values: []provider.Value{a}})
		},
		"%#v of unexported": func(a, _ provider.Value) string {
			return fmt.Sprintf("%#v", wrapper{secret: provider.Secret{Value: a}})
		},
		"%+v of unexported": func(a, _ provider.Value) string {
			return fmt.Sprintf("%+v", wrapper{secret: provider.Secret{Value: a}})
		},
		"%v of pointer": func(a, _ provider.Value) string { return fmt.Sprintf("%v %+v %#v", &a, &a, &a) },
		"json": func(a, _ provider.Value) string {
			out, _ := json.Marshal(map[string]any{"s": provider.Secret{Value: a}, "p": &a})
			return string(out)
		},
		"slog": func(a, _ provider.Value) string {
			var buf bytes.Buffer
			slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "s", provider.Secret{Value: a}, "w", wrapper{secret: provider.Secret{Value: a}})
			slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "s", provider.Secret{Value: a}, "v", a)
			return regexp.MustCompile(`time=\S+|"time":"[^"]+"`).ReplaceAllString(buf.String(), "")
		},
	}
	for name, print := range printers {
		t.Run(name, func(t *testing.T) {
			got := print(provider.NewValue(pem), provider.NewValue(pem+"!"))
			for _, leak := range []string{"PRIVATE", "MIIE", hex.EncodeToString([]byte("PRIV")), "BEGIN"} {
				if strings.Contains(got, leak) {
					t.Fatalf("output shows %q:\n%s", leak, got)
				}
			}
			same := print(provider.NewValue(other), provider.NewValue(other+"!"))
			if g, s := addresses.ReplaceAllString(got, "0x"), addresses.ReplaceAllString(same, "0x"); g != s {
				t.Fatalf("output depends on the plaintext:\n%s\nversus\n%s", g, s)
			}
		})
	}
	if cmp.Diff(provider.NewValue(pem), provider.NewValue(other)) == "" {
		t.Errorf("cmp.Diff found different values equal")
	}
}

// Equal plaintexts share a holder, so ==, Equal, cmp.Equal and
// reflect.DeepEqual all compare plaintexts, however the Values were made.
func TestValueComparisons(t *testing.T) {
	a := provider.NewValue("same-" + strings.Repeat("s", 3))
	b := provider.NewValue(string([]byte("same-sss")))
	c := provider.NewValue("other")
	if a != b || !a.Equal(b) || !cmp.Equal(a, b) || !reflect.DeepEqual(a, b) {
		t.Errorf("equal plaintexts compare unequal")
	}
	if a == c || a.Equal(c) || cmp.Equal(a, c) || reflect.DeepEqual(a, c) {
		t.Errorf("different plaintexts compare equal")
	}
	if z := provider.NewValue(""); z != (provider.Value{}) || z.Len() != 0 || z.Reveal() != "" {
		t.Errorf("the empty value is not the zero Value")
	}
	if a.Len() != 8 || a.Reveal() != "same-sss" {
		t.Errorf("Len %d, Reveal mismatch", a.Len())
	}
}

// BenchmarkNewValueReveal is the cost of holding and revealing one value,
// the path every provider read takes; parallel, so the interning table's
// lock shows.
func BenchmarkNewValueReveal(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			v := provider.NewValue(fmt.Sprintf("secret-%d", i%64))
			if v.Len() == 0 || v.Reveal() == "" {
				b.Fatal("empty")
			}
		}
	})
}
