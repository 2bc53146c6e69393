package azurekv_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/provider"
	"github.com/secretkit/secretkit/provider/providertest"
)

// front is a TLS reverse proxy in front of the emulator's default vault
// that fails requests on purpose, by the secret name's prefix, because
// the emulator itself never throttles or breaks:
//
//	status-NNN-...  answers NNN with a Key Vault error body
//	hang-...        answers nothing until the client gives up
//	flaky-...       answers 503 to the first request, then passes through
//	slow-...        passes through after 30 ms, counting requests in flight
//	noversions-...  answers an empty page (a service may list no versions
//	                for a missing secret instead of answering 404)
//
// Everything else, including the authentication challenge, passes through.
type front struct {
	srv         *httptest.Server
	inFlight    atomic.Int32
	maxInFlight atomic.Int32
	flakyFailed atomic.Bool
}

func newFront(t *testing.T, f *fixture) *front {
	t.Helper()
	target, err := url.Parse(f.e.VaultURL)
	if err != nil {
		t.Fatal(err)
	}
	toEmulator := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.e.CAPool}}
	// Parallel requests can leave a dialled connection unused; the
	// emulator's graceful shutdown waits 5 s for such a connection unless
	// the client closes it first.
	t.Cleanup(toEmulator.CloseIdleConnections)
	proxy := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport: toEmulator,
	}
	fr := &front{}
	fr.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/secrets/"), "/")
		switch {
		case strings.HasPrefix(name, "status-"):
			var status int
			fmt.Sscanf(name, "status-%d", &status)
			code := map[int]string{429: "Throttled"}[status]
			if code == "" {
				code = http.StatusText(status)
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"code":%q,"message":"injected"}}`, code)
			return
		case strings.HasPrefix(name, "noversions-"):
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			fmt.Fprint(w, `{"value":[],"nextLink":null}`)
			return
		case strings.HasPrefix(name, "hang-"):
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		case strings.HasPrefix(name, "flaky-") && !fr.flakyFailed.Swap(true):
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		case strings.HasPrefix(name, "slow-"):
			n := fr.inFlight.Add(1)
			defer fr.inFlight.Add(-1)
			for {
				m := fr.maxInFlight.Load()
				if n <= m || fr.maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(30 * time.Millisecond)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(fr.srv.Close)
	return fr
}

// provider reaches the front by its loopback address, trusting its
// certificate through Options.RootCAs.
func (fr *front) provider(t *testing.T, f *fixture, opts azurekv.Options) *azurekv.Provider {
	t.Helper()
	opts.RootCAs = fr.srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	opts.DisableChallengeResourceVerification = true
	p, err := azurekv.New(fr.srv.URL+"/", f.systemCred, &opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var noRetries = azcore.ClientOptions{Retry: policy.RetryOptions{MaxRetries: -1}}

func TestUnavailable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fr := newFront(t, f)
	ctx := context.Background()
	p := fr.provider(t, f, azurekv.Options{ClientOptions: noRetries})

	for _, tc := range []struct {
		status int
		code   string
	}{{429, "Throttled"}, {500, "Internal Server Error"}, {502, "Bad Gateway"}, {503, "Service Unavailable"}, {504, "Gateway Timeout"}, {408, "Request Timeout"}} {
		name := fmt.Sprintf("status-%d-x", tc.status)
		_, err := p.GetSecret(ctx, name, "")
		wantError(t, err, "get", name, provider.ErrUnavailable, tc.status, tc.code)
	}
	for _, err := range (fr.provider(t, f, azurekv.Options{ClientOptions: noRetries})).ListSecretVersions(ctx, "status-503-list") {
		wantError(t, err, "listversions", "status-503-list", provider.ErrUnavailable, 503, "Service Unavailable")
	}

	t.Run("EmptyVersionListIsNotFound", func(t *testing.T) {
		n := 0
		for _, err := range p.ListSecretVersions(ctx, "noversions-x") {
			n++
			wantError(t, err, "listversions", "noversions-x", provider.ErrNotFound, 0, "")
		}
		if n != 1 {
			t.Errorf("ListSecretVersions yielded %d times; want one ErrNotFound", n)
		}
	})
	t.Run("TryTimeout", func(t *testing.T) {
		p := fr.provider(t, f, azurekv.Options{ClientOptions: azcore.ClientOptions{
			Retry: policy.RetryOptions{MaxRetries: -1, TryTimeout: 100 * time.Millisecond},
		}})
		start := time.Now()
		_, err := p.GetSecret(ctx, "hang-try", "")
		wantError(t, err, "get", "hang-try", provider.ErrUnavailable, 0, "")
		if time.Since(start) > 5*time.Second {
			t.Errorf("a 100 ms try timeout took %v", time.Since(start))
		}
	})
	t.Run("CallerDeadlineIsNotUnavailable", func(t *testing.T) {
		dctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := p.GetSecret(dctx, "hang-caller", "")
		wantError(t, err, "get", "hang-caller", nil, 0, "")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v; want context.DeadlineExceeded", err)
		}
	})
	t.Run("SDKRetriesStillApply", func(t *testing.T) {
		name := "flaky-" + providertest.UniqueName("retry")
		seed(t, f.admin(t, "myvault"), name, "after-retry")
		p := fr.provider(t, f, azurekv.Options{ClientOptions: azcore.ClientOptions{
			Retry: policy.RetryOptions{RetryDelay: time.Millisecond},
		}})
		got, err := p.GetSecret(ctx, name, "")
		if err != nil || got.Value.Reveal() != "after-retry" {
			t.Fatalf("GetSecret after one 503: %v", err)
		}
		if !fr.flakyFailed.Load() {
			t.Fatalf("the injected 503 was never served")
		}
	})
}

func TestGetSecretsBoundsConcurrency(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fr := newFront(t, f)
	ctx := context.Background()
	admin := f.admin(t, "myvault")
	names := make([]string, 12)
	for i := range names {
		names[i] = "slow-" + providertest.UniqueName(fmt.Sprint(i))
		seed(t, admin, names[i], fmt.Sprintf("value-%d", i))
	}
	const limit = 3
	p := fr.provider(t, f, azurekv.Options{MaxConcurrency: limit})
	results, err := p.GetSecrets(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Name != names[i] || r.Err != nil || r.Secret.Value.Reveal() != fmt.Sprintf("value-%d", i) {
			t.Errorf("result %d = {%q %v}; want %q with its value", i, r.Name, r.Err, names[i])
		}
	}
	if got := fr.maxInFlight.Load(); got > limit || got < 2 {
		t.Errorf("at most %d requests were in flight; want between 2 and the limit %d", got, limit)
	}

	// An empty list reads nothing and is not an error.
	if results, err := p.GetSecrets(ctx, nil); err != nil || len(results) != 0 {
		t.Errorf("GetSecrets(nil) = %v, %v", results, err)
	}
}

func TestGetSecretsCancelledMidway(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	fr := newFront(t, f)
	p := fr.provider(t, f, azurekv.Options{MaxConcurrency: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	names := []string{"hang-a", "hang-b", "hang-c"}
	results, err := p.GetSecrets(ctx, names)
	if err != nil {
		t.Fatalf("GetSecrets started, so err = %v; want nil with per-name errors", err)
	}
	for i, r := range results {
		if r.Name != names[i] || !errors.Is(r.Err, context.DeadlineExceeded) {
			t.Errorf("result %d = {%q %v}; want context.DeadlineExceeded", i, r.Name, r.Err)
		}
	}
}
