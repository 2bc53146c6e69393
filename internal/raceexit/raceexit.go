// Package raceexit removes the race detector's one-second pause at exit from
// the test binaries that import it.
//
// A binary built with -race sleeps atexit_sleep_ms (1000 by default) before
// it exits, so that goroutines still running can report races. In a test
// binary that pause comes after every test has ended, and the testing package
// has already failed each test during which a race was reported; it finds
// nothing more, yet it adds a second to each of the module's test binaries,
// about a sixth of `go test -race ./...` on two cores. A test package imports
// this one for its side effect:
//
//	import _ "github.com/secretkit/secretkit/internal/raceexit"
//
// When the test binary is race-enabled and GORACE does not choose
// atexit_sleep_ms itself, init executes the binary again in place (same
// process, arguments and open files) with atexit_sleep_ms=0 added to GORACE.
// Every other race option the caller set is kept. A binary built without
// -race, a GORACE that names a pause, a program that is not a test and a
// platform without exec are left alone: to keep a race-enabled test binary
// from executing itself again (under a debugger, say), set
// GORACE=atexit_sleep_ms=1000.
package raceexit

import "strings"

// setting is what init adds to GORACE.
const setting = "atexit_sleep_ms=0"

// withoutPause returns the environment env with setting added to GORACE, and
// false when GORACE already chooses a pause.
func withoutPause(env []string) ([]string, bool) {
	out := make([]string, 0, len(env)+1)
	gorace := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GORACE="); ok {
			gorace = v
			continue
		}
		out = append(out, kv)
	}
	if strings.Contains(gorace, "atexit_sleep_ms") {
		return env, false
	}
	return append(out, "GORACE="+strings.TrimSpace(gorace+" "+setting)), true
}
