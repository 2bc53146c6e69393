package env_test

import (
	"strings"
	"testing"

	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/env"
)

// FuzzMapping checks that env.Mapping, composed with the .NET hierarchy
// mapping, agrees with the env provider and round-trips every name it
// accepts in canonical form.
func FuzzMapping(f *testing.F) {
	for _, seed := range []string{"db-password", "DB_PASSWORD", "ConnectionStrings:Db", "a__b", "", "ü", "x-", "-", "a:b:c", "__"} {
		f.Add(seed)
	}
	m := env.Mapping("APP_")
	p := env.New(&env.Options{Prefix: "APP_"})
	h := provider.HierarchyMapping("__").Then(m)
	f.Fuzz(func(t *testing.T, name string) {
		stored, err := m.ToBackend(name)
		variable, err2 := p.VariableName(name)
		if (err == nil) != (err2 == nil) || (err == nil && stored != variable) {
			t.Fatalf("%q: Mapping gives %q, %v; the provider %q, %v", name, stored, err, variable, err2)
		}
		if err == nil {
			back, ok := m.FromBackend(stored)
			if !ok || back != strings.ReplaceAll(strings.ToLower(name), "_", "-") {
				t.Fatalf("%q -> %q -> %q, %v", name, stored, back, ok)
			}
		}
		if stored, err := h.ToBackend(name); err == nil {
			if strings.Contains(name, "__") || !strings.HasPrefix(stored, "APP_") {
				t.Fatalf("hierarchy mapping accepted %q as %q", name, stored)
			}
		}
	})
}
