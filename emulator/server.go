// Package emulator runs a local stand-in for Azure Key Vault (secrets) and the
// Azure managed-identity token endpoints, faithful enough that the unmodified
// official SDKs run the whole managed-identity flow against it offline.
//
// A Server wires the rooms together: config, the one clock, the store
// (memory or bbolt), the TLS authority, the token issuer and validator, the
// identity endpoints, access control and the vault API. It serves two
// listeners:
//
//   - the vault listener (HTTPS): the Key Vault secrets API, plus the
//     Service Fabric and Entra (workload identity) endpoints, which clients
//     only call over TLS;
//   - the identity listener (plain HTTP, like the real ones): IMDS, App
//     Service, Cloud Shell, Azure ML and Azure Arc token endpoints, and the
//     admin routes under /_emulator/.
//
// cmd/emulator and emulator/emulatortest both run a Server.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/secretkit/secretkit/emulator/access"
	"github.com/secretkit/secretkit/emulator/clock"
	"github.com/secretkit/secretkit/emulator/config"
	"github.com/secretkit/secretkit/emulator/faults"
	"github.com/secretkit/secretkit/emulator/identity"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/tlsca"
	"github.com/secretkit/secretkit/emulator/token"
	"github.com/secretkit/secretkit/emulator/vault"
)

// Default listener addresses.
const (
	DefaultVaultAddr    = "127.0.0.1:8443"
	DefaultIdentityAddr = "127.0.0.1:8080"
)

// Slow or idle clients must not hold connections forever: a request has
// readTimeout to arrive whole (a 64 MiB restore takes far less on any
// real link), and an idle keep-alive connection is closed after idleTimeout.
const (
	readTimeout = time.Minute
	idleTimeout = 2 * time.Minute
)

// DefaultWriteTimeout is how long one response may take to write: a 64 MiB
// backup needs far less on any real link, and a client that stops reading
// is cut off after it instead of holding its connection (and, over
// HTTP/2, its stream) forever.
const DefaultWriteTimeout = 2 * time.Minute

// HTTP/2 limits on the vault listener: streams per connection (the SDKs
// use a handful), and a connection that accepts no bytes for
// writeByteTimeout, or answers no ping within pingTimeout after
// sendPingTimeout of silence, is closed.
const (
	maxConcurrentStreams = 100
	writeByteTimeout     = 30 * time.Second
	sendPingTimeout      = time.Minute
	pingTimeout          = 15 * time.Second
)

// maxHeaderBytes bounds request headers (Go's default is 1 MiB); a token
// is a few KB.
const maxHeaderBytes = 64 << 10

// purgeInterval is how often scheduled purges run on the wall clock; reads
// already treat overdue records as purged, so this only reclaims space.
const purgeInterval = time.Minute

// Options configure a Server. The zero value runs the defaults: embedded
// config, in-memory store, the default addresses and TLS directory.
type Options struct {
	// Config is the emulator configuration; nil means config.Default().
	Config *config.Config

	// VaultAddr and IdentityAddr are the listen addresses ("host:port";
	// port 0 picks a free port). Empty means the defaults. Ignored when the
	// matching listener is given.
	VaultAddr, IdentityAddr string

	// VaultListener and IdentityListener, when set, are used instead of
	// listening on the addresses; the Server closes them on Shutdown.
	VaultListener, IdentityListener net.Listener

	// DataFile, when set, makes state durable in a bbolt file: every
	// acknowledged write is synced before its response is sent.
	DataFile string

	// TLSDir holds the CA, the server certificate, the token signing key
	// and the backup key. Empty means DefaultTLSDir().
	TLSDir string

	// IdentityHeader is the secret App Service / Service Fabric / Azure ML
	// clients must send. Empty means the config's, else a random one.
	IdentityHeader string

	// AdvertiseHost is the host name put in the URLs the server hands to
	// clients (ClientEnv, VaultURL, IdentityURL), for clients that reach it
	// by another name, such as a docker-compose service name; the server
	// certificate names it too. Empty means the listen address, with a
	// wildcard address shown as 127.0.0.1.
	AdvertiseHost string

	// ArcKeyDir is where Azure Arc challenge key files are written; empty
	// means the identity package's default.
	ArcKeyDir string

	// FrozenAt, when set, stops the emulator clock at that time: only
	// Server.Advance moves it. For tests that compare exact times or need
	// requests to share one throttling window. The zero value follows the
	// wall clock.
	FrozenAt time.Time

	// WriteTimeout bounds writing one response: a client that stops
	// reading (a slow reader, a zero HTTP/2 window) is cut off after it.
	// Zero means DefaultWriteTimeout.
	WriteTimeout time.Duration

	// Logger receives request and lifecycle logs; nil discards them.
	Logger *slog.Logger
}

