package vault_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
	"github.com/secretkit/secretkit/emulator/clock"
	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/vault"
)

// staticToken is the one stand-in these tests use: until the identity
// work is wired, the API accepts any bearer token when Authenticator is nil.
type staticToken struct{}

func (staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: "test-token", ExpiresOn: time.Now().Add(time.Hour)}, nil
}

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

type fixture struct {
	api    *vault.API
	srv    *httptest.Server
	client *azsecrets.Client
	clock  *clock.Adjustable
	store  store.Store
}

// start runs the API on a TLS test server with a memory store and a fixed
// clock (unless opts sets them) and a real azsecrets client for it.
func start(t testing.TB, opts vault.Options) *fixture {
	t.Helper()
	f := &fixture{clock: clock.NewFixed(epoch)}
	if opts.Store == nil {
		opts.Store = store.NewMemory()
	}
	if opts.Clock == nil {
		opts.Clock = f.clock
	}
	f.store = opts.Store
	api, err := vault.New(opts)
	if err != nil {
		t.Fatalf("vault.New: %v", err)
	}
	f.api = api
	f.srv = httptest.NewTLSServer(api)
	t.Cleanup(f.srv.Close)
	f.client = f.newClient(t, f.srv.URL, f.srv.Client(), true)
	return f
}

func (f *fixture) newClient(t testing.TB, vaultURL string, hc *http.Client, disableVerify bool) *azsecrets.Client {
	t.Helper()
	c, err := azsecrets.NewClient(vaultURL, staticToken{}, &azsecrets.ClientOptions{
		ClientOptions:                        azcore.ClientOptions{Transport: hc, Retry: policy.RetryOptions{MaxRetries: -1}},
		DisableChallengeResourceVerification: disableVerify,
	})
	if err != nil {
		t.Fatalf("azsecrets.NewClient: %v", err)
	}
	return c
}

// hostClient returns an HTTP client that sends every connection to the
// test server whatever host the URL names, verifying the server's
// certificate as the name it was issued for.
func (f *fixture) hostClient() *http.Client {
	tr := f.srv.Client().Transport.(*http.Transport).Clone()
	addr := f.srv.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	tr.TLSClientConfig = tr.TLSClientConfig.Clone()
	tr.TLSClientConfig.ServerName = "example.com" // in httptest's certificate
	return &http.Client{Transport: tr}
}

// rawResponse is a decoded raw HTTP answer.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r rawResponse) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response body %q is not JSON: %v", r.body, err)
	}
	return m
}

// raw sends one request to the test server with a bearer token unless
// header overrides Authorization; host, when set, is the Host header.
func (f *fixture) raw(t testing.TB, method, host, pathAndQuery string, body string, header map[string]string) rawResponse {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.srv.URL+pathAndQuery, rd)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	req.Header.Set("Authorization", "Bearer test-token")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: data}
}

// wantError checks a raw error response: status, code and innererror code
// ("" = no innererror), and returns the message.
func wantError(t testing.TB, r rawResponse, status int, code, inner string) string {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	return checkErrorBody(t, r.body, code, inner)
}

func checkErrorBody(t testing.TB, body []byte, code, inner string) string {
	t.Helper()
	var e struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError *struct {
				Code string `json:"code"`
			} `json:"innererror"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if e.Error.Code != code {
		t.Errorf("error.code = %q, want %q (body %s)", e.Error.Code, code, body)
	}
	gotInner := ""
	if e.Error.InnerError != nil {
		gotInner = e.Error.InnerError.Code
	}
	if gotInner != inner {
		t.Errorf("error.innererror.code = %q, want %q (body %s)", gotInner, inner, body)
	}
	if e.Error.Message == "" {
		t.Errorf("error.message is empty (body %s)", body)
	}
	return e.Error.Message
}

// wantSDKError checks an error returned by the azsecrets client the same
// way and returns the message.
func wantSDKError(t testing.TB, err error, status int, code, inner string) string {
	t.Helper()
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v, want *azcore.ResponseError %d %s", err, status, code)
	}
	if re.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("got %d %s, want %d %s", re.StatusCode, re.ErrorCode, status, code)
	}
	body, rerr := io.ReadAll(re.RawResponse.Body)
	if rerr != nil {
		t.Fatal(rerr)
	}
	re.RawResponse.Body = io.NopCloser(bytes.NewReader(body))
	return checkErrorBody(t, body, code, inner)
}

func ptr[T any](v T) *T { return &v }
