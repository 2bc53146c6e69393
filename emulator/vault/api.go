// Package vault is the emulator's Azure Key Vault secrets data plane: an
// http.Handler that answers the twelve secret operations with the service's
// wire shapes, status codes, error codes and authentication challenge, so
// the unmodified Azure SDKs run against it.
//
// The HTTP layer (this file, routes.go, wire.go) resolves the vault from the
// Host header, authenticates, checks the api-version, routes, authorizes and
// maps results to the wire; the secret rules (secrets.go) apply soft delete,
// versions and validation over a store.Store.
//
// Vaults are addressed by host: {name}.vault.azure.net and {name}.localhost
// (any port) select vault {name}; any other host (localhost, an IP address,
// a container name) selects the default vault, the first of Options.Vaults.
// A {name} that is not configured is created on first use with the default
// settings (90 days retention, no purge protection); a {name} no vault can
// have (kv.ValidVaultName) is refused with 400 BadParameter.
//
// Settings read themselves from a config file (Settings.UnmarshalYAML).
package vault

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/secretkit/secretkit/emulator/access"
	"github.com/secretkit/secretkit/emulator/clock"
	"github.com/secretkit/secretkit/emulator/faults"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/kv"
)

// Settings configures one vault.
type Settings struct {
	// Name is the vault name (case-insensitive; stored lowercase).
	Name string
	// RetentionDays is the soft-delete retention, 7–90; 0 means 90.
	RetentionDays int
	// PurgeProtection refuses purges: deleted secrets leave only when
	// their retention has passed.
	PurgeProtection bool
	// Throttle, when set, enforces request limits (see Throttle); nil
	// never throttles.
	Throttle *Throttle
	// Access is who may do what in the vault; nil leaves it open to every
	// authenticated caller. Only consulted when Options.Authorizer is nil.
	Access *access.VaultRules
	// Secrets are created by Seed when absent.
	Secrets []SeedSecret
}

// Options configures an API. Store is required; every other field has a
// default.
type Options struct {
	Store store.Store
	// Clock is read for every timestamp and purge decision; nil is the
	// wall clock.
	Clock clock.Clock
	// Tenant goes into the challenge's authorization URL; empty means
	// DefaultTenant (an empty tenant makes the Go SDK re-challenge on
	// every request).
	Tenant string
	// Vaults: the first is the default vault; empty means one vault
	// named DefaultVault.
	Vaults []Settings
	// Authenticator validates bearer tokens; nil accepts any non-empty
	// token as the zero Caller.
	Authenticator access.Authenticator
	// Authorizer decides each operation; nil means the vaults' own
	// Settings.Access, placed in Azure at Placement (which only shows in
	// denial messages).
	Authorizer access.Authorizer
	Placement  access.Placement
	// ClaimsChallengeAll sends a claims challenge for every refused token
	// a fresh one would cure (access.Renewable), not only to clients that
	// declared they can answer one (access.ClaimsCapable), which is what
	// Key Vault does and the default.
	ClaimsChallengeAll bool
	// BackupKey (32 bytes) seals backup blobs so that only an emulator
	// holding the same key restores them; nil is a random key per API.
	BackupKey []byte
	// Logger receives one line per request (method, path, vault,
	// operation, status); never values or bodies. nil discards.
	Logger *slog.Logger
	// Faults, when set, injects failures into matching operations (after
	// authentication and routing, before throttling); nil injects none.
	Faults *faults.Set
}

// DefaultVault names the only vault when Options.Vaults is empty.
const DefaultVault = "emulator"

// ChallengeAuthorityHost is the authority the 401 challenge names, as every
// recorded real-service challenge (2019-2023) does. The SDKs take only the
// tenant from its path and authenticate at their own configured authority
// (AZURE_AUTHORITY_HOST), so the host is never dialled.
const ChallengeAuthorityHost = "https://login.windows.net"

// DefaultTenant is the tenant advertised when Options.Tenant is empty.
const DefaultTenant = "common"

