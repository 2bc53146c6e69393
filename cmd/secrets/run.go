package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/secretkit/secretkit/provider"
	// The backends this command can reach; importing one registers its URI
	// scheme with provider.Open.
	_ "github.com/secretkit/secretkit/azurekv"
	_ "github.com/secretkit/secretkit/provider/env"
	_ "github.com/secretkit/secretkit/provider/file"
)

// Exit statuses. Scripts branch on them, so they are part of the command's
// interface and are listed in every --help.
const (
	exitOK       = 0
	exitError    = 1
	exitUsage    = 2
	exitNotFound = 3
	exitDenied   = 4
)

// Defaults for flags that can also come from the environment.
const (
	defaultTimeout = 30 * time.Second
	outputEnv      = "SECRETS_OUTPUT"
	timeoutEnv     = "SECRETS_TIMEOUT"
)

const exitStatusHelp = `Exit status:
  0  success
  1  any other error (unreachable backend, timeout, missing or malformed
     secrets file, untrusted certificate, 409 conflict, ...)
  2  usage: bad command line, or a URI, name, option or backup file the
     provider rejects
  3  the secret, the requested version, or the deleted secret does not exist
  4  permission denied (including purge without the purge permission)
`

const uriHelp = `A secret URI is a provider URI plus the secret's name: a #fragment (always
works), else the last path segment, else for env the host. ?version= pins a
version. The grammar is package provider's (provider.URLMux):
  env://DB_PASSWORD                      environment variable DB_PASSWORD
  env://db-password?prefix=APP_          environment variable APP_DB_PASSWORD
  file:///etc/app/secrets.yaml#db.password
  file:///run/secrets/app/db-password    one file per secret (a directory)
  azurekv://myvault.vault.azure.net/db-password?identity=system
  azurekv://myvault.vault.azure.net/db-password?version=<32 hex digits>
  azurekv://127.0.0.1:8443/db-password?disableChallengeResourceVerification=true
                                         the local emulator's default vault
  chain:env://?prefix=APP_ file:///etc/app/secrets.yaml#db-password
                                         the first of several providers that has it
A URI that already names a whole provider (a secrets file, a directory, a
vault, a chain) needs the #fragment.
`

const environmentHelp = `Environment:
  SECRETS_OUTPUT, SECRETS_TIMEOUT   defaults for --output and --timeout
  AZURE_CLIENT_ID                   azurekv: user-assigned identity when the URI has no ?identity=
  SSL_CERT_FILE                     azurekv: extra CA certificates to trust (e.g. the emulator's)
`

// run is the whole command: it parses args, does the work and returns the
// exit status. Output goes only to stdout and stderr, and the environment is
// read only through getenv, so tests can run it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return cli{}.run(ctx, args, stdin, stdout, stderr, getenv)
}

// cli is the command with what production takes from the process
// replaceable, so tests run it in-process.
type cli struct {
	// mux opens every URI; nil means provider.DefaultURLMux. Tests
	// register configured openers (an HTTP transport) in their own.
	mux *provider.URLMux
	// environ is the environment run resolves and passes on; nil means
	// os.Environ.
	environ func() []string
}

// command is one subcommand: its help, the flags it accepts and what it does.
type command struct {
	name    string
	operand string // the positional argument, e.g. "<secret-uri>"
	// commandLine: the first operand and everything after it are one
	// command line to run, never parsed as flags (secrets run).
	commandLine bool
	// ownOutput: the command has no --output format; its flags may define
	// --output/-o themselves (render writes a file).
	ownOutput bool
	summary   string
	details   string
	flags     func(fs *flag.FlagSet, o *options)
	execute   func(ctx context.Context, c cli, inv *invocation) error
}

// options holds every flag of every command; each command registers only
// the ones it uses.
type options struct {
	output      string
	timeout     time.Duration
	version     string
	reveal      bool
	noNewline   bool
	value       string
	valueGiven  bool
	valueFile   string
	contentType string
	tags        tagFlag
	allowEmpty  bool
	envFiles    stringsFlag
	outFile     string
	format      string
	// backup, update
	force          bool
	enabled        optionalBool
	expires        optionalTime
	notBefore      optionalTime
	newContentType optionalString
	clearTags      bool
}

