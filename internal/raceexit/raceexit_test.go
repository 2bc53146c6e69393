package raceexit

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestWithoutPauseAddsTheSettingAndKeepsOtherOptions(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string // GORACE afterwards; "" when the environment is left alone
	}{
		{[]string{"HOME=/h"}, "atexit_sleep_ms=0"},
		{[]string{"GORACE=halt_on_error=1", "HOME=/h"}, "halt_on_error=1 atexit_sleep_ms=0"},
		{[]string{"GORACE="}, "atexit_sleep_ms=0"},
		{[]string{"GORACE=atexit_sleep_ms=250"}, ""},
	} {
		got, changed := withoutPause(tc.env)
		if changed != (tc.want != "") {
			t.Errorf("withoutPause(%q) changed = %v", tc.env, changed)
			continue
		}
		if !changed {
			if !slices.Equal(got, tc.env) {
				t.Errorf("withoutPause(%q) = %q; want it unchanged", tc.env, got)
			}
			continue
		}
		var gorace []string
		for _, kv := range got {
			if v, ok := strings.CutPrefix(kv, "GORACE="); ok {
				gorace = append(gorace, v)
			}
		}
		if !slices.Equal(gorace, []string{tc.want}) {
			t.Errorf("withoutPause(%q): GORACE entries %q; want exactly [%q]", tc.env, gorace, tc.want)
		}
		if slices.Contains(tc.env, "HOME=/h") && !slices.Contains(got, "HOME=/h") {
			t.Errorf("withoutPause(%q) dropped HOME: %q", tc.env, got)
		}
	}
}

// In a race-enabled run this binary has been executed again by init, so the
// environment it sees holds the setting.
func TestThisBinaryRunsWithoutThePause(t *testing.T) {
	if !raceEnabled {
		t.Skip("built without -race: nothing to remove")
	}
	if gorace := os.Getenv("GORACE"); !strings.Contains(gorace, "atexit_sleep_ms") {
		t.Fatalf("GORACE = %q in a race-enabled test binary; want atexit_sleep_ms set", gorace)
	}
}
