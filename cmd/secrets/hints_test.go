package main

import (
	"crypto/x509"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/secretkit/secretkit/internal/fastfail"
	"github.com/secretkit/secretkit/provider"
)

// The hints for failures a test here cannot cause for real (a resolver's
// NXDOMAIN, an expired certificate); the others are checked end to end in
// TestMisconfigurationFailsFast.
func TestHintFor(t *testing.T) {
	wrap := func(err error) error {
		return provider.NewError("azurekv", "get", "db-password", nil, err)
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9443},
		Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	identityErr := &tokenFailure{&azidentity.AuthenticationFailedError{}, &net.DNSError{Name: "nope.invalid", IsNotFound: true}}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no such host", wrap(&net.DNSError{Name: "myvault.vault.azure.nett", IsNotFound: true}), "the URI's host name does not resolve"},
		{"identity host unknown", wrap(identityErr), "check IDENTITY_ENDPOINT"},
		{"hostname mismatch", wrap(x509.HostnameError{Certificate: &x509.Certificate{DNSNames: []string{"myvault.vault.azure.net"}}, Host: "x"}), "certificate is for another host name"},
		{"expired", wrap(x509.CertificateInvalidError{Reason: x509.Expired}), "expired or not yet valid"},
		{"refused port named", wrap(refused), "nothing listens on port 9443"},
		{"a plain failure has none", wrap(syscall.ECONNRESET), ""},
	} {
		got := hintFor("get", "azurekv://x/db-password", tc.err)
		if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: hint = %q; want %q", tc.name, got, tc.want)
		}
	}
	if fastfail.ReasonOf(identityErr) != fastfail.NoSuchHost {
		t.Fatal("the identity case does not exercise NoSuchHost")
	}
}

// tokenFailure is a credential error with its transport cause, as azurekv
// reports a failed token request.
type tokenFailure struct {
	auth  *azidentity.AuthenticationFailedError
	cause error
}

func (e *tokenFailure) Error() string   { return "token request failed" }
func (e *tokenFailure) Unwrap() []error { return []error{e.auth, e.cause} }
