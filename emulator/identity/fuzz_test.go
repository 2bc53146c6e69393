package identity

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/clock"
	"github.com/secretkit/secretkit/emulator/token"
)

const fuzzSecret = "fuzz-header-secret-9Qx"

// FuzzEndpoints sends arbitrary requests to both identity handlers: query
// strings, headers, forms and client assertions built around genuine ones
// ({secret} is the header secret, {assert1} and {assert2} are federated
// tokens for app1 and app2, {app1} and {app2} their client ids). Whatever
// arrives, no handler panics, every answer of ours is JSON with an OAuth
// error code when it refuses, no answer carries the header secret, and a
// token is handed out only to a caller that proved what the flavour asks:
// the header secret, the Metadata header, or a federated assertion of the
// very identity it names.
func FuzzEndpoints(f *testing.F) {
	imds := "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net"
	form := "grant_type=client_credentials&client_id={app1}&scope=https%3A%2F%2Fvault.azure.net%2F.default" +
		"&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion="
	type seed struct {
		https                   bool
		method, target, headers string
		body                    string
	}
	for _, s := range []seed{
		{false, "GET", imds, "Metadata: true", ""},
		{false, "GET", imds + "&client_id={app1}", "Metadata: true", ""},
		{false, "GET", imds + "&object_id=0b1d0f7e-0000-4000-8000-0000000000b2&mi_res_id=x", "Metadata: true", ""},
		{false, "GET", imds + "&msi_res_id=%2Fsubscriptions%2F0000", "Metadata: true\nX-Forwarded-For: 10.0.0.1", ""},
		{false, "GET", imds, "", ""},
		{false, "POST", imds, "Metadata: true", ""},
		{false, "GET", "/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=%zz", "Metadata: true", ""},
		{false, "GET", "/msi/token?api-version=2019-08-01&resource=https://vault.azure.net", "X-IDENTITY-HEADER: {secret}", ""},
		{false, "GET", "/msi/token?api-version=2019-08-01&resource=https://vault.azure.net&client_id={app2}", "X-IDENTITY-HEADER: wrong", ""},
		{false, "POST", "/cloudshell/token", "Metadata: true\nContent-Type: application/x-www-form-urlencoded", "resource=https://vault.azure.net"},
		{false, "POST", "/cloudshell/token", "Metadata: true\nContent-Type: application/x-www-form-urlencoded", "resource=%zz&"},
		{false, "GET", "/azureml/token?api-version=2017-09-01&resource=https://vault.azure.net&clientid={app1}", "secret: {secret}", ""},
		{false, "GET", "/arc/token?api-version=2020-06-01&resource=https://vault.azure.net", "Metadata: true", ""},
		{false, "GET", "/arc/token?api-version=2020-06-01&resource=x", "Metadata: true\nAuthorization: Basic nothing", ""},
		{true, "GET", "/servicefabric/token?api-version=2019-07-01-preview&resource=https://vault.azure.net", "Secret: {secret}", ""},
		{true, "GET", "/" + tenant + "/v2.0/.well-known/openid-configuration", "", ""},
		{true, "GET", "/" + tenant + "/discovery/v2.0/keys", "", ""},
		{true, "GET", "/common/discovery/instance?api-version=1.1&authorization_endpoint=https://x/y", "", ""},
		{true, "POST", "/" + tenant + "/oauth2/v2.0/token", "Content-Type: application/x-www-form-urlencoded", form + "{assert1}"},
		{true, "POST", "/" + tenant + "/oauth2/v2.0/token", "Content-Type: application/x-www-form-urlencoded", strings.Replace(form, "{app1}", "{app2}", 1) + "{assert1}"},
		{true, "POST", "/" + tenant + "/oauth2/v2.0/token", "Content-Type: application/x-www-form-urlencoded", form + "{assert1}x"},
		{true, "POST", "/" + tenant + "/oauth2/v2.0/token", "Content-Type: application/x-www-form-urlencoded", form + "a.b.c"},
		{true, "POST", "/" + tenant + "/oauth2/v2.0/token", "Content-Type: application/x-www-form-urlencoded", form + "{assert1}&client_secret=s"},
		{true, "POST", "/" + tenant + "/oauth2/v2.0/token", "Content-Type: application/x-www-form-urlencoded", "grant_type=password&scope=x%0Ay"},
		{true, "POST", "/" + tenant + "/oauth2/v2.0/token", "Content-Type: multipart/form-data; boundary=x", "--x\r\n"},
		{true, "POST", "/other/oauth2/v2.0/token", "Content-Type: application/x-www-form-urlencoded", form + "{assert1}"},
		{true, "POST", "/organizations/oauth2/v2.0/token", "", ""},
	} {
		f.Add(s.https, s.method, s.target, s.headers, []byte(s.body))
	}
	key, err := token.LoadOrCreateKey(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	clk := clock.NewFixed(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC))
	e, err := New(Options{
		Logger:     slog.New(slog.DiscardHandler),
		Identities: []Identity{vm, app1, app2},
		Issuer:     &token.Issuer{Key: key, Tenant: tenant, Clock: clk, Lifetime: time.Hour},
		Tenant:     tenant,
		Secret:     fuzzSecret,
		ArcKeyDir:  f.TempDir(),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = e.Close() })
	assert1, err := e.FederatedToken(app1.Name)
	if err != nil {
		f.Fatal(err)
	}
	assert2, err := e.FederatedToken(app2.Name)
	if err != nil {
		f.Fatal(err)
	}
	assertionOf := map[string]string{assert1: app1.ObjectID, assert2: app2.ObjectID}
	expand := strings.NewReplacer("{secret}", fuzzSecret, "{assert1}", assert1, "{assert2}", assert2,
		"{app1}", app1.ClientID, "{app2}", app2.ClientID).Replace
	objectIDs := map[string]bool{vm.ObjectID: true, app1.ObjectID: true, app2.ObjectID: true}
	httpH, httpsH := e.HTTPHandler(), e.HTTPSHandler()

	f.Fuzz(func(t *testing.T, https bool, method, target, headers string, body []byte) {
		target, headers, body = expand(target), expand(headers), []byte(expand(string(body)))
		u, err := url.ParseRequestURI(target)
		if err != nil || method == "" || strings.ContainsAny(method, " \t\r\n") {
			return // net/http refuses these before any handler sees them
		}
		h := http.Header{}
		for line := range strings.SplitSeq(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
			}
		}
		r := &http.Request{Method: method, URL: u, RequestURI: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: h, Host: "localhost:8443", Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
			RemoteAddr: "127.0.0.1:5555"}
		r = r.WithContext(t.Context())
		w := httptest.NewRecorder()
		handler := httpH
		if https {
			handler = httpsH
		}
		handler.ServeHTTP(w, r)

		got := w.Body.String()
		// The mux's redirect to a cleaned path repeats the path the client
		// sent, secret and all (seed 1aa3f7662536c18b): nothing the client
		// did not already have.
		echoedPath := w.Code/100 == 3 && strings.Contains(target, fuzzSecret)
		if strings.Contains(got, fuzzSecret) && !echoedPath {
			t.Fatalf("answer carries the header secret: %s", got)
		}
		if !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			// Only the mux itself answers otherwise: no route, a method the
			// route does not take, a redirect to the cleaned path, or the
			// request target "*".
			switch {
			case target == "*" && w.Code == http.StatusBadRequest:
			case w.Code == http.StatusNotFound, w.Code == http.StatusMethodNotAllowed, w.Code == http.StatusMovedPermanently,
				w.Code == http.StatusTemporaryRedirect, w.Code == http.StatusPermanentRedirect:
			default:
				t.Fatalf("%d answer with Content-Type %q: %q", w.Code, w.Header().Get("Content-Type"), got)
			}
			return
		}
		var answer map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil {
			t.Fatalf("%d answer is not a JSON object: %q", w.Code, got)
		}
		if w.Code >= 400 {
			if code, _ := answer["error"].(string); code == "" || strings.Contains(got, "eyJ") {
				t.Fatalf("%d refusal without an OAuth error code, or with a token: %s", w.Code, got)
			}
			return
		}
		raw, _ := answer["access_token"].(string)
		if raw == "" {
			return // discovery documents
		}
		payload, err := key.Verify(raw)
		if err != nil {
			t.Fatalf("issued a token the emulator's key does not verify: %v", err)
		}
		var claims struct{ Oid string }
		if err := json.Unmarshal(payload, &claims); err != nil || !objectIDs[claims.Oid] {
			t.Fatalf("issued a token for no configured identity: %s", payload)
		}
		switch {
		case https && strings.Contains(u.Path, "/oauth2/"):
			form, _ := url.ParseQuery(string(body))
			if oid, ok := assertionOf[form.Get("client_assertion")]; !ok || oid != claims.Oid {
				t.Fatalf("Entra issued a token for %s without that identity's assertion: %s", claims.Oid, body)
			}
		case u.Path == pathIMDS || u.Path == pathIMDS+"/" || u.Path == pathCloudShell:
			if !hasMetadataHeader(r) {
				t.Fatalf("%s issued a token without the Metadata header", u.Path)
			}
		default:
			if !strings.Contains(headers, fuzzSecret) {
				t.Fatalf("%s issued a token without the header secret", u.Path)
			}
		}
	})
}
