// Package fastfail stops the Azure SDK from retrying transport errors that
// retrying cannot fix: a certificate the client does not trust or that names
// another host, a host name that does not exist, and a refused connection to
// a loopback address (nothing listens on that port of this machine). Left to
// the SDK's retry policy, each of these costs 8 to 10 seconds of back-off
// before the same error comes back; these misconfigurations should be
// reported at once, with a hint.
//
// A refused connection to any other address stays retryable: a remote
// service restarting refuses connections for a moment, and the retry is what
// rides that out.
package fastfail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// Reason says why an error is permanent, for the hint a caller prints.
type Reason int

// The permanent transport failures.
const (
	NotPermanent      Reason = iota
	UntrustedCert            // the certificate's chain ends at an unknown CA
	CertInvalid              // the certificate is expired, not yet valid, or unusable
	HostnameMismatch         // the certificate is for another host name
	NoSuchHost               // the host name does not resolve
	RefusedOnLoopback        // nothing listens on that loopback port
)

// ReasonOf classifies err, a transport error from an HTTP client.
func ReasonOf(err error) Reason {
	if err == nil {
		return NotPermanent
	}
	var (
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidCert x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		dnsErr      *net.DNSError
		opErr       *net.OpError
	)
	switch {
	case errors.As(err, &hostnameErr):
		return HostnameMismatch
	case errors.As(err, &unknownCA):
		return UntrustedCert
	case errors.As(err, &invalidCert):
		return CertInvalid
	case errors.As(err, &verifyErr):
		return UntrustedCert
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return NoSuchHost
	case errors.Is(err, syscall.ECONNREFUSED) && errors.As(err, &opErr) && isLoopback(opErr.Addr):
		return RefusedOnLoopback
	}
	return NotPermanent
}

// Permanent reports whether retrying err cannot help.
func Permanent(err error) bool { return ReasonOf(err) != NotPermanent }

func isLoopback(a net.Addr) bool {
	if a == nil {
		return false
	}
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.IP.IsLoopback()
	}
	ap, err := netip.ParseAddrPort(a.String())
	return err == nil && ap.Addr().IsLoopback()
}

// Error is a permanent transport error. It marks itself non-retriable in
// the way azcore's retry policy looks for (a NonRetriable method), and
// unwraps to the transport's own error.
type Error struct {
	Reason Reason
	Err    error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// NonRetriable tells azcore's retry policy not to retry the request.
func (*Error) NonRetriable() {}

// Transport wraps next so that permanent errors come back as *Error and
// are not retried. It changes nothing else. A nil next means a client like
// the one azcore uses when ClientOptions.Transport is nil (azcore's own is
// not importable).
func Transport(next policy.Transporter) policy.Transporter {
	if next == nil {
		next = defaultClient
	}
	if _, ok := next.(transport); ok {
		return next
	}
	return transport{next}
}

// defaultClient mirrors azcore's default HTTP client: proxy from the
// environment, TLS 1.2 or later, bounded idle connections, and HTTP/2
// health-check pings so a dead connection is noticed.
var defaultClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	ForceAttemptHTTP2:     true,
	MaxIdleConns:          100,
	MaxIdleConnsPerHost:   10,
	IdleConnTimeout:       90 * time.Second,
	TLSHandshakeTimeout:   10 * time.Second,
	ExpectContinueTimeout: time.Second,
	TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
	HTTP2:                 &http.HTTP2Config{SendPingTimeout: 10 * time.Second, PingTimeout: 5 * time.Second},
}}

type transport struct{ next policy.Transporter }

func (t transport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.next.Do(req)
	if err == nil {
		return resp, nil
	}
	reason := ReasonOf(err)
	if reason == NotPermanent {
		return resp, err
	}
	if r, ok := req.Context().Value(recorderKey{}).(*Recorder); ok {
		r.record(reason, err)
	}
	return resp, &Error{Reason: reason, Err: err}
}

// Recorder keeps the permanent error a request made under a context from
// [WithRecorder] met, for callers whose error reaches them only as text:
// azidentity reports a failed token request with the transport error's
// message, not the error itself.
type Recorder struct {
	mu  sync.Mutex
	err *Error
}

type recorderKey struct{}

// WithRecorder returns a context whose requests through a [Transport]
// record their permanent errors in the returned Recorder.
func WithRecorder(ctx context.Context) (context.Context, *Recorder) {
	r := &Recorder{}
	return context.WithValue(ctx, recorderKey{}, r), r
}

func (r *Recorder) record(reason Reason, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		r.err = &Error{Reason: reason, Err: err}
	}
}

// Err returns the first permanent error recorded, or nil.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err == nil {
		return nil
	}
	return r.err
}
