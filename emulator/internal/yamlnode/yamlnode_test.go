package yamlnode

import (
	"errors"
	"testing"
)

// A missing key's node (nil, from the zero Mapping or Get) is the wrong
// kind for every reader: an *Error at line 0, not a panic.
func TestAbsentNodeIsAnError(t *testing.T) {
	absent := Mapping{}.Get("name")
	for what, read := range map[string]func() error{
		"Map":     func() error { _, err := Map(absent, "x"); return err },
		"Require": func() error { _, err := Require(absent, "x", "name"); return err },
		"Str":     func() error { _, err := Str(absent, "x"); return err },
		"Int":     func() error { _, err := Int(absent, "x"); return err },
		"Bool":    func() error { _, err := Bool(absent, "x"); return err },
	} {
		var ye *Error
		if err := read(); !errors.As(err, &ye) || ye.Line != 0 {
			t.Errorf("%s(nil) = %v, want an *Error at line 0", what, err)
		}
	}
	if items, err := Seq(absent, "x"); items != nil || err != nil {
		t.Errorf("Seq(nil) = %v, %v; want an empty list", items, err)
	}
	if Line(absent) != 0 || !IsNull(absent) {
		t.Error("an absent node has line 0 and is null")
	}
}
