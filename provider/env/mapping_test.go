package env_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
	"github.com/secretkit/secretkit/provider/file"
)

func outcome(s provider.Secret, err error) string {
	if err != nil {
		return "error " + string(provider.OutcomeOf(err))
	}
	return s.Name + "=" + s.Value.Reveal()
}

// A dotenv file wrapped in env.Mapping answers every name exactly as
// env:// does over the same variables: same values, same canonical names,
// same error kinds, same listing.
func TestDotenvThroughEnvMappingIsIndistinguishableFromEnv(t *testing.T) {
	var b [4]byte
	rand.Read(b[:])
	prefix := "SKMAP_" + strings.ToUpper(hex.EncodeToString(b[:])) + "_"
	vars := map[string]string{"DB_PASSWORD": "pw", "API_KEY": "k", "EMPTY": "", "lower_case": "z", "HAS_2_DIGITS": "d"}
	var dotenv strings.Builder
	for k, v := range vars {
		t.Setenv(prefix+k, v)
		dotenv.WriteString(prefix + k + "=" + v + "\n")
	}
	path := filepath.Join(t.TempDir(), "app.env")
	if err := os.WriteFile(path, []byte(dotenv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := file.New(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	fromEnv := env.New(&env.Options{Prefix: prefix})
	fromFile := provider.MapNames(f, env.Mapping(prefix))

	ctx := context.Background()
	for _, name := range []string{"db-password", "DB-Password", "db_password", "api-key", "empty",
		"lower-case", "has-2-digits", "missing", "db.password", "", "a b"} {
		want := outcome(fromEnv.GetSecret(ctx, name, ""))
		if got := outcome(fromFile.GetSecret(ctx, name, "")); got != want {
			t.Errorf("%q: dotenv+mapping gives %q, env gives %q", name, got, want)
		}
		if _, err := fromFile.GetSecret(ctx, name, "v1"); !errors.Is(err, provider.ErrNotFound) && !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("%q at a version: err = %v", name, err)
		}
	}
	got, want := sortedNames(t, fromFile), sortedNames(t, fromEnv)
	if !slices.Equal(got, want) {
		t.Errorf("listings differ: dotenv+mapping %q, env %q", got, want)
	}
	// Two empty listings would agree too.
	if want := []string{"api-key", "db-password", "empty", "has-2-digits"}; !slices.Equal(got, want) {
		t.Errorf("dotenv+mapping lists %q; want %q", got, want)
	}
}

func sortedNames(t *testing.T, p provider.SecretProvider) []string {
	t.Helper()
	var names []string
	for m, err := range p.(provider.Lister).ListSecrets(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

func TestMapNameIsTheProvidersOwnMapping(t *testing.T) {
	p := env.New(&env.Options{Prefix: "P_"})
	for _, name := range []string{"db-password", "Mixed-Case_9", "x"} {
		v, err := p.VariableName(name)
		m, err2 := env.MapName(name)
		if err != nil || err2 != nil || v != "P_"+m {
			t.Errorf("%q: VariableName %q, %v; MapName %q, %v", name, v, err, m, err2)
		}
	}
	if _, err := env.MapName("a.b"); err == nil {
		t.Errorf("MapName accepted a '.'")
	}
}