// ServiceVersion is sent as x-ms-keyvault-service-version.
const ServiceVersion = "1.9.0.0-secretkit"

// maxBodyBytes bounds request bodies; larger ones get 413 without being
// read. A 25 KB value, 15 tags of 512+512 characters and JSON escaping fit
// well below it.
const maxBodyBytes = 1 << 20

// maxRestoreBytes bounds a restore body instead: a backup holds every
// version of a secret, so a blob this emulator produced may be far larger
// than any other request (hundreds of 25 KB versions). Backup refuses a
// secret whose restore body would exceed it, so every backup handed out
// restores. A variable only so tests can shrink it.
var maxRestoreBytes int64 = 64 << 20

// maxConcurrentRestores bounds the restores being read and decoded at
// once: each holds the body, its decoded blob and the decoded record
// (about three times the body), so peak memory stays near
// maxConcurrentRestores × 3 × maxRestoreBytes whatever the concurrency.
// Others wait for a slot (or for their client to give up).
const maxConcurrentRestores = 2

// latestAPIVersion is what the unknown-version error recommends.
const latestAPIVersion = "2026-04-01"

// apiVersions are the accepted api-version values: every published stable
// version, the current preview, and the previews older SDK releases sent.
var apiVersions = map[string]bool{
	"7.0": true, "7.1": true, "7.2": true, "7.3": true, "7.4": true, "7.5": true, "7.6": true,
	"2025-07-01": true, "2026-04-01": true, "2026-07-01-preview": true,
	// unconfirmed: the preview versions of the 7.x line are still accepted.
	"7.3-preview": true, "7.4-preview.1": true, "7.5-preview.1": true, "7.6-preview.1": true, "7.6-preview.2": true,
}

// API serves the Key Vault secrets REST API. Create it with New; it is safe
// for concurrent use.
type API struct {
	rules         *secretRules
	tenant        string
	authenticator access.Authenticator
	authorizer    access.Authorizer
	log           *slog.Logger
	claimsToAll   bool

	restoreSlots chan struct{} // see maxConcurrentRestores
	faults       *faults.Set

	// vaults holds the configured vaults only and is written only by
	// New, so requests read it without a lock.
	vaults       map[string]policy // by lowercase name
	defaultVault string
}

// New validates opts and returns an API.
func New(opts Options) (*API, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("vault: Options.Store is required")
	}
	a := &API{
		tenant: opts.Tenant, authenticator: opts.Authenticator, authorizer: opts.Authorizer,
		log: opts.Logger, vaults: map[string]policy{}, claimsToAll: opts.ClaimsChallengeAll,
		restoreSlots: make(chan struct{}, maxConcurrentRestores),
		faults:       opts.Faults,
	}
	if a.tenant == "" {
		a.tenant = DefaultTenant
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	clk := opts.Clock
	if clk == nil {
		clk = &clock.Adjustable{}
	}
	sealer, err := newBackupSealer(opts.BackupKey)
	if err != nil {
		return nil, err
	}
	a.rules = &secretRules{store: opts.Store, clock: clk, sealer: sealer}
	settings := opts.Vaults
	if len(settings) == 0 {
		settings = []Settings{{Name: DefaultVault}}
	}
	rules := &access.Rules{
		SubscriptionID: opts.Placement.SubscriptionID, ResourceGroup: opts.Placement.ResourceGroup,
		Location: opts.Placement.Location, Vaults: map[string]access.VaultRules{},
	}
	for i, s := range settings {
		name := strings.ToLower(s.Name)
		if !kv.ValidVaultName(name) {
			return nil, fmt.Errorf("vault: Vaults[%d]: invalid vault name %q: %s", i, s.Name, kv.VaultNameRule)
		}
		if _, dup := a.vaults[name]; dup {
			return nil, fmt.Errorf("vault: Vaults[%d]: duplicate vault name %q", i, s.Name)
		}
		days := s.RetentionDays
		if days == 0 {
			days = kv.DefaultRetentionDays
		}
		if days < kv.MinRetentionDays || days > kv.MaxRetentionDays {
			return nil, fmt.Errorf("vault: Vaults[%d]: RetentionDays must be 7–90, got %d", i, s.RetentionDays)
		}
		p := policy{name: name, retentionDays: days, purgeProtection: s.PurgeProtection}
		if s.Throttle != nil {
			p.limiter = newLimiter(*s.Throttle)
		}
		a.vaults[name] = p
		if s.Access != nil {
			if opts.Authorizer != nil {
				return nil, fmt.Errorf("vault: Vaults[%d]: Access and Options.Authorizer are exclusive", i)
			}
			rules.Vaults[name] = *s.Access
		}
		if i == 0 {
			a.defaultVault = name
		}
	}
	if len(rules.Vaults) > 0 {
		a.authorizer = rules
	}
	return a, nil
}

