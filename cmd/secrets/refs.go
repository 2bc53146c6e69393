package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/secretkit/secretkit/provider/ref"
)

const referenceHelp = `A reference is ${secret:URI}, URI a secret URI as below; ?version= pins a
version. It may be a whole value or part of one:
  DATABASE_URL=postgres://app:${secret:env://DB_PASSWORD}@db/app
  password: ${secret:azurekv://myvault.vault.azure.net/db-password}
$${secret: writes a literal ${secret:. Each distinct secret is read once.
`

var runCommand = &command{
	name:        "run",
	operand:     "-- <command> [args...]",
	commandLine: true,
	ownOutput:   true,
	summary:     "Run a command with the secret references in its environment expanded.",
	details: `Every variable of the current environment, and of each --env-file (which
add to it and override it, in order), has its ${secret:URI} references
expanded; then the command starts with that environment. Values reach it
only through its environment, never its arguments. Flags go before the
command; everything from the command on is the command's.
Once the command has started, run exits with the command's own status, and
passes SIGINT/SIGTERM on to it; --timeout bounds only the reading of the
secrets. The statuses below are those of run itself, before the command.

` + referenceHelp,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.Var(&o.envFiles, "env-file", "a dotenv `file` of KEY=VALUE lines to add to the environment; repeatable")
	},
	execute: runRun,
}

var renderCommand = &command{
	name:      "render",
	operand:   "<file>",
	ownOutput: true,
	summary:   "Print a YAML, JSON or dotenv file with its secret references expanded.",
	details: `YAML keeps its comments, anchors and key order (it is re-encoded with the
file's indentation); JSON and dotenv files change only in the values that
held references. A file without references is printed unchanged. The
result holds plaintext secrets: --output writes it to a file with mode 0600
(replacing it atomically) instead of stdout.

` + referenceHelp,
	flags: func(fs *flag.FlagSet, o *options) {
		fs.StringVar(&o.outFile, "output", "", "write to this `file` (mode 0600) instead of stdout")
		fs.StringVar(&o.outFile, "o", "", "shorthand for --output")
		fs.StringVar(&o.format, "format", "", "yaml, json or dotenv; by default from the file's extension (.yaml/.yml, .json, .env)")
	},
	execute: runRender,
}

// stringsFlag collects a repeated flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// childExit is the status of the command run started; run exits with it.
type childExit struct{ code int }

func (e *childExit) Error() string { return fmt.Sprintf("the command exited with status %d", e.code) }

func (c cli) resolver() *ref.Resolver { return &ref.Resolver{Mux: c.urlMux()} }

func runRun(ctx context.Context, c cli, inv *invocation) error {
	environ := c.environ
	if environ == nil {
		environ = os.Environ
	}
	var files []ref.DotenvFile
	for _, path := range inv.opts.envFiles {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("--env-file: %w", err)
		}
		files = append(files, ref.DotenvFile{Name: path, Data: data})
	}
	// One pass over the layered environment: a variable an env-file
	// replaces is not read, and a secret named twice is read once.
	resolved, err := c.resolver().EnvironLayered(ctx, environ(), "environment", files...)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(inv.parent, inv.args[0], inv.args[1:]...)
	cmd.Env = resolved
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inv.stdin, inv.stdout, inv.stderr
	// Ending run (Ctrl-C, a container stop) asks the command to stop, as
	// the signal would have, rather than killing it outright.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	if err := cmd.Start(); err != nil {
		return err // exec's errors name the program and the reason
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code := exitErr.ExitCode()
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal()) // as shells report it
		}
		return &childExit{code: code}
	}
	return err
}

func runRender(ctx context.Context, c cli, inv *invocation) error {
	format := inv.opts.format
	if format == "" {
		switch ext := strings.ToLower(filepath.Ext(inv.uri)); {
		case ext == ".yaml" || ext == ".yml":
			format = "yaml"
		case ext == ".json":
			format = "json"
		case ext == ".env" || filepath.Base(inv.uri) == ".env":
			format = "dotenv"
		default:
			return usagef("cannot tell the format of %s from its extension; give --format yaml, json or dotenv", inv.uri)
		}
	}
	r := c.resolver()
	render := map[string]func(context.Context, []byte, string) ([]byte, error){
		"yaml": r.YAML, "json": r.JSON, "dotenv": r.Dotenv,
	}[format]
	if render == nil {
		return usagef("--format %q: want yaml, json or dotenv", format)
	}
	data, err := os.ReadFile(inv.uri)
	if err != nil {
		return err
	}
	out, err := render(ctx, data, inv.uri)
	if err != nil {
		return err
	}
	if inv.opts.outFile == "" || inv.opts.outFile == "-" {
		_, err := inv.stdout.Write(out)
		return err
	}
	return writePrivateFile("--output", inv.opts.outFile, out, true)
}
