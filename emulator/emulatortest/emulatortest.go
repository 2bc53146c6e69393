// Package emulatortest starts an in-process emulator for a Go test, the way
// net/http/httptest starts a server: one call returns the URLs, the CA pool
// and an HTTP client that reaches the emulator under the real Azure host
// names, and cleanup is registered on the test.
//
// With Emulator.Client as the SDK transport, production code runs unchanged:
// azidentity.ManagedIdentityCredential talks to IMDS at 169.254.169.254 and
// azsecrets to https://myvault.vault.azure.net/, with challenge-resource
// verification on, and both land on the in-process listeners. Nothing
// global is touched (no environment variables, no default transport), so
// tests using it may run in parallel.
package emulatortest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator"
	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/emulator/identity"
)

// imdsHost is the address the Azure SDKs use for the instance metadata
// service; the transport routes it to the identity listener.
const imdsHost = "169.254.169.254"

// Options customise the emulator a test starts. The zero value (or nil)
// runs the emulator's defaults: one system-assigned identity and one vault
// named "emulator".
type Options struct {
	// Config is the emulator configuration. Nil means ConfigYAML, else the
	// defaults.
	Config *config.Config

	// ConfigYAML is a configuration in the emulator's YAML format, parsed
	// when Config is nil. A parse error fails the test.
	//
	// Unless the configuration sets claimsChallenge, the emulator sends a
	// claims challenge to every client whose token a fresh one would cure
	// (claimsChallenge: renewable), not only to clients that declared the
	// capability as Key Vault does: the Go SDK's managed-identity token
	// cache is process-wide, so a test binary's emulators would otherwise
	// refuse each other's cached tokens for good.
	ConfigYAML string

	// FrozenAt, when set, stops the emulator clock at that time, so that
	// only Advance moves it (exact times, one throttling window). The
	// zero value follows the wall clock; Advance moves either.
	FrozenAt time.Time

	// DataFile makes state durable in a bbolt file (e.g. under t.TempDir()).
	DataFile string

	// Logger receives the emulator's logs; nil discards them.
	Logger *slog.Logger
}

// Emulator is a running in-process emulator. Its fields must not be changed.
type Emulator struct {
	// Server is the running emulator.
	Server *emulator.Server

	// VaultURL is the default vault's URL on the loopback listener, with a
	// trailing slash. Clients calling it must disable challenge-resource
	// verification; VaultURLFor gives a real-looking URL that needs no such
	// switch.
	VaultURL string

	// IdentityURL is the identity listener's base URL (plain HTTP).
	IdentityURL string

	// CAPool trusts the emulator's certificate.
	CAPool *x509.CertPool

	// Config is the configuration the emulator runs with, defaults filled
	// in (identity ids, tenant).
	Config *config.Config

	client    *http.Client
	tlsDir    string
	closeOnce sync.Once
	closeErr  error
}

// Start runs an emulator on loopback ports with a fresh TLS directory and
// registers its shutdown with t.Cleanup. It fails the test if the emulator
// cannot start.
func Start(t testing.TB, opts *Options) *Emulator {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatalf("emulatortest: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Errorf("emulatortest: %v", err)
		}
	})
	return e
}