// vault returns the policy of the named vault: its configuration, or the
// default settings for a vault created on demand. On-demand vaults are
// never added to the table (it holds the configured vaults only), so no
// stream of Host headers can grow it; the store knows them while they
// hold data, which is all PurgeDue needs.
func (a *API) vault(name string) policy {
	name = strings.ToLower(name)
	if p, ok := a.vaults[name]; ok {
		return p
	}
	return policy{name: name, retentionDays: kv.DefaultRetentionDays}
}

// resolveHost picks the vault for a Host header and the resource the
// challenge advertises for it. It does not create the vault (see
// vault). A vault host whose first label is no legal vault name (kv.ValidVaultName)
// returns ok false: no such vault can exist, so the request is refused
// rather than sent to another vault.
func (a *API) resolveHost(host string) (p policy, resource string, ok bool) {
	u := url.URL{Host: host}
	hostname, port := strings.ToLower(u.Hostname()), u.Port()
	if label, isVault := strings.CutSuffix(hostname, ".vault.azure.net"); isVault {
		return a.vault(label), "https://vault.azure.net", kv.ValidVaultName(label)
	}
	if label, isVault := strings.CutSuffix(hostname, ".localhost"); isVault {
		resource := "https://localhost"
		if port != "" {
			resource += ":" + port
		}
		return a.vault(label), resource, kv.ValidVaultName(label)
	}
	return a.vault(a.defaultVault), "https://vault.azure.net", true
}

// parseQuery decodes keys as well as values: the JS SDK sends
// api%2Dversion=... .
func parseQuery(raw string) url.Values {
	q := url.Values{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		q.Add(unescapeOrRaw(k), unescapeOrRaw(v))
	}
	return q
}

// unescapeOrRaw keeps a malformed escape as sent, so that the parameter it
// belongs to fails its own validation instead of silently disappearing.
func unescapeOrRaw(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	// Formatted by hand: this runs on every request and fmt costs more
	// than the rest of the id.
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:36], b[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

var (
	serviceVersionHeader = []string{ServiceVersion}
	noCacheHeader        = []string{"no-cache"}
)

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.wrote = true
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// statusClientGone is what the request log records for a request whose
// client went away before the answer (nginx's 499); it is never sent.
const statusClientGone = 499

// recoverHandler turns a panic in a handler (a bug, or a storage fault
// that surfaces as one) into Key Vault's 500 answer and a WARN line, so
// one bad request or record never takes the process down.
func (a *API) recoverHandler(rec *statusRecorder, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p)
	}
	msg := fmt.Sprint(p)
	if len(msg) > 200 {
		msg = strings.ToValidUTF8(msg[:200], "") // a cut may split a character
	}
	a.log.LogAttrs(r.Context(), slog.LevelWarn, "vault handler panic",
		slog.String("path", r.URL.Path), slog.String("panic", msg))
	if a.log.Enabled(r.Context(), slog.LevelDebug) { // the stack is only worth taking for a debug log
		a.log.LogAttrs(r.Context(), slog.LevelDebug, "vault handler panic stack", slog.String("stack", string(debug.Stack())))
	}
	if !rec.wrote {
		writeJSON(rec, http.StatusInternalServerError, internalFailure.body())
	} else {
		rec.status = http.StatusInternalServerError
	}
}

