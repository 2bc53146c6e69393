// Package buildinfo says which build a binary is, for every command's
// -version: the module version and the VCS revision the Go toolchain
// stamped into it (runtime/debug.ReadBuildInfo), so a bug report can name
// the exact code instead of "(devel)".
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// String is the one-line answer to `program -version`, e.g.
//
//	emulator github.com/secretkit/secretkit v0.4.1 (rev 3f1c2a9d0b7e+dirty, 2026-11-30T12:14:13Z, go1.26.8)
//
// A binary built outside a VCS checkout, or with -buildvcs=false, has no
// revision and says so rather than omitting it.
func String(program string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return program + " (no build information: not built with module support)"
	}
	return Format(program, bi)
}

// Format is String for a given build info.
func Format(program string, bi *debug.BuildInfo) string {
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var rev, when string
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	details := []string{"rev unknown"}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+dirty"
		}
		details = []string{"rev " + rev}
		if when != "" {
			details = append(details, when)
		}
	}
	if bi.GoVersion != "" {
		details = append(details, bi.GoVersion)
	}
	path := bi.Main.Path
	if path == "" {
		path = bi.Path
	}
	return program + " " + path + " " + version + " (" + strings.Join(details, ", ") + ")"
}

// IsFlag reports whether arg asks for the version: -version or --version.
func IsFlag(arg string) bool { return arg == "-version" || arg == "--version" }