// Server is a running emulator, made by Start.
type Server struct {
	cfg       *config.Config
	clock     *clock.Adjustable
	store     store.Store
	authority *tlsca.Authority
	vaultAPI  *vault.API
	endpoints *identity.Endpoints
	logger    *slog.Logger
	advertise string

	vaultLn, identityLn net.Listener
	vaultSrv, idSrv     *http.Server
	writeTimeout        time.Duration
	faults              *faults.Set

	// workloadWritten is when (wall clock) WriteWorkloadTokenFile last
	// wrote the federated token file, zero before; the server then keeps
	// the file fresh.
	workloadMu      sync.Mutex
	workloadWritten time.Time

	// failed is closed when a listener stops serving on its own; serveErr
	// says why (guarded by serveMu).
	failed     chan struct{}
	failOnce   sync.Once
	serveMu    sync.Mutex
	serveErr   error
	stopChores chan struct{}
	choresDone chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// DefaultTLSDir is the per-user directory the emulator keeps its key
// material in, so a user trusts its CA once: $XDG_STATE_HOME/secretkit-emulator,
// else ~/.local/state/secretkit-emulator, else the user config directory,
// else secretkit-emulator-{uid} in the temporary directory (which the
// emulator refuses to use unless this user owns it and only this user
// may write it).
func DefaultTLSDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "secretkit-emulator")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "secretkit-emulator")
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "secretkit-emulator")
	}
	return filepath.Join(os.TempDir(), "secretkit-emulator-"+strconv.Itoa(os.Getuid()))
}

