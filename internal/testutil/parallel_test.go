package testutil

import (
	"flag"
	"os"
	"testing"
)

// The binary's own -test.parallel has been parsed by the time a test runs,
// so the helper must leave an explicit value alone and raise only the
// default; both are checked on the flag itself, set through its Value (which
// flag.Visit does not count as given) and restored afterwards.
func TestWaitersInParallelRaisesOnlyTheDefault(t *testing.T) {
	f := flag.Lookup("test.parallel")
	saved := f.Value.String()
	t.Cleanup(func() { f.Value.Set(saved) })

	f.Value.Set("2")
	explicit := false
	flag.Visit(func(g *flag.Flag) { explicit = explicit || g.Name == "test.parallel" })
	WaitersInParallel(8)
	want := "8"
	if explicit {
		want = "2" // this run was given -test.parallel: the helper must not touch it
	}
	if got := f.Value.String(); got != want {
		t.Errorf("after WaitersInParallel(8), -test.parallel = %s; want %s (given explicitly: %v)", got, want, explicit)
	}
	f.Value.Set("16")
	WaitersInParallel(8)
	if got := f.Value.String(); got != "16" {
		t.Errorf("WaitersInParallel(8) lowered -test.parallel 16 to %s", got)
	}
}

func TestSetenvRestoresTheEarlierState(t *testing.T) {
	const set, unset = "SKTESTUTIL_SETENV_SET", "SKTESTUTIL_SETENV_UNSET"
	t.Setenv(set, "before")
	os.Unsetenv(unset)
	t.Run("inner", func(t *testing.T) {
		Setenv(t, set, "during")
		Setenv(t, unset, "")
		if v, ok := os.LookupEnv(unset); v != "" || !ok {
			t.Errorf("%s = %q, set %v; want set to empty", unset, v, ok)
		}
		if v := os.Getenv(set); v != "during" {
			t.Errorf("%s = %q; want \"during\"", set, v)
		}
	})
	if v := os.Getenv(set); v != "before" {
		t.Errorf("after the subtest %s = %q; want \"before\" back", set, v)
	}
	if _, ok := os.LookupEnv(unset); ok {
		t.Errorf("after the subtest %s is set; want it unset again", unset)
	}
}

func TestClearAzureCredentialEnvUnsetsAndRestores(t *testing.T) {
	t.Setenv("IDENTITY_ENDPOINT", "http://developer-machine")
	t.Run("inner", func(t *testing.T) {
		ClearAzureCredentialEnv(t)
		for _, v := range AzureCredentialEnv {
			if _, set := os.LookupEnv(v); set {
				t.Errorf("%s is still set", v)
			}
		}
	})
	if v := os.Getenv("IDENTITY_ENDPOINT"); v != "http://developer-machine" {
		t.Errorf("after the test IDENTITY_ENDPOINT = %q; want the old value back", v)
	}
}
