// Command emulator runs the secretkit emulator: Azure Key Vault (secrets)
// over HTTPS and the Azure managed-identity token endpoints over HTTP, for
// offline development and tests with the unmodified Azure SDKs.
//
//	emulator [flags]          run the emulator
//	emulator env [flags]      print the client environment of a running one (see below)
//	emulator -version         print the build's module version and VCS revision
//
// Every flag has an EMULATOR_* environment equivalent (flag wins):
//
//	-vault-addr       EMULATOR_VAULT_ADDR       HTTPS listen address (default 127.0.0.1:8443)
//	-identity-addr    EMULATOR_IDENTITY_ADDR    HTTP listen address (default 127.0.0.1:8080)
//	-config           EMULATOR_CONFIG           YAML config file (default: embedded defaults)
//	-data             EMULATOR_DATA             bbolt data file (default: in memory)
//	-tls-dir          EMULATOR_TLS_DIR          CA, certificate and signing keys (default: per-user state dir)
//	-env-file         EMULATOR_ENV_FILE         also write the client environment to this file
//	-identity-header  EMULATOR_IDENTITY_HEADER  fix IDENTITY_HEADER (default: config, else random)
//	-advertise-host   EMULATOR_ADVERTISE_HOST   host name in the printed URLs (default: the listen host)
//	-flavour          EMULATOR_FLAVOUR          managed-identity flavour of the printed env (default appservice)
//	-log-format       EMULATOR_LOG_FORMAT       text or json (default text)
//	-log-level        EMULATOR_LOG_LEVEL        debug, info, warn or error (default info)
//
// Once both listeners accept connections it prints the client environment
// for the chosen flavour as KEY=VALUE lines on stdout; logs go to stderr.
// The -env-file is removed as soon as the listeners are bound (so a file
// left by an earlier run is never mistaken for this one's), written
// atomically once they accept, and removed again on exit. With -flavour
// workload it also writes the federated token file the lines name, which
// the server keeps fresh while it runs. -flavour serviceprincipal prints the
// first service principal's AZURE_CLIENT_ID and its AZURE_CLIENT_SECRET (or
// AZURE_CLIENT_CERTIFICATE_PATH) with AZURE_AUTHORITY_HOST. The identity
// table (names, kinds, client, object and resource ids) is logged at
// start-up and served at GET /_emulator/identities. It exits on SIGINT or
// SIGTERM, or with an error when a listener stops serving.
//
// "emulator env" asks a running emulator (GET /_emulator/env on its
// identity listener) for its client environment, waiting until it answers,
// and prints it as shell export lines: eval "$(emulator env)".
//
// Exit status: 0 after a clean shutdown, 1 for a runtime failure (a port
// in use, an unreadable TLS directory or data file), 2 for a usage error
// (a bad flag, EMULATOR_* value or config file). An error caused by an
// EMULATOR_* value names the variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/internal/buildinfo"
	"github.com/secretkit/secretkit/internal/envflag"
)

// shutdownGrace bounds how long in-flight requests may run after a signal.
const shutdownGrace = 10 * time.Second

// Exit statuses.
const (
	exitFailure = 1 // the emulator could not run or stopped serving
	exitUsage   = 2 // the user asked for something that cannot work
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if code := exitCode(err); code != 0 {
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(code)
	}
}

// exitCode maps run's error to the exit status: -h is an answer, not an
// error.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &u):
		return exitUsage
	}
	return exitFailure
}

// usageError marks a mistake in what the user asked for: a flag, an
// EMULATOR_* value, the config file.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usage(err error) error { return usageError{err} }

type settings struct {
	vaultAddr, identityAddr, configPath, dataFile, tlsDir, envFile, identityHeader string
	advertiseHost, logFormat, logLevel, flavour                                    string
	version                                                                        bool
}

// sources says where each setting came from: "-name" for a flag given or
// defaulted, the variable's name for an EMULATOR_* value, so that an error
// names what the user must change.
type sources map[string]string

func (src sources) of(flagName string) string {
	if s, ok := src[flagName]; ok {
		return s
	}
	return "-" + flagName
}

