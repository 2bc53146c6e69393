package testutil

import (
	"os"
	"testing"
)

// Setenv sets the environment variable key to value and puts back its
// earlier state (set to its old value, or unset) when t ends. Unlike
// t.Setenv it may be called from parallel tests; the caller promises that
// no other test touches key, as the contract harnesses do by giving every
// case its own random variable prefix.
func Setenv(t testing.TB, key, value string) {
	t.Helper()
	old, had := os.LookupEnv(key)
	if err := os.Setenv(key, value); err != nil {
		t.Fatalf("setenv %s: %v", key, err)
	}
	t.Cleanup(func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	})
}
