package envflag

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"
)

func TestFill(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	addr := fs.String("addr", "default", "")
	name := fs.String("name", "default", "")
	untouched := fs.String("untouched", "default", "")
	verbose := fs.Bool("verbose", false, "")
	if err := fs.Parse([]string{"-name", "from-flag"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"APP_ADDR": "from-env", "APP_NAME": "from-env", "APP_VERBOSE": "true"}
	err := Fill(fs, func(k string) string { return env[k] }, func(f string) string { return "APP_" + strings.ToUpper(f) })
	if err != nil {
		t.Fatal(err)
	}
	if *addr != "from-env" || *name != "from-flag" || *untouched != "default" || !*verbose {
		t.Errorf("addr=%q name=%q untouched=%q verbose=%v", *addr, *name, *untouched, *verbose)
	}
}

func TestFillNamesTheVariableOfABadValue(t *testing.T) {
	for _, tc := range []struct{ env, value, want string }{
		{"APP_VERBOSE", "yes please", `APP_VERBOSE="yes please": want true or false`},
		{"APP_WAIT", "soon", "APP_WAIT: "},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.Bool("verbose", false, "")
		fs.Duration("wait", time.Second, "")
		fs.Parse(nil)
		err := Fill(fs, func(k string) string {
			if k == tc.env {
				return tc.value
			}
			return ""
		}, func(f string) string { return "APP_" + strings.ToUpper(f) })
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s=%q: err = %v, want one starting %q", tc.env, tc.value, err, tc.want)
		}
	}
}
