package vault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/secretkit/secretkit/emulator/clock"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/vault"
)

// fuzzValue is the value of the secret every fuzzed request finds stored;
// no error answer may carry it unless the request itself does.
const fuzzValue = "fuzz-seeded-value-Zq81"

// snapshot is every record of every vault in s.
func snapshot(t *testing.T, s store.Store) map[string][]store.Record {
	t.Helper()
	ctx := context.Background()
	vaults, err := s.Vaults(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]store.Record{}
	for _, v := range vaults {
		recs, err := s.List(ctx, v, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		out[v] = recs
	}
	return out
}

// parseHeaders reads "Name: value" lines; lines without a colon are ignored.
func parseHeaders(raw string) http.Header {
	h := http.Header{}
	for line := range strings.SplitSeq(raw, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return h
}

// FuzzVaultHandler sends arbitrary requests (method, request target, Host,
// headers, body) through the vault handler in-process, over a store holding
// one secret. Whatever the request, the handler does not panic, every 4xx
// or 5xx answer is Key Vault's error JSON with a code and a message and
// without the stored value, and a refused request leaves the store as it
// was.
func FuzzVaultHandler(f *testing.F) {
	type seed struct{ method, target, host, headers, body string }
	for _, s := range []seed{
		{"GET", "/secrets/db?api-version=7.6", "", "", ""},
		{"GET", "/secrets/db/?api-version=7.6", "kv1.vault.azure.net", "", ""},
		{"PUT", "/secrets/db?api-version=7.6", "", "Content-Type: application/json", `{"value":"x","tags":{"a":"b"},"attributes":{"enabled":false,"exp":1}}`},
		{"PUT", "/secrets/bad_name?api-version=7.6", "", "", `{"value":"x"}`},
		{"PUT", "/secrets/db?api-version=7.6", "", "", `{"value":"x","tags":{"` + strings.Repeat("k", 600) + `":"v"}}`},
		{"PUT", "/secrets/db?api-version=7.6", "", "", `{"value":"x","contentType":"` + strings.Repeat("c", 300) + `"}`},
		{"PUT", "/secrets/db?api-version=7.6", "", "", `{"value":"x","attributes":{"nbf":99999999999999}}`},
		{"PUT", "/secrets/db?api-version=7.6", "", "", `{"value":"\xff\xfe"}`},
		{"PUT", "/secrets/db?api-version=7.6", "", "", `{"value":`},
		{"PATCH", "/secrets/db/?api-version=7.6", "", "", `{"contentType":"t","attributes":{"enabled":false}}`},
		{"PATCH", "/secrets/db/00000000000000000000000000000000?api-version=7.6", "", "", `{}`},
		{"DELETE", "/secrets/db?api-version=7.6", "", "", ""},
		{"GET", "/deletedsecrets?api-version=7.6&maxresults=1", "", "", ""},
		{"GET", "/deletedsecrets/db?api-version=7.6", "", "", ""},
		{"DELETE", "/deletedsecrets/db?api-version=7.6", "", "", ""},
		{"POST", "/deletedsecrets/db/recover?api-version=7.6", "", "", ""},
		{"POST", "/secrets/db/backup?api-version=7.6", "", "", ""},
		{"POST", "/secrets/restore?api-version=7.6", "", "", `{"value":"AAAA"}`},
		{"POST", "/secrets/restore?api-version=7.6", "", "", `{"value":"not base64 !"}`},
		{"GET", "/secrets?api-version=7.6&maxresults=0", "", "", ""},
		{"GET", "/secrets?api-version=7.6&maxresults=26&$skiptoken=zz", "", "", ""},
		{"GET", "/secrets/db/versions?api-version=7.6&$skiptoken=%zz", "", "", ""},
		{"GET", "/secrets/db?api-version=7.6&api-version=bogus", "", "", ""},
		{"GET", "/secrets/db", "", "", ""},
		{"GET", "/secrets/db?api-version=7.6", "", "Authorization: Basic dXNlcjpwdw==", ""},
		{"GET", "/secrets/db?api-version=7.6", "", "Authorization: Bearer", ""},
		{"GET", "/secrets/db?api-version=7.6", "a_b.vault.azure.net", "", ""},
		{"GET", "/secrets/db?api-version=7.6", "[::1]:99999", "", ""},
		{"BREW", "/secrets/db?api-version=7.6", "", "", ""},
		{"GET", "/secrets/db%2Fx?api-version=7.6", "", "", ""},
		{"GET", "/secrets/%00?api-version=7.6", "", "", ""},
		{"GET", "//secrets/db?api-version=7.6", "", "", ""},
		{"GET", "*", "", "", ""},
		{"PUT", "/secrets/db?api-version=7.6", "", "Content-Length: 99999999", `{"value":"x"}`},
	} {
		f.Add(s.method, s.target, s.host, s.headers, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, target, host, headers string, body []byte) {
		u, err := url.ParseRequestURI(target)
		if err != nil || method == "" || strings.ContainsAny(method, " \t\r\n") {
			return // net/http refuses these before any handler sees them
		}
		st := store.NewMemory()
		api, err := vault.New(vault.Options{Store: st, Clock: clock.NewFixed(epoch),
			Vaults: []vault.Settings{{Name: "main"}, {Name: "kv1", PurgeProtection: true}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"main", "kv1"} {
			if err := api.Seed(context.Background(), v, []vault.SeedSecret{{Name: "db", Value: fuzzValue}}); err != nil {
				t.Fatal(err)
			}
		}
		before := snapshot(t, st)

		h := parseHeaders(headers)
		if _, ok := h["Authorization"]; !ok {
			h.Set("Authorization", "Bearer fuzz-token")
		}
		if host == "" {
			host = "localhost:8443"
		}
		r := &http.Request{Method: method, URL: u, RequestURI: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: h, Host: host, Body: http.NoBody, RemoteAddr: "192.0.2.1:1234"}
		if len(body) > 0 {
			r.Body = httpBody(body)
			r.ContentLength = int64(len(body))
		}
		r = r.WithContext(t.Context())
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)

		status := w.Code
		if status < 100 || status > 599 {
			t.Fatalf("status %d", status)
		}
		if status < 400 {
			return
		}
		got := w.Body.Bytes()
		var e struct {
			Error *struct {
				Code       string `json:"code"`
				Message    string `json:"message"`
				InnerError *struct {
					Code string `json:"code"`
				} `json:"innererror"`
			} `json:"error"`
		}
		dec := json.NewDecoder(bytes.NewReader(got))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil || e.Error == nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s %q: %d answer is not Key Vault's error shape: %q (%v)", method, target, status, got, err)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%d answer has Content-Type %q", status, ct)
		}
		request := method + target + host + headers + string(body)
		if bytes.Contains(got, []byte(fuzzValue)) && !strings.Contains(request, fuzzValue) {
			t.Fatalf("error answer carries the stored value: %s", got)
		}
		if diff := cmp.Diff(before, snapshot(t, st)); diff != "" {
			t.Fatalf("%s %q refused with %d changed the store (-before +after):\n%s", method, target, status, diff)
		}
	})
}

func httpBody(b []byte) *bodyReader { return &bodyReader{Reader: bytes.NewReader(b)} }

type bodyReader struct{ *bytes.Reader }

func (*bodyReader) Close() error { return nil }

// FuzzVaultServesStoredRecords stores whatever record a data file could
// hold (any JSON the store's decoder accepts) and sends every operation on
// it through the handler: no record makes the handler panic, and every
// answer is JSON, Key Vault's error shape when it is an error.
func FuzzVaultServesStoredRecords(f *testing.F) {
	for _, seed := range []string{
		`{"name":"db","versions":[{"id":"0123456789abcdef0123456789abcdef","value":"v","enabled":true,"created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z"}]}`,
		`{"name":"db","versions":[]}`, `{"name":"db"}`, `{"name":""}`, `{"name":"other-name","versions":[{}]}`,
		`{"name":"db","versions":[{"id":"","value":"v","enabled":true}]}`,
		`{"name":"db","versions":[{"id":"a","enabled":true},{"id":"a","enabled":false}]}`,
		`{"name":"db","versions":[{"id":"a","nbf":"9999-12-31T23:59:59Z","exp":"0001-01-01T00:00:00Z","enabled":true}]}`,
		`{"name":"db","versions":[{"id":"a","enabled":true}],"deleted":{"deletedAt":"0001-01-01T00:00:00Z","scheduledPurge":"0001-01-01T00:00:00Z"}}`,
		`{"name":"db","versions":[{"id":"a","enabled":true}],"deleted":{}}`,
		`{"name":"DB","versions":[{"id":"a","tags":{"":""},"contentType":"\u0000","enabled":true}]}`,
	} {
		f.Add([]byte(seed))
	}
	ops := []struct{ method, target, body string }{
		{"GET", "/secrets/db?api-version=7.6", ""},
		{"GET", "/secrets/db/a?api-version=7.6", ""},
		{"GET", "/secrets/db/versions?api-version=7.6&maxresults=1", ""},
		{"GET", "/secrets?api-version=7.6&maxresults=1", ""},
		{"GET", "/deletedsecrets?api-version=7.6", ""},
		{"GET", "/deletedsecrets/db?api-version=7.6", ""},
		{"PATCH", "/secrets/db/a?api-version=7.6", `{"tags":{"k":"v"}}`},
		{"POST", "/secrets/db/backup?api-version=7.6", ""},
		{"POST", "/deletedsecrets/db/recover?api-version=7.6", ""},
		{"PUT", "/secrets/db?api-version=7.6", `{"value":"new"}`},
		{"DELETE", "/secrets/db?api-version=7.6", ""},
		{"DELETE", "/deletedsecrets/db?api-version=7.6", ""},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rec store.Record
		if json.Unmarshal(data, &rec) != nil {
			return // the store refuses it as corrupt (FuzzDecodeRecord)
		}
		st := store.NewMemory()
		if _, _, err := st.Update(context.Background(), "main", "db", func(store.Record, bool) (*store.Record, error) {
			return &rec, nil
		}); err != nil {
			return
		}
		api, err := vault.New(vault.Options{Store: st, Clock: clock.NewFixed(epoch), Vaults: []vault.Settings{{Name: "main"}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			r := httptest.NewRequestWithContext(t.Context(), op.method, op.target, strings.NewReader(op.body))
			r.Host = "localhost:8443"
			r.Header.Set("Authorization", "Bearer fuzz-token")
			w := httptest.NewRecorder()
			api.ServeHTTP(w, r)
			var answer map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil && w.Code != http.StatusNoContent && w.Body.Len() > 0 {
				t.Fatalf("%s %s over %s: %d answer is not JSON: %q", op.method, op.target, data, w.Code, w.Body.Bytes())
			}
			if w.Code >= 400 {
				e, _ := answer["error"].(map[string]any)
				if code, _ := e["code"].(string); code == "" {
					t.Fatalf("%s %s over %s: %d answer is not Key Vault's error shape: %s", op.method, op.target, data, w.Code, w.Body.Bytes())
				}
			}
		}
	})
}
