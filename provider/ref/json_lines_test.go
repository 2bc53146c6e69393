package ref_test

import (
	"context"
	"errors"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/ref"
)

// A failed reference in JSON names its own line, wherever earlier
// references and plain strings put it.
func TestJSONErrorNamesTheLineOfTheReference(t *testing.T) {
	r := &ref.Resolver{Mux: newCounting("pw", "x").mux()}
	src := []byte("{\n" +
		"  \"a\": \"${secret:count://vault/pw}\", \"b\": \"plain\",\n" +
		"  \"c\": {\n" +
		"    \"d\": \"${secret:count://vault/pw}\"\n" +
		"  },\n" +
		"  \"e\": [\"x\",\n" +
		"        \"${secret:count://vault/absent}\"]\n" +
		"}\n")
	_, err := r.JSON(context.Background(), src, "app.json")
	var re *ref.Error
	if !errors.As(err, &re) || !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("err = %v; want a *ref.Error of ErrNotFound", err)
	}
	if re.File != "app.json" || re.Line != 7 {
		t.Errorf("error at %s:%d; want app.json:7", re.File, re.Line)
	}
}