// Start builds a Server from opts (config, key material, store, seeded
// secrets) and starts serving. The listeners accept connections when it
// returns; Shutdown or Close stops it.
func Start(ctx context.Context, opts Options) (*Server, error) {
	s, err := newServer(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := s.listen(opts); err != nil {
		s.store.Close()
		return nil, err
	}
	s.serve()
	s.logIdentities()
	return s, nil
}

// newServer builds a Server without listening: config, key material,
// store, seeding.
func newServer(ctx context.Context, opts Options) (*Server, error) {
	cfg := opts.Config
	if cfg == nil {
		cfg = config.Default()
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clk := &clock.Adjustable{}
	if !opts.FrozenAt.IsZero() {
		clk = clock.NewFixed(opts.FrozenAt)
	}
	tlsDir := opts.TLSDir
	if tlsDir == "" {
		tlsDir = DefaultTLSDir()
	}

	// The advertised host is in every URL handed to clients, so the server
	// certificate must name it too.
	names := cfg.ServerNames()
	if opts.AdvertiseHost != "" {
		names = append(names, opts.AdvertiseHost)
	}
	authority, err := tlsca.LoadOrCreate(tlsDir, names)
	if err != nil {
		return nil, err
	}
	key, err := token.LoadOrCreateKey(tlsDir)
	if err != nil {
		return nil, err
	}
	backupKey, err := vault.LoadOrCreateBackupKey(tlsDir)
	if err != nil {
		return nil, err
	}

	issuer := &token.Issuer{Key: key, Tenant: cfg.Tenant, Clock: clk, Lifetime: cfg.TokenLifetime}
	validator := &token.Validator{Key: key, Tenant: cfg.Tenant, Clock: clk}

	endpoints, err := identity.New(identity.Options{
		Identities: cfg.Identities,
		Issuer:     issuer,
		Tenant:     cfg.Tenant,
		// Empty: the endpoints choose a random secret (Endpoints.Secret).
		Secret:    firstNonEmpty(opts.IdentityHeader, cfg.IdentityHeader),
		ArcKeyDir: opts.ArcKeyDir,
		Logger:    logger,
	})
	if err != nil {
		return nil, err
	}

	injected := &faults.Set{}
	if err := injected.Replace(cfg.Faults); err != nil {
		return nil, err
	}

	var st store.Store
	if opts.DataFile != "" {
		st, err = store.OpenBolt(opts.DataFile, nil)
		if err != nil {
			return nil, err
		}
	} else {
		st = store.NewMemory()
	}

	api, err := vault.New(vault.Options{
		Store:         st,
		Clock:         clk,
		Tenant:        cfg.Tenant,
		Vaults:        cfg.Vaults,
		Authenticator: bearerAuth{validator},
		// Key Vault's rule unless the config asks for claims challenges
		// to every client.
		ClaimsChallengeAll: cfg.ClaimsChallenge == config.ClaimsChallengeRenewable,
		// Where the vaults pretend to live, as RBAC denials name it.
		Placement: access.Placement{SubscriptionID: cfg.SubscriptionID(), ResourceGroup: "emulator", Location: "local"},
		BackupKey: backupKey,
		Logger:    logger,
		Faults:    injected,
	})
	if err != nil {
		st.Close()
		return nil, err
	}

	s := &Server{
		cfg:       cfg,
		clock:     clk,
		store:     st,
		authority: authority,
		vaultAPI:  api,
		endpoints: endpoints,
		logger:    logger,
		advertise: opts.AdvertiseHost,
		faults:    injected,
	}
	s.writeTimeout = opts.WriteTimeout
	if s.writeTimeout <= 0 {
		s.writeTimeout = DefaultWriteTimeout
	}
	if err := s.seed(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// seed creates the config's secrets that are neither stored nor deleted.
func (s *Server) seed(ctx context.Context) error {
	for _, v := range s.cfg.Vaults {
		if len(v.Secrets) == 0 {
			continue
		}
		if err := s.vaultAPI.Seed(ctx, v.Name, v.Secrets); err != nil {
			return fmt.Errorf("seeding vault %s: %w", v.Name, err)
		}
	}
	return nil
}

func (s *Server) listen(opts Options) error {
	s.vaultLn = opts.VaultListener
	if s.vaultLn == nil {
		ln, err := net.Listen("tcp", firstNonEmpty(opts.VaultAddr, DefaultVaultAddr))
		if err != nil {
			return fmt.Errorf("vault listener: %w", err)
		}
		s.vaultLn = ln
	}
	s.identityLn = opts.IdentityListener
	if s.identityLn == nil {
		ln, err := net.Listen("tcp", firstNonEmpty(opts.IdentityAddr, DefaultIdentityAddr))
		if err != nil {
			s.vaultLn.Close()
			return fmt.Errorf("identity listener: %w", err)
		}
		s.identityLn = ln
	}
	return nil
}

func (s *Server) serve() {
	tlsConfig := s.authority.TLSConfig()
	// net/http reports TLS handshake failures and its own refusals through
	// ErrorLog: at WARN, summarised when they come in floods.
	errorLog := newServerErrorLog(s.logger, time.Now)
	s.vaultSrv = &http.Server{
		Handler:           s.recoverPanics("vault", s.vaultHandler()),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       readTimeout,
		WriteTimeout:      s.writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errorLog,
		// "OPTIONS *" reaches the vault API, which answers in its own shape.
		DisableGeneralOptionsHandler: true,
		HTTP2: &http.HTTP2Config{
			MaxConcurrentStreams: maxConcurrentStreams,
			WriteByteTimeout:     writeByteTimeout,
			SendPingTimeout:      sendPingTimeout,
			PingTimeout:          pingTimeout,
		},
	}
	s.idSrv = &http.Server{
		Handler:           s.recoverPanics("identity", s.identityHandler()),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       readTimeout,
		WriteTimeout:      s.writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          errorLog,
	}
	s.failed = make(chan struct{})
	// ServeTLS (not Serve over a tls.Listener) also offers HTTP/2, as Key Vault does.
	go s.serveUntilError("vault", func() error { return s.vaultSrv.ServeTLS(s.vaultLn, "", "") })
	go s.serveUntilError("identity", func() error { return s.idSrv.Serve(s.identityLn) })

	s.stopChores = make(chan struct{})
	s.choresDone = make(chan struct{})
	go s.chores()
}

// serveUntilError runs one listener's Serve. Anything but the end
// Shutdown causes (a listener closed underneath, an accept failure) is
// logged, marks the server failed and is returned by Shutdown.
func (s *Server) serveUntilError(listener string, serve func() error) {
	err := serve()
	if errors.Is(err, http.ErrServerClosed) {
		return
	}
	s.logger.Error("listener stopped serving", "listener", listener, "err", err)
	s.serveMu.Lock()
	s.serveErr = errors.Join(s.serveErr, fmt.Errorf("%s listener: %w", listener, err))
	s.serveMu.Unlock()
	s.failOnce.Do(func() { close(s.failed) })
}

// Failed is closed when a listener stops serving on its own, not through
// Shutdown: the server no longer answers there, and Shutdown returns why.
func (s *Server) Failed() <-chan struct{} { return s.failed }

// chores runs on the wall clock: scheduled purges and the federated token
// file's refresh.
func (s *Server) chores() {
	defer close(s.choresDone)
	t := time.NewTicker(purgeInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stopChores:
			return
		case now := <-t.C:
			s.purgeDue(context.Background())
			s.refreshWorkloadToken(now, workloadTokenRefresh)
		}
	}
}

func (s *Server) purgeDue(ctx context.Context) {
	// A damaged record must not take the process down from the chore
	// goroutine: log it, and the next round tries again.
	defer func() {
		if p := recover(); p != nil {
			s.logger.Warn("scheduled purge panicked", "panic", fmt.Sprint(p))
		}
	}()
	if n, err := s.vaultAPI.PurgeDue(ctx); err != nil {
		s.logger.Error("scheduled purge failed", "err", err)
	} else if n > 0 {
		s.logger.Info("scheduled purge", "purged", n)
	}
}

// vaultHandler serves the HTTPS listener: the identity endpoints that only
// run over TLS (Service Fabric, the Entra authority) by their first path
// segment, everything else is the Key Vault API (which answers unknown
// routes the way Key Vault does).
func (s *Server) vaultHandler() http.Handler {
	https := s.endpoints.HTTPSHandler()
	serviceFabric := s.identityFaults(https, true)
	entra := s.identityFaults(https, false)
	tenant := strings.ToLower(s.cfg.Tenant)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		switch strings.ToLower(first) {
		case "servicefabric":
			serviceFabric.ServeHTTP(w, r)
		case tenant, "common", "organizations":
			entra.ServeHTTP(w, r)
		default:
			s.vaultAPI.ServeHTTP(w, r)
		}
	})
}

func (s *Server) identityHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/_emulator/", s.adminHandler())
	mux.Handle("/", s.identityFaults(s.endpoints.HTTPHandler(), true))
	return s.debugLog("identity request", mux)
}

