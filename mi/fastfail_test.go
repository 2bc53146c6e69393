package mi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/secretkit/secretkit/internal/refusing"
)

// A token endpoint on this machine that refuses connections (the emulator
// not started, a wrong port) fails the first GetToken at once, with the
// SDK's default retries in place. The 2 s context is the bound: a retried
// request would end with context.DeadlineExceeded instead.
func TestRefusedLoopbackEndpointFailsFast(t *testing.T) {
	clearSourceEnv(t)
	t.Setenv("IDENTITY_ENDPOINT", "http://"+refusing.Addr(t)+"/msi/token")
	t.Setenv("IDENTITY_HEADER", "header")
	cred, err := NewCredential(Selector{Kind: System}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}})
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GetToken err = %v; want the refused connection before the deadline", err)
	}
	// azidentity keeps only the transport error's text.
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("GetToken err = %v; want a refused connection", err)
	}
}

// An endpoint that answers 500 is still retried as the SDK's policy says:
// only what retrying cannot fix is cut short.
func TestServerErrorsAreStillRetried(t *testing.T) {
	clearSourceEnv(t)
	var tries atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	t.Setenv("IDENTITY_ENDPOINT", srv.URL+"/msi/token")
	t.Setenv("IDENTITY_HEADER", "header")
	cred, err := NewCredential(Selector{Kind: System}, &Options{ClientOptions: azcore.ClientOptions{
		Retry: policy.RetryOptions{MaxRetries: 2, RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://vault.azure.net/.default"}}); err == nil {
		t.Fatal("GetToken succeeded against an endpoint that answers 500")
	}
	if n := tries.Load(); n != 3 {
		t.Errorf("%d requests; want 3 (the first and two retries)", n)
	}
}
