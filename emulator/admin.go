package emulator

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/secretkit/secretkit/emulator/identity"
)

// adminHandler serves /_emulator/ on the identity listener only: the vault
// API never exposes these, so a client of the vault cannot move the clock.
//
//	GET  /_emulator/health                 200 {"status":"ok"} once serving
//	GET  /_emulator/clock                  {"now":unix,"offsetSeconds":n}
//	POST /_emulator/clock/advance?by=48h   moves the clock forward (Go duration, or "by" in a JSON body)
//	POST /_emulator/reset                  drops all state and re-seeds the config's secrets
//	GET  /_emulator/env[?flavour=F]        the client environment as JSON, or KEY=VALUE lines for Accept: text/plain
//	GET  /_emulator/ca.pem                 the CA certificate clients must trust (PEM)
//	POST /_emulator/federated-token?identity=NAME   a workload-identity client assertion
//	GET  /_emulator/identities             the identity table (see Server.Identities)
//	GET  /_emulator/faults                 the fault-injection rules in force
//	POST /_emulator/faults                 {"faults":[{"operation":"get","status":503,"retryAfter":1,"count":2}]} replaces them
//	DELETE /_emulator/faults               removes them
//
// Every route but health (and the CA certificate) needs the header
// AdminHeader: 1 and refuses an Origin other than the listener's own (see
// guardAdmin).
//
// A known route asked with another method gets 405 with an Allow header.
func (s *Server) adminHandler() http.Handler {
	return s.guardAdmin(s.adminRoutes())
}

// AdminHeader must be sent (with the value "1") on every /_emulator/ route
// but GET /_emulator/health. A web page cannot make a browser send a custom
// header cross-site without a CORS preflight, which the emulator never
// grants, so a page the developer visits cannot reset state or move the
// clock.
const AdminHeader = "X-Emulator-Admin"

// msgAdminRefused names what a refused admin request lacks.
const msgAdminRefused = "admin routes need the header " + AdminHeader + ": 1 and no cross-site Origin; refused so that a web page cannot drive the emulator"

// guardAdmin refuses admin requests a browser could send cross-site and
// logs every admin request at info (refusals at warn). Health and the CA
// certificate stay open: container health probes and CA downloads send
// no custom header, and both are public and change nothing.
func (s *Server) guardAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && (r.URL.Path == "/_emulator/health" || r.URL.Path == "/_emulator/ca.pem") {
			next.ServeHTTP(w, r)
			return
		}
		origin := r.Header.Get("Origin")
		if r.Header.Get(AdminHeader) != "1" || (origin != "" && !sameOrigin(origin, r.Host)) {
			s.logger.LogAttrs(r.Context(), slog.LevelWarn, "admin request refused",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("origin", origin), slog.String("remote", r.RemoteAddr))
			adminError(w, http.StatusForbidden, msgAdminRefused)
			return
		}
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		// The query names durations and identities, never secrets.
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "admin request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.String("query", r.URL.RawQuery),
			slog.String("remote", r.RemoteAddr))
	})
}

// sameOrigin reports whether an Origin header names the host the request
// was sent to (the emulator's own pages, if it ever serves any).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}

func (s *Server) adminRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_emulator/identities", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Identities())
	})
	mux.HandleFunc("GET /_emulator/health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /_emulator/clock", func(w http.ResponseWriter, r *http.Request) {
		s.writeClock(w)
	})
	mux.HandleFunc("POST /_emulator/clock/advance", func(w http.ResponseWriter, r *http.Request) {
		by := r.URL.Query().Get("by")
		if by == "" && r.Body != nil {
			var body struct {
				By string `json:"by"`
			}
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil {
				adminError(w, http.StatusBadRequest, `body must be {"by":"<duration>"} or use ?by=<duration>`)
				return
			}
			by = body.By
		}
		d, err := time.ParseDuration(by)
		if err != nil || d <= 0 {
			adminError(w, http.StatusBadRequest, "by must be a positive Go duration such as 90m or 2160h")
			return
		}
		s.Advance(r.Context(), d)
		s.writeClock(w)
	})
	mux.HandleFunc("POST /_emulator/reset", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Reset(r.Context()); err != nil {
			s.logger.Error("reset failed", "err", err)
			adminError(w, http.StatusInternalServerError, "reset failed: "+err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_emulator/env", func(w http.ResponseWriter, r *http.Request) {
		flavour := identity.AppService
		if name := r.URL.Query().Get("flavour"); name != "" {
			f, err := identity.ParseFlavour(name)
			if err != nil {
				adminError(w, http.StatusBadRequest, err.Error())
				return
			}
			flavour = f
		}
		if flavour == identity.Workload {
			// The lines name the federated token file: make it exist.
			if _, err := s.WriteWorkloadTokenFile(); err != nil {
				s.logger.Error("federated token file not written", "err", err)
				adminError(w, http.StatusInternalServerError, "federated token file not written: "+err.Error())
				return
			}
		}
		lines, err := s.Env(flavour)
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		if strings.HasPrefix(r.Header.Get("Accept"), "text/plain") {
			// In order, as cmd/emulator prints them: "emulator env" reads this.
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Write([]byte(lines.String()))
			return
		}
		env := map[string]string{}
		for _, kv := range lines {
			env[kv.Key] = kv.Value
		}
		writeJSON(w, http.StatusOK, env)
	})
	// The CA certificate, for clients that cannot read the TLS directory
	// (another machine, a container's volume, macOS or Windows where Go
	// ignores SSL_CERT_FILE and the system trust store needs the file).
	mux.HandleFunc("GET /_emulator/ca.pem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Header().Set("Content-Disposition", `attachment; filename="secretkit-emulator-ca.pem"`)
		w.Write(s.authority.CAPEM)
	})
	mux.HandleFunc("POST /_emulator/federated-token", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("identity")
		tok, err := s.endpoints.FederatedToken(name)
		if err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte(tok))
	})
	s.handleFaults(mux)
	mux.HandleFunc("/_emulator/", func(w http.ResponseWriter, r *http.Request) {
		if allow := adminMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			adminError(w, http.StatusMethodNotAllowed, r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(allow, " or "))
			return
		}
		adminError(w, http.StatusNotFound, "no admin route "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// adminMethods lists the methods mux serves r's path with (HEAD aside),
// found by asking it: the catch-all answers every other method, so the
// mux's own 405 never fires.
func adminMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/_emulator/" {
			allow = append(allow, m)
		}
	}
	return allow
}

func (s *Server) writeClock(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]int64{
		"now":           s.clock.Now().Unix(),
		"offsetSeconds": int64(s.clock.Offset() / time.Second),
	})
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