// debugLog logs every request h answers at debug level (method, path,
// status, time taken; never the query, which may name identities, or
// headers, which carry the identity secret): a client calling a path
// the emulator does not serve shows up here.
func (s *Server) debugLog(msg string, h http.Handler) http.Handler {
	if !s.logger.Enabled(context.Background(), slog.LevelDebug) {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started := time.Now()
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, r)
		s.logger.LogAttrs(r.Context(), slog.LevelDebug, msg,
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("took", time.Since(started)))
	})
}

// statusWriter remembers the status for debugLog and the admin log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Shutdown stops accepting requests, lets in-flight ones finish (until ctx
// is done), then closes the store. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.vaultSrv != nil {
			errs = append(errs, s.vaultSrv.Shutdown(ctx), s.idSrv.Shutdown(ctx))
			close(s.stopChores)
			<-s.choresDone
		}
		s.serveMu.Lock()
		errs = append(errs, s.serveErr, s.endpoints.Close(), s.store.Close())
		s.serveMu.Unlock()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// Close shuts the server down without waiting for in-flight requests
// longer than five seconds.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Shutdown(ctx)
}

// Now is the emulator clock's time: the wall clock (or Options.FrozenAt)
// plus every Advance. Token lifetimes and soft-delete dates run on it.
func (s *Server) Now() time.Time { return s.clock.Now() }