// invocation is one parsed command line, ready to execute.
type invocation struct {
	uri  string
	args []string // the command line of run
	opts options
	// parent is the context without the --timeout, for what outlives the
	// resolution of secrets: the command run starts.
	parent context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

var commands = []*command{getCommand, listCommand, versionsCommand, setCommand, updateCommand, deleteCommand,
	recoverCommand, purgeCommand, listDeletedCommand, showDeletedCommand, backupCommand, restoreCommand,
	runCommand, renderCommand}

func findCommand(name string) *command {
	for _, cmd := range commands {
		if cmd.name == name {
			return cmd
		}
	}
	return nil
}

// usageError is a mistake on the command line; it exits with exitUsage.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func (c cli) run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		writeMainUsage(stderr)
		return exitUsage
	}
	// Error lines echo arguments; a credential pasted into one stays out.
	errOut := redactingWriter{w: stderr, args: args}
	switch args[0] {
	case "-h", "-help", "--help":
		writeMainUsage(stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			writeMainUsage(stdout)
			return exitOK
		}
		cmd := findCommand(args[1])
		if cmd == nil {
			fmt.Fprintf(errOut, "secrets: unknown command %q; run 'secrets --help' for the list\n", args[1])
			return exitUsage
		}
		writeCommandHelp(stdout, cmd)
		return exitOK
	}
	cmd := findCommand(args[0])
	if cmd == nil {
		fmt.Fprintf(errOut, "secrets: unknown command %q; run 'secrets --help' for the list\n", args[0])
		return exitUsage
	}

	inv, err := parseCommandLine(cmd, args[1:], getenv)
	if errors.Is(err, flag.ErrHelp) {
		writeCommandHelp(stdout, cmd)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(errOut, "secrets %s: %s; run 'secrets %s --help' for usage\n", cmd.name, oneLine(err.Error()), cmd.name)
		return exitUsage
	}
	inv.stdin, inv.stdout, inv.stderr = stdin, stdout, stderr
	inv.parent = ctx
	ctx, cancel := context.WithTimeout(ctx, inv.opts.timeout)
	defer cancel()
	err = cmd.execute(ctx, c, inv)
	if err == nil {
		return exitOK
	}
	var child *childExit
	if errors.As(err, &child) {
		return child.code // the command's own status; it reported its own errors
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
		fmt.Fprintf(errOut, "secrets %s: timed out after %s (raise --timeout): %s\n", cmd.name, inv.opts.timeout, describeError(err))
		return exitError
	}
	code := exitCode(err)
	msg := rewriteChallengeMismatch(describeError(err))
	if h := hintFor(cmd.name, inv.uri, err); h != "" {
		msg += "; " + h
	}
	if code == exitUsage {
		fmt.Fprintf(errOut, "secrets %s: %s; run 'secrets %s --help' for usage\n", cmd.name, msg, cmd.name)
	} else {
		fmt.Fprintf(errOut, "secrets %s: %s\n", cmd.name, msg)
	}
	return code
}

// exitCode classifies err. A provider error's own Kind decides first:
// a chain's not-found error also unwraps to the errors of the providers it
// consulted, and one of those may be of another kind.
func exitCode(err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	kind := err
	var pe *provider.Error
	if errors.As(err, &pe) && pe.Kind != nil {
		kind = pe.Kind
	}
	switch {
	case errors.Is(kind, provider.ErrNotFound):
		return exitNotFound
	case errors.Is(kind, provider.ErrPermissionDenied):
		return exitDenied
	case errors.Is(kind, provider.ErrInvalidArgument):
		return exitUsage
	}
	return exitError
}

// parseCommandLine parses flags and the one operand. Flags may come before or
// after the operand (`secrets get env://X --output json`), as users of other
// CLIs expect; "--" ends the flags.
func parseCommandLine(cmd *command, args []string, getenv func(string) string) (*invocation, error) {
	inv := &invocation{}
	o := &inv.opts
	fs := flag.NewFlagSet("secrets "+cmd.name, flag.ContinueOnError)
	// The flag package's own messages would add a usage dump; errors are
	// reported as one line by the caller instead.
	fs.SetOutput(io.Discard)
	// A malformed SECRETS_* variable is reported after parsing, so that
	// --help still works while it is set.
	defaults, envErr := defaultsFromEnv(getenv)
	registerCommonFlags(fs, o, defaults, !cmd.ownOutput)
	if cmd.flags != nil {
		cmd.flags(fs, o)
	}

	var operands []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		consumed := len(args) - fs.NArg()
		rest := fs.Args()
		if consumed > 0 && args[consumed-1] == "--" || cmd.commandLine {
			operands = append(operands, rest...)
			break
		}
		if len(rest) == 0 {
			break
		}
		operands = append(operands, rest[0])
		args = rest[1:]
	}
	if envErr != nil {
		return nil, envErr
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "value" {
			o.valueGiven = true
		}
	})

	if err := o.validate(); err != nil {
		return nil, err
	}
	switch len(operands) {
	case 0:
		return nil, usagef("missing %s", cmd.operand)
	case 1:
		inv.uri = operands[0]
		inv.args = operands
	default:
		if !cmd.commandLine {
			return nil, usagef("want one %s, got %d arguments", cmd.operand, len(operands))
		}
		inv.args = operands
	}
	return inv, nil
}

