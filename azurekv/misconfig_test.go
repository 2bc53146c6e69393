package azurekv_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretkit/secretkit/azurekv"
	"github.com/secretkit/secretkit/internal/refusing"
	"github.com/secretkit/secretkit/mi"
	"github.com/secretkit/secretkit/provider"
)

// fastBound is how long a misconfigured call may take. The SDK's default
// retries (three, with back-off) take 8 to 10 s; a call that is not retried
// takes milliseconds. The bound is a context deadline, not a timed
// assertion: a call that retried would end with context.DeadlineExceeded
// instead of the transport's error.
const fastBound = 2 * time.Second

// Every case runs with the SDK's default retry policy, as production does.
func TestMisconfigurationFailsFast(t *testing.T) {
	f := newFixture(t)
	get := func(t *testing.T, vaultURL string, cred azcore.TokenCredential, opts *azurekv.Options) error {
		t.Helper()
		p, err := azurekv.New(vaultURL, cred, opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), fastBound)
		defer cancel()
		_, err = p.GetSecret(ctx, "db-password", "")
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v; the call was retried until the deadline", err)
		}
		// No kind: none of these is transient, absent or refused by the vault.
		wantError(t, err, "get", "db-password", nil, 0, "")
		return err
	}

	t.Run("vault port refused on loopback", func(t *testing.T) {
		err := get(t, "https://"+refusing.Addr(t)+"/", f.systemCred,
			&azurekv.Options{ClientOptions: azcore.ClientOptions{Transport: f.e.Client()}})
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("err = %v; want the refused connection", err)
		}
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		untrusting := f.e.Client().Transport.(*http.Transport).Clone()
		untrusting.TLSClientConfig.RootCAs = x509.NewCertPool()
		err := get(t, f.e.VaultURLFor("myvault"), f.systemCred,
			&azurekv.Options{ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: untrusting}}})
		var verifyErr *tls.CertificateVerificationError
		var unknownCA x509.UnknownAuthorityError
		if !errors.As(err, &verifyErr) || !errors.As(err, &unknownCA) {
			t.Errorf("err = %v; want an unknown-authority verification error", err)
		}
	})
	t.Run("certificate for another host", func(t *testing.T) {
		// The emulator's certificate names its vault hosts and loopback
		// addresses, not this one; the transport dials the emulator anyway.
		untrusting := f.e.Client().Transport.(*http.Transport).Clone()
		untrusting.TLSClientConfig.ServerName = "not-the-vault.example.com"
		err := get(t, f.e.VaultURLFor("myvault"), f.systemCred,
			&azurekv.Options{ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: untrusting}}})
		var hostErr x509.HostnameError
		if !errors.As(err, &hostErr) {
			t.Errorf("err = %v; want a host name mismatch", err)
		}
	})
	t.Run("no such host", func(t *testing.T) {
		// .invalid never resolves (RFC 2606); a resolver that cannot be
		// reached says nothing about the classification.
		if _, err := net.DefaultResolver.LookupHost(context.Background(), "no-such-vault.invalid"); !isNotFound(err) {
			t.Skipf("the resolver does not answer NXDOMAIN here: %v", err)
		}
		err := get(t, "https://no-such-vault.invalid/", f.systemCred, nil)
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			t.Errorf("err = %v; want no such host", err)
		}
	})
	t.Run("identity endpoint refused on loopback", func(t *testing.T) {
		// App Service's variables, pointing at a port nothing listens on.
		t.Setenv("IDENTITY_ENDPOINT", "http://"+refusing.Addr(t)+"/msi/token")
		t.Setenv("IDENTITY_HEADER", "header")
		cred, err := mi.NewCredential(mi.Selector{Kind: mi.System}, &mi.Options{
			ClientOptions: azcore.ClientOptions{Transport: f.e.Client()}})
		if err != nil {
			t.Fatal(err)
		}
		err = get(t, f.e.VaultURLFor("myvault"), cred,
			&azurekv.Options{ClientOptions: azcore.ClientOptions{Transport: f.e.Client()}})
		var authErr *azidentity.AuthenticationFailedError
		if !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &authErr) {
			t.Errorf("err = %v; want the credential's error with the refused connection behind it", err)
		}
	})
}

func isNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}

// refusingElsewhere answers every request as a refused connection to a
// remote address would, which no test here can produce for real: a
// service restarting refuses connections for a moment.
type refusingElsewhere struct{ tries atomic.Int32 }

func (r *refusingElsewhere) Do(req *http.Request) (*http.Response, error) {
	r.tries.Add(1)
	return nil, &url.Error{Op: "Get", URL: req.URL.String(), Err: &net.OpError{Op: "dial", Net: "tcp",
		Addr: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 443}, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
}

// A refused connection to another machine stays transient: retried by the
// SDK's policy, then ErrUnavailable.
func TestRefusedElsewhereIsRetried(t *testing.T) {
	tr := &refusingElsewhere{}
	p, err := azurekv.New("https://myvault.vault.azure.net/", failingCredential{t}, &azurekv.Options{
		ClientOptions: azcore.ClientOptions{Transport: tr, Retry: policy.RetryOptions{RetryDelay: time.Millisecond, MaxRetryDelay: time.Millisecond}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.GetSecret(context.Background(), "db-password", "")
	wantError(t, err, "get", "db-password", provider.ErrUnavailable, 0, "")
	if n := tr.tries.Load(); n != 4 {
		t.Errorf("%d tries; want 4 (the first and three retries)", n)
	}
}