// faultBody is an injected failure in Key Vault's error shape.
func faultBody(status int) any {
	switch status {
	case http.StatusServiceUnavailable:
		return httpFailure{code: "ServiceUnavailable", message: "The service is temporarily unavailable (injected fault)."}.body()
	case http.StatusTooManyRequests:
		return httpFailure{code: "Throttled", message: msgThrottled}.body()
	}
	return httpFailure{code: "InternalServerError", message: "The server encountered an internal error (injected fault)."}.body()
}

var internalFailure = httpFailure{status: http.StatusInternalServerError, code: "InternalServerError",
	message: "The server encountered an internal error."}

// request is one request in flight.
type request struct {
	r       *http.Request
	w       http.ResponseWriter
	policy  policy
	view    wireView
	query   url.Values
	route   route
	version string

	// For the request log: who called (once authenticated) and why the
	// request failed, in the service's own words (never a value or token).
	caller            access.Caller
	errCode, reason   string
	challengeResource string
}

// ServeHTTP answers one request in the service's order: vault from Host,
// bearer token (401 + challenge), api-version, route and name, authorization
// (403), body, store, response.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	h := rec.Header()
	// Keys already canonical and constant values shared: Header.Set would
	// canonicalise (and allocate) on every request.
	h["X-Ms-Request-Id"] = []string{newRequestID()}
	if id := r.Header.Get("x-ms-client-request-id"); id != "" {
		h["X-Ms-Client-Request-Id"] = []string{id}
	}
	h["X-Ms-Keyvault-Service-Version"] = serviceVersionHeader
	h["Cache-Control"] = noCacheHeader

	p, resource, validName := a.resolveHost(r.Host)
	req := &request{r: r, w: rec, policy: p, view: wireView{base: "https://" + r.Host, policy: p}}
	started := time.Now()
	defer func() { a.logRequest(req, rec.status, started) }()
	defer a.recoverHandler(rec, r)
	if !validName {
		// The real service has no such host (DNS fails first); the
		// emulator names the problem instead.
		a.fail(req, badParameter(fmt.Sprintf("The vault name %q in the host is invalid: %s.", p.name, kv.VaultNameRule)))
		return
	}

	caller, ok := a.authenticate(req, resource)
	if !ok {
		return
	}
	req.caller = caller
	req.query = parseQuery(r.URL.RawQuery)
	req.version = req.query.Get("api-version")
	if len(req.query["api-version"]) > 1 {
		// unconfirmed: the service's answer to a repeated api-version;
		// taking one silently could run another version than meant.
		a.fail(req, badParameter("The api-version query parameter must be given once."))
		return
	}
	if req.version == "" {
		// unconfirmed: the service's wording for a missing api-version.
		a.fail(req, badParameter("The api-version query parameter (?api-version=) is required for all requests."))
		return
	}
	if !apiVersions[req.version] {
		a.fail(req, badParameter(fmt.Sprintf("The specified version (%s) is not recognized. Consider using the latest supported version (%s).", req.version, latestAPIVersion)))
		return
	}
	rt, miss := matchRoute(r.Method, r.URL.EscapedPath())
	if miss != nil {
		h.Set("Allow", strings.Join(miss.allow, ", "))
		// unconfirmed: the status; the code and wording are the service's
		// answer to a method an operation does not support.
		a.fail(req, httpFailure{status: http.StatusMethodNotAllowed, code: "BadParameter",
			message: fmt.Sprintf("Method %s does not allow operation '%s'", r.Method, miss.operation)})
		return
	}
	if rt.op == "" {
		// unconfirmed: wording of the service's 404 for an unknown path.
		a.fail(req, httpFailure{status: http.StatusNotFound, code: "NotFound",
			message: "The requested resource was not found."})
		return
	}
	req.route = rt
	if !rt.op.VaultWide() && !kv.ValidSecretName(rt.name) {
		a.fail(req, badParameter("The request URI contains an invalid name: "+rt.name))
		return
	}
	if a.faults.Apply(rec, r, faults.Request{Target: faults.Vault, Operation: rt.op, Vault: p.name}, faultBody) {
		return
	}
	if p.limiter != nil {
		if wait, ok := p.limiter.admit(a.rules.clock.Now(), rt.op == kv.OpSet); !ok {
			h.Set("Retry-After", strconv.Itoa(wait))
			a.fail(req, httpFailure{status: http.StatusTooManyRequests, code: "Throttled", message: msgThrottled})
			return
		}
	}
	if a.authorizer != nil {
		if d := a.authorizer.Authorize(p.name, caller, rt.op, rt.name); d != nil {
			a.fail(req, httpFailure{status: http.StatusForbidden, code: "Forbidden", inner: d.InnerCode, message: d.Message})
			return
		}
	}
	a.dispatch(req)
}

