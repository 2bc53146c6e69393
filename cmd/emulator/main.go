// Command emulator runs the secretkit emulator: Azure Key Vault (secrets)
// over HTTPS and the Azure managed-identity token endpoints over HTTP, for
// offline development and tests with the unmodified Azure SDKs.
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
// With -flavour workload it also writes the federated token file the lines
// name, which the server keeps fresh while it runs. It exits on SIGINT or
// SIGTERM, or with an error when a listener stops serving.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/internal/envflag"
)

// shutdownGrace bounds how long in-flight requests may run after a signal.
const shutdownGrace = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the usage is the answer, not an error
		}
		fmt.Fprintln(os.Stderr, "emulator:", err)
		os.Exit(2)
	}
}

type settings struct {
	vaultAddr, identityAddr, configPath, dataFile, tlsDir, envFile, identityHeader string
	advertiseHost, logFormat, logLevel, flavour                                    string
}

// parseFlags reads flags, falling back to EMULATOR_* variables for any flag
// not given on the command line.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
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
	str(&s.envFile, "env-file", "", "also write the client environment (KEY=VALUE lines) to this file")
	str(&s.identityHeader, "identity-header", "", "fixed IDENTITY_HEADER secret; empty uses the config's or a random one")
	str(&s.advertiseHost, "advertise-host", "", "host name clients use to reach the emulator, put in the printed URLs (e.g. a compose service name)")
	str(&s.flavour, "flavour", string(identity.AppService), "managed-identity flavour whose client env is printed: appservice, imds, cloudshell, azureml, arc, servicefabric or workload")
	str(&s.logFormat, "log-format", "text", "log format on stderr: text or json")
	str(&s.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: emulator [flags]\n\nRuns the Key Vault and managed-identity emulator. Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected argument %q (all settings are flags)", fs.Arg(0))
	}
	return s, envflag.Fill(fs, getenv, envName)
}

// envName maps a flag name to its environment variable: vault-addr →
// EMULATOR_VAULT_ADDR.
func envName(flagName string) string {
	return "EMULATOR_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// newLogger returns a logger writing to w through a logBuffer, and the
// function that flushes that buffer.
func newLogger(format, level string, w io.Writer) (*slog.Logger, func(), error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	buf := &logBuffer{w: w}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(buf, opts)
	case "json":
		h = slog.NewJSONHandler(buf, opts)
	default:
		return nil, nil, fmt.Errorf("log format %q: want text or json", format)
	}
	return slog.New(flushingHandler{h, buf}), buf.Flush, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger, flushLog, err := newLogger(s.logFormat, s.logLevel, stderr)
	if err != nil {
		return err
	}
	defer flushLog()
	flavour, err := identity.ParseFlavour(s.flavour)
	if err != nil {
		return err
	}
	cfg := config.Default()
	if s.configPath != "" {
		if cfg, err = config.Load(s.configPath); err != nil {
			return err
		}
	}
	srv, err := emulator.Start(ctx, emulator.Options{
		Config:         cfg,
		VaultAddr:      s.vaultAddr,
		IdentityAddr:   s.identityAddr,
		DataFile:       s.dataFile,
		TLSDir:         s.tlsDir,
		IdentityHeader: s.identityHeader,
		AdvertiseHost:  s.advertiseHost,
		Logger:         logger,
	})
	if err != nil {
		return err
	}
	if flavour == identity.Workload {
		if _, err := srv.WriteWorkloadTokenFile(); err != nil {
			srv.Close()
			return err
		}
	}
	env, err := srv.Env(flavour)
	if err == nil && s.envFile != "" {
		err = env.WriteFile(s.envFile)
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

func storeKind(dataFile string) string {
	if dataFile == "" {
		return "memory"
	}
	return "bbolt:" + dataFile
}