// flagDefaults are the defaults of the flags every command has: built in,
// or taken from the environment.
type flagDefaults struct {
	output  string
	timeout time.Duration
}

var builtinDefaults = flagDefaults{output: "text", timeout: defaultTimeout}

// defaultsFromEnv reads SECRETS_OUTPUT and SECRETS_TIMEOUT. A malformed
// value is a usage error, like a malformed flag, rather than being ignored.
func defaultsFromEnv(getenv func(string) string) (flagDefaults, error) {
	d := builtinDefaults
	if v := getenv(outputEnv); v != "" {
		d.output = v
	}
	if v := getenv(timeoutEnv); v != "" {
		t, err := time.ParseDuration(v)
		if err != nil || t <= 0 {
			return d, usagef("%s=%q: want a positive duration such as 10s", timeoutEnv, v)
		}
		d.timeout = t
	}
	return d, nil
}

func registerCommonFlags(fs *flag.FlagSet, o *options, d flagDefaults, format bool) {
	o.output = "text"
	if format {
		fs.StringVar(&o.output, "output", d.output, "output format: text or json (env "+outputEnv+")")
		fs.StringVar(&o.output, "o", d.output, "shorthand for --output")
	}
	fs.DurationVar(&o.timeout, "timeout", d.timeout, "give up after this long, e.g. 10s or 2m (env "+timeoutEnv+")")
}

func (o *options) validate() error {
	if o.output != "text" && o.output != "json" {
		return usagef("output format %q: want text or json", o.output)
	}
	if o.timeout <= 0 {
		return usagef("--timeout %s: want a positive duration", o.timeout)
	}
	if o.valueGiven && o.valueFile != "" {
		return usagef("--value and --value-file are mutually exclusive")
	}
	return nil
}

// tagFlag collects repeated --tag key=value flags.
type tagFlag map[string]string

func (t *tagFlag) String() string { return "" }

func (t *tagFlag) Set(s string) error {
	key, value, ok := strings.Cut(s, "=")
	if !ok || key == "" {
		return fmt.Errorf("want key=value, got %q", s)
	}
	if *t == nil {
		*t = tagFlag{}
	}
	if _, dup := (*t)[key]; dup {
		return fmt.Errorf("tag %q given twice", key)
	}
	(*t)[key] = value
	return nil
}

func writeMainUsage(w io.Writer) {
	var b bytes.Buffer
	b.WriteString("Usage: secrets <command> [flags] <uri>\n\n")
	b.WriteString("Reads, lists and (for Azure Key Vault) writes secrets through a provider URI,\n")
	b.WriteString("and expands ${secret:URI} references in config files and environments.\n\nCommands:\n")
	for _, cmd := range commands {
		fmt.Fprintf(&b, "  %-13s %s\n", cmd.name, cmd.summary)
	}
	b.WriteString("\nRun 'secrets <command> --help' for a command's flags.\n\n")
	b.WriteString(uriHelp)
	b.WriteString("\n")
	b.WriteString(environmentHelp)
	b.WriteString("\n")
	b.WriteString(exitStatusHelp)
	w.Write(b.Bytes())
}

func writeCommandHelp(w io.Writer, cmd *command) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Usage: secrets %s [flags] %s\n\n%s\n\n", cmd.name, cmd.operand, cmd.summary)
	if cmd.details != "" {
		b.WriteString(cmd.details)
		b.WriteString("\n")
	}
	b.WriteString("Flags:\n")
	fs := flag.NewFlagSet(cmd.name, flag.ContinueOnError)
	var o options
	registerCommonFlags(fs, &o, builtinDefaults, !cmd.ownOutput)
	if cmd.flags != nil {
		cmd.flags(fs, &o)
	}
	fs.SetOutput(&b)
	fs.PrintDefaults()
	b.WriteString("\n")
	b.WriteString(uriHelp)
	b.WriteString("\n")
	b.WriteString(exitStatusHelp)
	w.Write(b.Bytes())
}