// Config is the configuration the server runs with, defaults filled in.
func (s *Server) Config() *config.Config { return s.cfg }

// Authority is the emulator's TLS authority: the CA clients must trust.
func (s *Server) Authority() *tlsca.Authority { return s.authority }

// Endpoints are the managed-identity endpoints, e.g. to mint a federated
// token for workload identity.
func (s *Server) Endpoints() *identity.Endpoints { return s.endpoints }

// IdentityHeader is the secret App Service, Service Fabric and Azure ML
// clients must present.
func (s *Server) IdentityHeader() string { return s.endpoints.Secret() }

// VaultAddr is the address the vault listener accepts connections on.
func (s *Server) VaultAddr() net.Addr { return s.vaultLn.Addr() }

// IdentityAddr is the address the identity listener accepts connections on.
func (s *Server) IdentityAddr() net.Addr { return s.identityLn.Addr() }

// VaultURL is the default vault's URL with a trailing slash, on a host
// clients can reach (a wildcard listen address becomes 127.0.0.1).
func (s *Server) VaultURL() string {
	return "https://" + s.reachable(s.vaultLn.Addr()) + "/"
}

// IdentityURL is the identity listener's base URL without a trailing slash.
func (s *Server) IdentityURL() string {
	return "http://" + s.reachable(s.identityLn.Addr())
}

// Reset removes all stored state and seeds the config's secrets again.
// The clock is left alone: tokens clients already hold stay valid.
func (s *Server) Reset(ctx context.Context) error {
	if err := s.store.Reset(ctx); err != nil {
		return err
	}
	return s.seed(ctx)
}

// Advance is the one way to move the emulator clock: forward by d (a
// negative d is ignored), moving token validity and soft-delete schedules
// together. It runs the purges that became due and rewrites a federated
// token file written by WriteWorkloadTokenFile, so that workload-identity
// clients can still exchange it after the jump. It returns the new time.
func (s *Server) Advance(ctx context.Context, d time.Duration) time.Time {
	now := s.clock.Advance(d)
	s.purgeDue(ctx)
	s.refreshWorkloadToken(time.Now(), 0)
	return now
}

// reachable turns a listen address into one a client can dial: the
// advertised host when there is one, else the listen host with unspecified
// addresses (0.0.0.0, ::) shown as loopback.
func (s *Server) reachable(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	switch ip := net.ParseIP(host); {
	case s.advertise != "":
		host = s.advertise
	case ip == nil || ip.IsUnspecified():
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// bearerAuth lets the vault API authenticate with the token validator: a
// token's claims name the caller that access decides for.
type bearerAuth struct{ v *token.Validator }

func (b bearerAuth) Authenticate(ctx context.Context, bearer, resource string) (access.Caller, error) {
	c, err := b.v.Authenticate(ctx, bearer, resource)
	if err != nil {
		return access.Caller{}, err
	}
	return access.Caller{TenantID: c.TenantID, ObjectID: c.ObjectID, ClientID: c.AppID, ResourceID: c.ResourceID}, nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