// parseFlags reads flags, falling back to EMULATOR_* variables for any flag
// not given on the command line.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (settings, sources, error) {
	var s settings
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	str := func(p *string, name, def, usage string) {
		fs.StringVar(p, name, def, usage+" (env "+envName(name)+")")
	}
	str(&s.vaultAddr, "vault-addr", emulator.DefaultVaultAddr, "HTTPS listen address of the Key Vault API; port 0 picks a free port")
	str(&s.identityAddr, "identity-addr", emulator.DefaultIdentityAddr, "HTTP listen address of the managed-identity endpoints and /_emulator/")
	str(&s.configPath, "config", "", "YAML config file; empty uses the embedded defaults")
	str(&s.dataFile, "data", "", "bbolt file that makes state durable; empty keeps state in memory")
	str(&s.tlsDir, "tls-dir", emulator.DefaultTLSDir(), "directory for the CA, server certificate and signing keys")
	str(&s.envFile, "env-file", "", "also write the client environment (KEY=VALUE lines) to this file; removed on exit")
	str(&s.identityHeader, "identity-header", "", "fixed IDENTITY_HEADER secret; empty uses the config's or a random one")
	str(&s.advertiseHost, "advertise-host", "", "host name clients use to reach the emulator, put in the printed URLs (e.g. a compose service name)")
	str(&s.flavour, "flavour", string(identity.AppService), "client flavour whose env is printed: appservice, imds, cloudshell, azureml, arc, servicefabric, workload, appservice2017 or serviceprincipal")
	str(&s.logFormat, "log-format", "text", "log format on stderr: text or json")
	str(&s.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.BoolVar(&s.version, "version", false, "print the module version and VCS revision, then exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: emulator [flags]\n       emulator env [flags]   (print a running emulator's client environment; emulator env -h)\n\nRuns the Key Vault and managed-identity emulator. Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return s, nil, err
	}
	if fs.NArg() > 0 {
		return s, nil, fmt.Errorf("unexpected argument %q (all settings are flags)", fs.Arg(0))
	}
	// Fill asks for the variable of each flag not given; one that is set
	// is where that flag's value comes from.
	src := sources{}
	err := envflag.Fill(fs, getenv, func(name string) string {
		// -version only on the command line: a stray EMULATOR_VERSION
		// must not turn every start into a version print.
		if name == "version" {
			return ""
		}
		v := envName(name)
		if getenv(v) != "" {
			src[name] = v
		}
		return v
	})
	// Fill sets s's fields: read s only after it has run (the order of
	// evaluation within one return statement is unspecified).
	return s, src, err
}

