// Package envflag lets every flag of a command fall back to an environment
// variable, the way containers and compose files configure programs: a
// flag given on the command line wins, else a set variable, else the
// flag's default.
package envflag

import (
	"flag"
	"fmt"
)

// Fill sets each flag of fs that was not given on the command line from
// the variable envName(flag name) names, when getenv reports it non-empty.
// Call it after fs.Parse. An unacceptable value is an error naming the
// variable; only a boolean's value is repeated in it, since other flags
// may carry secrets.
func Fill(fs *flag.FlagSet, getenv func(string) string, envName func(flagName string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] {
			return
		}
		name := envName(f.Name)
		v := getenv(name)
		if v == "" {
			return
		}
		if serr := f.Value.Set(v); serr != nil {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
				err = fmt.Errorf("%s=%q: want true or false", name, v)
			} else {
				err = fmt.Errorf("%s: %w", name, serr)
			}
		}
	})
	return err
}
