package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/secretkit/secretkit/provider"
)

// maxValueBytes bounds what set reads, so a wrong file or an endless pipe
// fails fast instead of filling memory. Key Vault's own limit is 25 KiB.
const maxValueBytes = 1 << 20

// errReadOnly refuses a provider without the provider.Setter or
// provider.Deleter ability (env, file), before any value is read.
var errReadOnly = usagef("this provider is read-only; set and delete work with azurekv:// URIs")

var setCommand = &command{
	name:    "set",
	operand: "<secret-uri>",
	summary: "Store a new version of a secret (Key Vault only).",
	details: `The value is read from stdin, or from --value-file, byte for byte: a
trailing newline is part of the value, so prefer printf '%s' over echo.
--value puts the value on the command line, where shell history and other
users' process listings can see it; avoid it for real secrets.
An empty value is refused unless --allow-empty is given: it is what a
failed command earlier in a pipe produces, and storing it would replace the
secret with nothing.
Prints the new version's metadata, never the value.
`,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.valueFile, "value-file", "", "read the value from this file (- for stdin, the default)")
		fs.StringVar(&o.value, "value", "", "the value itself; INSECURE: visible in shell history and process listings")
		fs.StringVar(&o.contentType, "content-type", "", "content type of the new version, e.g. text/plain")
		fs.Var(&o.tags, "tag", "a `key=value` tag of the new version; repeat for more")
		fs.BoolVar(&o.allowEmpty, "allow-empty", false, "store an empty value instead of refusing it")
	},
	execute: runSet,
}

func runSet(ctx context.Context, c cli, inv *invocation) (err error) {
	p, name, err := openNamed(ctx, c, inv, "set writes a new version")
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	setter, ok := p.(provider.Setter)
	if !ok || !provider.CapabilitiesOf(p).Set {
		return errReadOnly
	}
	value, err := readValue(inv)
	if err != nil {
		return err
	}
	s, err := setter.SetSecret(ctx, name, value, &provider.SetOptions{ContentType: inv.opts.contentType, Tags: inv.opts.tags})
	if err != nil {
		return err
	}
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, newSecretJSON(s, false))
	}
	_, err = fmt.Fprintf(inv.stdout, "set %s version %s\n", s.Name, orDash(s.Version))
	return err
}

// readValue returns the value set stores: --value, else --value-file,
// else stdin.
func readValue(inv *invocation) (provider.Value, error) {
	if inv.opts.valueGiven {
		if inv.opts.value == "" && !inv.opts.allowEmpty {
			return provider.Value{}, usagef("--value is empty; give --allow-empty to store an empty secret")
		}
		return provider.NewValue(inv.opts.value), nil
	}
	src, what := inv.stdin, "stdin"
	if f := inv.opts.valueFile; f != "" && f != "-" {
		file, err := os.Open(f)
		if err != nil {
			// The path is the user's own argument; the error names it
			// and the reason (missing, unreadable), nothing of its contents.
			return provider.Value{}, fmt.Errorf("--value-file: %w", err)
		}
		defer file.Close()
		src, what = file, "--value-file"
	} else if isTerminal(inv.stdin) {
		fmt.Fprintln(inv.stderr, "secrets set: reading the value from the terminal; end it with Ctrl-D")
	}
	data, err := io.ReadAll(io.LimitReader(src, maxValueBytes+1))
	if err != nil {
		return provider.Value{}, fmt.Errorf("reading the value from %s: %w", what, err)
	}
	if len(data) > maxValueBytes {
		return provider.Value{}, usagef("the value from %s is larger than %d bytes", what, maxValueBytes)
	}
	if len(data) == 0 && !inv.opts.allowEmpty {
		return provider.Value{}, usagef("the value from %s is empty; give --allow-empty to store an empty secret", what)
	}
	return provider.NewValue(string(data)), nil
}

// isTerminal reports whether r is an interactive terminal, where a user
// may wonder why set waits. Any character device other than the null
// device counts; that is close enough for a hint on stderr.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	if err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(info, null)
}

var deleteCommand = &command{
	name:    "delete",
	operand: "<secret-uri>",
	summary: "Delete a secret with all its versions (Key Vault only).",
	details: `Key Vault keeps a deleted secret recoverable for the vault's retention
period, and its name stays taken until then.
`,
	execute: runDelete,
}

func runDelete(ctx context.Context, c cli, inv *invocation) (err error) {
	p, name, err := openNamed(ctx, c, inv, "delete removes every version")
	if err != nil {
		return err
	}
	defer closeProvider(p, &err)
	deleter, ok := p.(provider.Deleter)
	if !ok || !provider.CapabilitiesOf(p).Delete {
		return errReadOnly
	}
	if err := deleter.DeleteSecret(ctx, name); err != nil {
		return err
	}
	if inv.opts.output == "json" {
		return writeJSON(inv.stdout, struct {
			Name    string `json:"name"`
			Deleted bool   `json:"deleted"`
		}{name, true})
	}
	_, err = fmt.Fprintf(inv.stdout, "deleted %s\n", name)
	return err
}
