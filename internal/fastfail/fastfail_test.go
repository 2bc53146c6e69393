package fastfail_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/secretkit/secretkit/internal/fastfail"
	"github.com/secretkit/secretkit/internal/refusing"
)

func refused(ip string) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.ParseIP(ip), Port: 443},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
}

// The classification of errors a real dial or handshake would produce;
// the real ones are exercised below and in azurekv's tests.
func TestReasonOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want fastfail.Reason
	}{
		{"nil", nil, fastfail.NotPermanent},
		{"refused on 127.0.0.1", refused("127.0.0.1"), fastfail.RefusedOnLoopback},
		{"refused on ::1", refused("::1"), fastfail.RefusedOnLoopback},
		{"refused elsewhere stays transient", refused("10.1.2.3"), fastfail.NotPermanent},
		{"no such host", &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, fastfail.NoSuchHost},
		{"resolver timeout stays transient", &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}, fastfail.NotPermanent},
		{"unknown authority", x509.UnknownAuthorityError{}, fastfail.UntrustedCert},
		{"hostname mismatch", x509.HostnameError{Host: "myvault.vault.azure.net"}, fastfail.HostnameMismatch},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired}, fastfail.CertInvalid},
		{"reset", syscall.ECONNRESET, fastfail.NotPermanent},
	} {
		if got := fastfail.ReasonOf(tc.err); got != tc.want {
			t.Errorf("%s: ReasonOf = %v; want %v", tc.name, got, tc.want)
		}
	}
}

// countingTransport counts the requests the pipeline sends.
type countingTransport struct {
	next  policy.Transporter
	tries atomic.Int32
}

func (c *countingTransport) Do(req *http.Request) (*http.Response, error) {
	c.tries.Add(1)
	return c.next.Do(req)
}

// pipeline is an azcore pipeline with the SDK's default retry policy
// (three retries) over counted, then fastfail's transport.
func pipeline(counted *countingTransport) runtime.Pipeline {
	return runtime.NewPipeline("fastfail.test", "v0.0.0", runtime.PipelineOptions{},
		&policy.ClientOptions{Transport: fastfail.Transport(counted),
			Retry: policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond}})
}

func send(t *testing.T, p runtime.Pipeline, ctx context.Context, url string) error {
	t.Helper()
	req, err := runtime.NewRequest(ctx, http.MethodGet, url)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

func TestRefusedLoopbackIsNotRetried(t *testing.T) {
	counted := &countingTransport{next: http.DefaultClient}
	ctx, rec := fastfail.WithRecorder(context.Background())
	err := send(t, pipeline(counted), ctx, "http://"+refusing.Addr(t)+"/")
	var ffErr *fastfail.Error
	if !errors.As(err, &ffErr) || ffErr.Reason != fastfail.RefusedOnLoopback || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v; want a *fastfail.Error for a refused loopback connection", err)
	}
	if n := counted.tries.Load(); n != 1 {
		t.Errorf("%d tries; want 1", n)
	}
	if !errors.Is(rec.Err(), syscall.ECONNREFUSED) {
		t.Errorf("recorder holds %v; want the refused connection", rec.Err())
	}
}

func TestUntrustedCertificateIsNotRetried(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	counted := &countingTransport{next: http.DefaultClient} // trusts the system roots only
	err := send(t, pipeline(counted), context.Background(), srv.URL)
	if fastfail.ReasonOf(err) != fastfail.UntrustedCert {
		t.Fatalf("err = %v; want an untrusted certificate", err)
	}
	if n := counted.tries.Load(); n != 1 {
		t.Errorf("%d tries; want 1", n)
	}
}

func TestTransientErrorsAreRetried(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if served.Add(1) == 1 {
			// A dropped connection: the transport sees EOF, a transient error.
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}
	}))
	defer srv.Close()
	counted := &countingTransport{next: srv.Client()}
	ctx, rec := fastfail.WithRecorder(context.Background())
	if err := send(t, pipeline(counted), ctx, srv.URL); err != nil {
		t.Fatalf("err = %v; want the retry to succeed", err)
	}
	if n := counted.tries.Load(); n != 2 {
		t.Errorf("%d tries; want 2", n)
	}
	if rec.Err() != nil {
		t.Errorf("recorder holds %v for a transient error", rec.Err())
	}
}