// New runs an emulator like Start, for code without a testing.TB (examples,
// TestMain, benchmarks shared across tests): the caller must Close it.
func New(opts *Options) (*Emulator, error) {
	if opts == nil {
		opts = &Options{}
	}
	cfg := opts.Config
	if cfg == nil && opts.ConfigYAML != "" {
		var err error
		if cfg, err = config.Parse("emulatortest config", []byte(opts.ConfigYAML)); err != nil {
			return nil, err
		}
	}
	if cfg == nil {
		cfg = config.Default()
	}
	if cfg.ClaimsChallenge == "" {
		// A test binary often starts many emulators, and the Go SDK's
		// managed-identity token cache is process-wide: a token cached
		// from one emulator is presented to the next, which refuses it.
		// Only a claims challenge makes that credential refetch (it never
		// declares the cp1 capability), so emulatortest sends one to every
		// client unless the config chooses (claimsChallenge: capable).
		c := *cfg
		c.ClaimsChallenge = config.ClaimsChallengeRenewable
		cfg = &c
	}
	tlsDir, err := os.MkdirTemp("", "emulatortest-tls-")
	if err != nil {
		return nil, err
	}
	srv, err := emulator.Start(context.Background(), emulator.Options{
		Config:       cfg,
		VaultAddr:    "127.0.0.1:0",
		IdentityAddr: "127.0.0.1:0",
		DataFile:     opts.DataFile,
		TLSDir:       tlsDir,
		FrozenAt:     opts.FrozenAt,
		Logger:       opts.Logger,
	})
	if err != nil {
		os.RemoveAll(tlsDir)
		return nil, fmt.Errorf("starting emulator: %w", err)
	}
	e := &Emulator{
		Server:      srv,
		VaultURL:    srv.VaultURL(),
		IdentityURL: srv.IdentityURL(),
		CAPool:      srv.Authority().CertPool(),
		Config:      srv.Config(),
		tlsDir:      tlsDir,
	}
	e.client = &http.Client{Transport: e.newTransport()}
	return e, nil
}

// Close shuts the emulator down (waiting up to ten seconds for requests in
// flight) and removes its TLS directory. It is safe to call more than once.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		e.client.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Server.Shutdown(ctx); err != nil {
			e.closeErr = fmt.Errorf("shutdown: %w", err)
		}
		os.RemoveAll(e.tlsDir)
	})
	return e.closeErr
}

// newTransport dials the emulator for the Azure host names: IMDS
// (169.254.169.254:80) goes to the identity listener, any *.vault.azure.net,
// login.microsoftonline.com and loopback name on 443 to the vault listener.
// TLS verification stays on, against the emulator's CA.
func (e *Emulator) newTransport() *http.Transport {
	vaultAddr := e.Server.VaultAddr().String()
	identityAddr := e.Server.IdentityAddr().String()
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			switch {
			case host == imdsHost && port == "80":
				addr = identityAddr
			case port == "443" && routesToVault(host):
				addr = vaultAddr
			}
			return dialer.DialContext(ctx, network, addr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: e.CAPool, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 64,
	}
}

func routesToVault(host string) bool {
	host = strings.ToLower(host)
	return strings.HasSuffix(host, ".vault.azure.net") ||
		host == "login.microsoftonline.com" ||
		host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// Client returns an HTTP client for SDK options (azcore.ClientOptions
// Transport accepts it): it trusts the emulator's CA and routes the Azure
// host names to the emulator.
func (e *Emulator) Client() *http.Client { return e.client }

// VaultURLFor returns the production-looking URL of the named vault,
// https://{name}.vault.azure.net/, which Client routes to the emulator.
func (e *Emulator) VaultURLFor(name string) string {
	return "https://" + strings.ToLower(name) + ".vault.azure.net/"
}

// Identity returns the configured identity with the given name, failing
// the test if there is none.
func (e *Emulator) Identity(t testing.TB, name string) identity.Identity {
	t.Helper()
	if id, ok := e.Config.IdentityByName(name); ok {
		return *id
	}
	t.Fatalf("emulatortest: no identity named %q in the config", name)
	return identity.Identity{}
}

// Advance moves the emulator clock forward, as Server.Advance does (due
// purges run, a federated token file is rewritten), and returns the new
// time. It is the only way a test moves the clock.
func (e *Emulator) Advance(d time.Duration) time.Time {
	return e.Server.Advance(context.Background(), d)
}

// Now is the emulator clock's time. An Emulator is thereby a clock.Clock,
// e.g. for a token.Validator in a test.
func (e *Emulator) Now() time.Time { return e.Server.Now() }
