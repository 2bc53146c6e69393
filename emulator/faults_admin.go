package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/secretkit/secretkit/emulator/faults"
	"github.com/secretkit/secretkit/kv"
)

// identityQueryKeys are the query parameters the token endpoints' flavours
// name an identity by.
var identityQueryKeys = []string{"client_id", "clientid", "object_id", "principal_id", "mi_res_id", "msi_res_id", "resource_id"}

// identityFaults injects the fault rules that target identity requests
// into the token endpoints. A rule's identity matches the identity's
// name or any of its ids, however the request's query names it. A
// managed-identity request naming none asks for the system identity
// (unnamedIsSystem); an Entra authority request names its client in the
// form body, if at all, so it never stands for the system identity.
func (s *Server) identityFaults(next http.Handler, unnamedIsSystem bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Which identity a request names is worked out only while rules
		// are in force: this runs on every identity request.
		if s.faults.Active() {
			req := faults.Request{Target: faults.Identity, Identities: s.requestedIdentity(r, unnamedIsSystem)}
			if s.faults.Apply(w, r, req, identityFaultBody) {
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) requestedIdentity(r *http.Request, unnamedIsSystem bool) []string {
	q := r.URL.Query()
	var named []string
	for _, k := range identityQueryKeys {
		if v := q.Get(k); v != "" {
			named = append(named, v)
		}
	}
	for _, id := range s.cfg.Identities {
		ids := []string{id.Name, id.ClientID, id.ObjectID, id.ResourceID}
		names := func(n string) bool {
			return slices.ContainsFunc(ids, func(v string) bool { return v != "" && strings.EqualFold(n, v) })
		}
		if len(named) == 0 && unnamedIsSystem && id.Kind == kv.KindSystem || slices.ContainsFunc(named, names) {
			return append(named, ids...)
		}
	}
	return named
}

// identityFaultBody is an injected failure in the token endpoints' OAuth
// error shape.
func identityFaultBody(status int) any {
	code := "server_error"
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		code = "temporarily_unavailable"
	}
	return map[string]string{"error": code, "error_description": "injected fault"}
}

// faultsBody is the admin route's JSON: the rules in force.
type faultsBody struct {
	Faults []faults.Rule `json:"faults"`
}

// maxFaultsBody bounds POST /_emulator/faults.
const maxFaultsBody = 64 << 10

func (s *Server) handleFaults(mux *http.ServeMux) {
	mux.HandleFunc("GET /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, faultsBody{Faults: s.faults.Rules()})
	})
	mux.HandleFunc("POST /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		var body faultsBody
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxFaultsBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			adminError(w, http.StatusBadRequest, `body must be {"faults":[{...}]}: `+err.Error())
			return
		}
		if err := s.faults.Replace(body.Faults); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, faultsBody{Faults: s.faults.Rules()})
	})
	mux.HandleFunc("DELETE /_emulator/faults", func(w http.ResponseWriter, r *http.Request) {
		s.faults.Replace(nil)
		w.WriteHeader(http.StatusNoContent)
	})
}

// Faults is the fault-injection rules in force (the config's faults, or
// what POST /_emulator/faults put in force).
func (s *Server) Faults() *faults.Set { return s.faults }