// authenticate answers 401 with the challenge unless the request carries a
// bearer token the Authenticator accepts. It runs before the body is read:
// the SDKs' first request is deliberately unauthenticated and body-less.
func (a *API) authenticate(req *request, resource string) (access.Caller, bool) {
	// Built only for a refusal: a request that passes pays nothing for it.
	challenge := func() string {
		return `Bearer authorization="` + ChallengeAuthorityHost + "/" + a.tenant + `", resource="` + resource + `"`
	}
	scheme, token, _ := strings.Cut(req.r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		req.w.Header().Set("WWW-Authenticate", challenge())
		req.challengeResource = resource
		a.fail(req, httpFailure{status: http.StatusUnauthorized, code: "Unauthorized",
			message: "AKV10000: Request is missing a Bearer or PoP token."})
		return access.Caller{}, false
	}
	if a.authenticator == nil {
		return access.Caller{}, true
	}
	caller, err := a.authenticator.Authenticate(req.r.Context(), token, resource)
	if err != nil {
		// The challenge rule: a claims challenge only for a token that a
		// fresh one would cure and whose client declared it can answer
		// one; everyone else gets the standard challenge.
		header := challenge()
		var (
			renewable access.Renewable
			capable   access.ClaimsCapable
		)
		if errors.As(err, &renewable) && renewable.Renewable() &&
			(a.claimsToAll || errors.As(err, &capable) && capable.CanAnswerClaimsChallenge()) {
			header = claimsChallenge(a.rules.clock.Now())
		}
		req.w.Header().Set("WWW-Authenticate", header)
		req.challengeResource = resource
		a.fail(req, httpFailure{status: http.StatusUnauthorized, code: "Unauthorized", message: err.Error()})
		return access.Caller{}, false
	}
	return caller, true
}

// logRequest writes the one line per request: method, path, vault,
// operation, status and, for a failure, the error code and the reason
// Key Vault's message gives (no token, token expired, wrong audience, the
// missing permission...). At debug level it adds what a confused user
// needs next: the api-version, the caller's ids, the challenge's resource,
// the request id and the time taken. A refused request has not been
// routed yet, so its operation is worked out here from method and path.
func (a *API) logRequest(req *request, status int, started time.Time) {
	r := req.r
	op := req.route.op
	if op == "" {
		rt, _ := matchRoute(r.Method, r.URL.EscapedPath())
		op = rt.op
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("vault", req.policy.name), slog.String("op", string(op)),
		slog.Int("status", status),
	}
	if req.errCode != "" {
		attrs = append(attrs, slog.String("error", req.errCode), slog.String("reason", req.reason))
	}
	ctx := r.Context()
	if a.log.Enabled(ctx, slog.LevelDebug) {
		query := req.query
		if query == nil { // refused before ServeHTTP parsed it
			query = parseQuery(r.URL.RawQuery)
		}
		attrs = append(attrs, slog.String("apiVersion", query.Get("api-version")))
		if req.caller != (access.Caller{}) {
			attrs = append(attrs, slog.String("callerObjectId", req.caller.ObjectID), slog.String("callerClientId", req.caller.ClientID))
		}
		if req.challengeResource != "" {
			attrs = append(attrs, slog.String("challengeResource", req.challengeResource))
		}
		attrs = append(attrs, slog.String("requestId", req.w.Header().Get("x-ms-request-id")),
			slog.String("userAgent", r.UserAgent()), slog.Duration("took", time.Since(started)))
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "vault request", attrs...)
}

