package buildinfo

import (
	"fmt"
	"runtime/debug"
	"testing"
)

func TestFormat(t *testing.T) {
	main := debug.Module{Path: "github.com/secretkit/secretkit", Version: "v0.4.1"}
	cases := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"tagged and clean", debug.BuildInfo{GoVersion: "go1.26.8", Main: main, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "3f1c2a9d0b7e55aa00112233445566778899aabb"},
			{Key: "vcs.time", Value: "2026-11-30T12:14:13Z"},
			{Key: "vcs.modified", Value: "false"},
		}}, "emulator github.com/secretkit/secretkit v0.4.1 (rev 3f1c2a9d0b7e, 2026-11-30T12:14:13Z, go1.26.8)"},
		{"modified checkout", debug.BuildInfo{GoVersion: "go1.26.8", Main: main, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "3f1c2a9d0b7e55aa00112233445566778899aabb"},
			{Key: "vcs.modified", Value: "true"},
		}}, "emulator github.com/secretkit/secretkit v0.4.1 (rev 3f1c2a9d0b7e+dirty, go1.26.8)"},
		{"no VCS stamp", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/secretkit/secretkit"}},
			"emulator github.com/secretkit/secretkit (devel) (rev unknown, go1.26.8)"},
	}
	for _, c := range cases {
		if got := Format("emulator", &c.bi); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func ExampleFormat() {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/secretkit/secretkit", Version: "v0.4.1"},
		Settings:  []debug.BuildSetting{{Key: "vcs.revision", Value: "3f1c2a9d0b7e55aa00112233445566778899aabb"}},
	}
	fmt.Println(Format("secrets", bi))
	// Output: secrets github.com/secretkit/secretkit v0.4.1 (rev 3f1c2a9d0b7e, go1.26.8)
}