// envName maps a flag name to its environment variable: vault-addr →
// EMULATOR_VAULT_ADDR.
func envName(flagName string) string {
	return "EMULATOR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newLogger returns a logger writing to w through a logBuffer, and the
// function that flushes that buffer; a bad format or level is an error
// naming the flag or variable it came from.
func newLogger(s settings, src sources, w io.Writer) (*slog.Logger, func(), error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(s.logLevel)); err != nil {
		return nil, nil, fmt.Errorf("%s: log level %q: want debug, info, warn or error", src.of("log-level"), s.logLevel)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	buf := &logBuffer{w: w}
	var h slog.Handler
	switch s.logFormat {
	case "text":
		h = slog.NewTextHandler(buf, opts)
	case "json":
		h = slog.NewJSONHandler(buf, opts)
	default:
		return nil, nil, fmt.Errorf("%s: log format %q: want text or json", src.of("log-format"), s.logFormat)
	}
	return slog.New(flushingHandler{h, buf}), buf.Flush, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "env" {
		return runEnv(ctx, args[1:], getenv, stdout, stderr)
	}
	s, src, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return usage(err)
	}
	if s.version {
		_, err := fmt.Fprintln(stdout, buildinfo.String("emulator"))
		return err
	}
	logger, flushLog, err := newLogger(s, src, stderr)
	if err != nil {
		return usage(err)
	}
	defer flushLog()
	flavour, err := identity.ParseFlavour(s.flavour)
	if err != nil {
		return usage(fmt.Errorf("%s: %w", src.of("flavour"), err))
	}
	cfg := config.Default()
	if s.configPath != "" {
		if cfg, err = config.Load(s.configPath); err != nil {
			if src.of("config") != "-config" {
				err = fmt.Errorf("%s: %w", src.of("config"), err)
			}
			return usage(err)
		}
	}
	logSettings(logger, s, src)

	vaultLn, err := listen("vault", s.vaultAddr, src.of("vault-addr"))
	if err != nil {
		return err
	}
	identityLn, err := listen("identity", s.identityAddr, src.of("identity-addr"))
	if err != nil {
		vaultLn.Close()
		return err
	}
	// Bound: this process is the emulator at these addresses now, so an
	// env file an earlier run left behind describes nothing and must go
	// before anyone waiting for the file can read it.
	if s.envFile != "" {
		if err := os.Remove(s.envFile); err != nil && !errors.Is(err, fs.ErrNotExist) {
			vaultLn.Close()
			identityLn.Close()
			return fmt.Errorf("%s: removing the previous env file: %w", src.of("env-file"), err)
		}
	}
	srv, err := emulator.Start(ctx, emulator.Options{
		Config:           cfg,
		VaultListener:    vaultLn,
		IdentityListener: identityLn,
		DataFile:         s.dataFile,
		TLSDir:           s.tlsDir,
		IdentityHeader:   s.identityHeader,
		AdvertiseHost:    s.advertiseHost,
		Logger:           logger,
	})
	if err != nil {
		vaultLn.Close()
		identityLn.Close()
		return blame(err, s, src)
	}
	if flavour == identity.Workload {
		if _, err := srv.WriteWorkloadTokenFile(); err != nil {
			srv.Close()
			return blame(err, s, src)
		}
	}
	env, err := srv.Env(flavour)
	if err == nil && s.envFile != "" {
		if err = env.WriteFile(s.envFile); err != nil {
			err = fmt.Errorf("%s: %w", src.of("env-file"), err)
		}
		// Removed however the server stops, so the next shell waiting
		// for the file cannot load this run's IDENTITY_HEADER.
		defer removeIfOurs(logger, s.envFile, env.String())
	}
	if err == nil {
		_, err = io.WriteString(stdout, env.String())
	}
	if err != nil {
		srv.Close()
		return err
	}
	logger.Info("emulator ready",
		"vault", srv.VaultURL(), "identity", srv.IdentityURL(), "flavour", flavour,
		"store", storeKind(s.dataFile), "tlsDir", s.tlsDir)
	flushLog()

	select {
	case <-ctx.Done():
	case <-srv.Failed(): // logged by the server; Shutdown returns it
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// listen binds one listener. A malformed address is a usage error; an
// address in use is the classic leftover of a backgrounded emulator that
// was not stopped, so the message says how to find and move past it.
func listen(listener, addr, source string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		return ln, nil
	}
	var addrErr *net.AddrError
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &addrErr), errors.As(err, &dnsErr):
		return nil, usage(fmt.Errorf("%s listener: %s=%q: %w", listener, source, addr, err))
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("%s listener: %s is already in use, probably by an emulator still running "+
			"(stop it with kill PID, or choose another address with %s): %w", listener, addr, source, err)
	}
	return nil, fmt.Errorf("%s listener (%s): %w", listener, source, err)
}

// blame names the setting a file error comes from: the TLS directory,
// the data file or the env file, as flag or EMULATOR_* variable.
func blame(err error, s settings, src sources) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) {
		return err
	}
	for _, c := range []struct{ flag, path string }{{"data", s.dataFile}, {"tls-dir", s.tlsDir}, {"env-file", s.envFile}} {
		if c.path == "" {
			continue
		}
		p, want := filepath.Clean(pe.Path), filepath.Clean(c.path)
		if p == want || strings.HasPrefix(p, want+string(filepath.Separator)) {
			return fmt.Errorf("%s: %w", src.of(c.flag), err)
		}
	}
	return err
}

// removeIfOurs removes the env file unless another emulator has written
// its own there since.
func removeIfOurs(logger *slog.Logger, path, written string) {
	data, err := os.ReadFile(path)
	if err != nil || string(data) != written {
		return
	}
	if err := os.Remove(path); err != nil {
		logger.Warn("env file not removed", "path", path, "err", err)
	}
}

// logSettings says, at debug level, what the emulator runs with and where
// each value came from; the identity header is a secret and only said to
// be set.
func logSettings(logger *slog.Logger, s settings, src sources) {
	if !logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	for _, kv := range []struct{ name, value string }{
		{"vault-addr", s.vaultAddr}, {"identity-addr", s.identityAddr}, {"config", s.configPath},
		{"data", s.dataFile}, {"tls-dir", s.tlsDir}, {"env-file", s.envFile},
		{"identity-header", map[bool]string{true: "(set)", false: ""}[s.identityHeader != ""]},
		{"advertise-host", s.advertiseHost}, {"flavour", s.flavour}, {"log-format", s.logFormat}, {"log-level", s.logLevel},
	} {
		logger.Debug("setting", "name", kv.name, "value", kv.value, "from", src.of(kv.name))
	}
	logger.Debug("build", "version", buildinfo.String("emulator"))
}

func storeKind(dataFile string) string {
	if dataFile == "" {
		return "memory"
	}
	return "bbolt:" + dataFile
}