// failureCode is the error code a log line shows: the inner code when
// there is one (ForbiddenByRbac, SecretDisabled), as it says more.
func failureCode(f httpFailure) string {
	if f.inner != "" {
		return f.inner
	}
	return f.code
}

// claimsChallenge is a continuous-access-evaluation challenge demanding a
// token issued no earlier than now: the SDKs answer it by fetching a new
// token past their cache and retrying once.
func claimsChallenge(now time.Time) string {
	claims := fmt.Sprintf(`{"access_token":{"nbf":{"essential":true,"value":"%d"}}}`, now.Unix())
	return `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="` +
		base64.StdEncoding.EncodeToString([]byte(claims)) + `"`
}

func (a *API) fail(req *request, f httpFailure) {
	req.errCode, req.reason = failureCode(f), f.message
	if f.status == http.StatusInternalServerError {
		a.log.LogAttrs(req.r.Context(), slog.LevelError, "vault internal error",
			slog.String("path", req.r.URL.Path))
	}
	writeJSON(req.w, f.status, f.body())
}

func (a *API) failErr(req *request, err error) {
	if clientGone(req.r, err) {
		// The client cancelled (or hung up): nothing to answer, and no
		// server fault to report.
		a.log.LogAttrs(req.r.Context(), slog.LevelDebug, "vault request cancelled",
			slog.String("path", req.r.URL.Path))
		if rec, ok := req.w.(*statusRecorder); ok {
			rec.status = statusClientGone
		}
		return
	}
	var re *ruleError
	if !errors.As(err, &re) {
		// Store errors may name internals but never carry values.
		a.log.LogAttrs(req.r.Context(), slog.LevelError, "vault store error",
			slog.String("path", req.r.URL.Path), slog.String("error", err.Error()))
	}
	f := failureOf(err, req.view.base)
	req.errCode, req.reason = failureCode(f), f.message
	writeJSON(req.w, f.status, f.body())
}

// clientGone reports whether err is the request's own context ending:
// the client went away, which is not a fault of the server.
func clientGone(r *http.Request, err error) bool {
	return r.Context().Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}

// unconfirmed: the service's wording for a body that is not valid JSON.
const msgBadJSON = "The request body is not valid JSON."

// readBody decodes a JSON body of at most limit bytes into v, refusing
// oversized bodies (413) before reading them and malformed JSON (400).
func (a *API) readBody(req *request, v any, limit int64) bool {
	if req.r.ContentLength > limit {
		a.fail(req, tooLarge(limit))
		return false
	}
	data, err := io.ReadAll(io.LimitReader(req.r.Body, limit+1))
	if err != nil && req.r.Context().Err() != nil {
		a.failErr(req, req.r.Context().Err())
		return false
	}
	if err != nil {
		a.fail(req, badParameter(msgBadJSON))
		return false
	}
	if int64(len(data)) > limit {
		a.fail(req, tooLarge(limit))
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		if !utf8.Valid(data) {
			a.fail(req, badParameter(msgBadUTF8))
		} else {
			a.fail(req, badParameter(msgBadJSON))
		}
		return false
	}
	if !validJSONText(data) {
		a.fail(req, badParameter(msgBadUTF8))
		return false
	}
	return true
}

// unconfirmed: code and wording for an oversized request body.
func tooLarge(limit int64) httpFailure {
	return httpFailure{status: http.StatusRequestEntityTooLarge, code: "RequestEntityTooLarge",
		message: fmt.Sprintf("The request body exceeds the maximum of %d bytes.", limit)}
}
