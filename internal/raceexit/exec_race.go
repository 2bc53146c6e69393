//go:build race && unix

package raceexit

import (
	"os"
	"syscall"
	"testing"
)

func init() {
	if !testing.Testing() {
		return
	}
	env, ok := withoutPause(os.Environ())
	if !ok {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	// Exec returns only when it failed; the binary then runs as it is,
	// pause and all.
	_ = syscall.Exec(exe, os.Args, env)
}
