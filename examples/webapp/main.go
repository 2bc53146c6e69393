// Command webapp is a sample web app that reads one secret through
// package provider and shows it on a page, masked until the user asks to
// reveal it. By default the secret comes from Azure Key Vault (azurekv)
// with a managed identity (mi); a provider URI (env://, file://,
// azurekv://) swaps the backend without touching the code.
//
// Every flag has an environment equivalent (flag wins), so the app runs on
// App Service, in a container or next to the emulator with env vars alone:
//
//	-addr                                     WEBAPP_ADDR          listen address (default 127.0.0.1:8000)
//	-secret                                   WEBAPP_SECRET        secret name (default greeting)
//	-provider                                 WEBAPP_PROVIDER      provider URI (env://, file://, azurekv://); empty: Key Vault
//	-vault-url                                AZURE_KEYVAULT_URL   Key Vault URL, e.g. https://myvault.vault.azure.net/
//	-identity                                 WEBAPP_IDENTITY      system, client:<id>, object:<id> or resource:<id>;
//	                                                               empty: AZURE_CLIENT_ID if set, else system
//	-disable-challenge-resource-verification  WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION
//	                                                               accept a vault whose address is not under
//	                                                               vault.azure.net (a local emulator at 127.0.0.1)
//	-version                                                       print the module version and VCS revision
//
// The managed-identity endpoint and CA trust are the Azure SDK's own
// variables (IDENTITY_ENDPOINT, IDENTITY_HEADER, SSL_CERT_FILE, ...), which
// the emulator prints. With the emulator running locally (binaries built
// with go build -o bin/ ./cmd/... ./examples/webapp):
//
//	bin/emulator -config examples/emulator.yaml &
//	eval "$(bin/emulator env)"
//	bin/webapp -disable-challenge-resource-verification
//
// Exit status: 1 when the app cannot serve, 2 for a bad flag or variable.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/secretkit/secretkit/internal/buildinfo"
	"github.com/secretkit/secretkit/internal/envflag"
	"github.com/secretkit/secretkit/mi"
)

// Defaults of the settings.
const (
	defaultAddr       = "127.0.0.1:8000"
	defaultSecretName = "greeting"
)

// config is what the app is told by flags and environment.
type config struct {
	// Addr is the listen address.
	Addr string
	// SecretName is the secret the Get Secret page reads.
	SecretName string
	// ProviderURI, when set, names the provider (provider.Open); empty
	// means Azure Key Vault at VaultURL with a managed identity.
	ProviderURI string
	// VaultURL is the Key Vault URL, used when ProviderURI is empty.
	VaultURL string
	// Identity selects the managed identity in mi.Parse syntax; empty means
	// mi.FromEnv (AZURE_CLIENT_ID, else the system-assigned identity).
	Identity string
	// DisableChallengeResourceVerification lets the SDK accept a vault whose
	// host is not under the challenge's resource (vault.azure.net). It exists
	// for a local emulator addressed as 127.0.0.1 and must be asked for
	// explicitly: the app never turns it on by itself.
	DisableChallengeResourceVerification bool
	// ShowVersion asks for the build's version instead of serving.
	ShowVersion bool
}

// parseConfig reads flags, falling back to the environment for any flag not
// given on the command line.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	envOf := map[string]string{}
	str := func(p *string, name, env, def, usage string) {
		envOf[name] = env
		fs.StringVar(p, name, def, usage+" (env "+env+")")
	}
	str(&c.Addr, "addr", "WEBAPP_ADDR", defaultAddr, "listen address")
	str(&c.SecretName, "secret", "WEBAPP_SECRET", defaultSecretName, "name of the secret the Get Secret page reads")
	str(&c.ProviderURI, "provider", "WEBAPP_PROVIDER", "", "provider URI such as env://?prefix=APP_, file:///run/secrets/app/ or azurekv://myvault.vault.azure.net; empty reads Azure Key Vault at -vault-url")
	str(&c.VaultURL, "vault-url", "AZURE_KEYVAULT_URL", "", "Key Vault URL, e.g. https://myvault.vault.azure.net/")
	str(&c.Identity, "identity", "WEBAPP_IDENTITY", "", "managed identity: system, client:<id>, object:<id> or resource:<id>; empty uses AZURE_CLIENT_ID, else system")
	const verifyFlag = "disable-challenge-resource-verification"
	envOf[verifyFlag] = "WEBAPP_DISABLE_CHALLENGE_RESOURCE_VERIFICATION"
	fs.BoolVar(&c.DisableChallengeResourceVerification, verifyFlag, false,
		"accept a vault not under vault.azure.net, such as a local emulator at 127.0.0.1 (env "+envOf[verifyFlag]+"); never for production")
	fs.BoolVar(&c.ShowVersion, "version", false, "print the module version and VCS revision, then exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: webapp [flags]\n\nServes a page that reads one secret through package provider. Flags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (all settings are flags)", fs.Arg(0))
	}
	if c.ShowVersion {
		return c, nil
	}
	if err := envflag.Fill(fs, getenv, func(flagName string) string { return envOf[flagName] }); err != nil {
		return c, err
	}
	if c.ProviderURI == "" && c.Identity == "" {
		// Resolved here rather than left to the SDK so that the pages and
		// logs can say which identity the app asked for.
		c.Identity = mi.FromEnv(getenv).String()
	}
	return c, c.validate()
}

// validate reports settings that cannot work, before anything is started.
func (c config) validate() error {
	if c.SecretName == "" {
		return errors.New("the secret name is empty: set -secret or WEBAPP_SECRET")
	}
	if c.ProviderURI == "" && c.VaultURL == "" {
		return errors.New("no vault URL: set -vault-url or AZURE_KEYVAULT_URL (or -provider for another backend)")
	}
	if c.ProviderURI == "" {
		if _, err := mi.Parse(c.Identity); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(ctx, os.Args[1:], os.Getenv, logger); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return // -h: the usage is the answer, not an error
		}
		fmt.Fprintln(os.Stderr, "webapp:", err)
		var bad badSettings
		if errors.As(err, &bad) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// badSettings marks a flag or variable the app cannot work with (exit 2),
// as opposed to a failure to serve (exit 1).
type badSettings struct{ error }

func (b badSettings) Unwrap() error { return b.error }

// run serves until ctx is done. The SDK's transport is the default one:
// production trust and name resolution, CA files from SSL_CERT_FILE.
func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger) error {
	cfg, err := parseConfig(args, getenv, os.Stderr)
	if err != nil {
		return badSettings{err}
	}
	if cfg.ShowVersion {
		fmt.Println(buildinfo.String("webapp"))
		return nil
	}
	secrets, source, err := openSecrets(ctx, cfg, azcore.ClientOptions{})
	if err != nil {
		return err
	}
	a, err := newApp(cfg, secrets, source, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("webapp listening", "url", "http://"+ln.Addr().String()+"/", "source", source, "secret", cfg.SecretName)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
