package tlsca

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustLoad(t *testing.T, dir string, names ...string) *Authority {
	t.Helper()
	a, err := LoadOrCreate(dir, names)
	if err != nil {
		t.Fatalf("LoadOrCreate: %v", err)
	}
	return a
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFirstRunCreatesFilesWithModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "tls")
	a := mustLoad(t, dir, "myvault.vault.azure.net")
	if !a.Issued {
		t.Error("Issued = false on first run")
	}
	wantModes := map[string]os.FileMode{
		dir:                            0o700 | os.ModeDir,
		filepath.Join(dir, CAFile):     0o644,
		filepath.Join(dir, CAKeyFile):  0o600,
		filepath.Join(dir, ServerFile): 0o600,
	}
	for path, want := range wantModes {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode(), want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("dir holds %d entries, want 3 (no temporary files left)", len(entries))
	}
	if a.CAPath != filepath.Join(dir, CAFile) {
		t.Errorf("CAPath = %q", a.CAPath)
	}
	if !bytes.Equal(a.CAPEM, readFile(t, a.CAPath)) {
		t.Error("CAPEM differs from the file at CAPath")
	}
	ca := a.CACertificate()
	if !ca.IsCA || ca.Subject.CommonName != "secretkit emulator CA" || ca.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("CA: IsCA=%v CN=%q usage=%v", ca.IsCA, ca.Subject.CommonName, ca.KeyUsage)
	}
	if life := ca.NotAfter.Sub(ca.NotBefore); life < CALifetime {
		t.Errorf("CA lifetime %v, want at least %v", life, CALifetime)
	}
	leaf := a.ServerCertificate().Leaf
	for _, n := range []string{"localhost", "*.vault.azure.net", "*.localhost", "myvault.vault.azure.net"} {
		if !slices.Contains(leaf.DNSNames, n) {
			t.Errorf("server DNS SANs %v lack %q", leaf.DNSNames, n)
		}
	}
	if len(leaf.IPAddresses) != 2 {
		t.Errorf("server IP SANs = %v, want 127.0.0.1 and ::1", leaf.IPAddresses)
	}
}

func TestSecondRunReusesEverything(t *testing.T) {
	dir := t.TempDir()
	first := mustLoad(t, dir, "myvault.vault.azure.net", "10.1.2.3")
	serverPEM := readFile(t, first.ServerPath)
	second := mustLoad(t, dir, "MyVault.vault.azure.net", "10.1.2.3")
	if second.Issued {
		t.Error("second run issued a new server certificate")
	}
	if !bytes.Equal(first.CAPEM, second.CAPEM) {
		t.Error("CA changed between runs")
	}
	if !bytes.Equal(first.ServerCertificate().Leaf.Raw, second.ServerCertificate().Leaf.Raw) {
		t.Error("server certificate changed between runs")
	}
	if !bytes.Equal(serverPEM, readFile(t, second.ServerPath)) {
		t.Error("server.pem rewritten on reuse")
	}
	if first.Thumbprint() != second.Thumbprint() {
		t.Error("thumbprint changed")
	}
}

func TestNewNameIssuesNewServerCertFromSameCA(t *testing.T) {
	dir := t.TempDir()
	first := mustLoad(t, dir, "kv.example.test")
	second := mustLoad(t, dir, "other.example.test", "192.0.2.7")
	if !second.Issued {
		t.Fatal("new name did not issue a new server certificate")
	}
	if !bytes.Equal(first.CAPEM, second.CAPEM) {
		t.Fatal("CA changed")
	}
	leaf := second.ServerCertificate().Leaf
	if err := leaf.CheckSignatureFrom(first.CACertificate()); err != nil {
		t.Fatalf("new server certificate not signed by the original CA: %v", err)
	}
	// The replaced certificate's names are kept, so alternating between
	// two configurations in one directory settles on one certificate.
	for _, n := range []string{"kv.example.test", "other.example.test"} {
		if err := leaf.VerifyHostname(n); err != nil {
			t.Errorf("new certificate does not cover %s: %v", n, err)
		}
	}
	if err := leaf.VerifyHostname("192.0.2.7"); err != nil {
		t.Errorf("IP SAN missing: %v", err)
	}
	third := mustLoad(t, dir, "kv.example.test")
	if third.Issued {
		t.Error("a name already covered caused another issue")
	}
}

func TestExpiringServerCertIsRenewed(t *testing.T) {
	dir := t.TempDir()
	// Issued long enough ago that fewer than RenewBefore days remain now.
	past := time.Now().Add(-(ServerLifetime - RenewBefore + 24*time.Hour))
	old, err := loadOrCreate(dir, nil, past)
	if err != nil {
		t.Fatal(err)
	}
	now := mustLoad(t, dir)
	if !now.Issued {
		t.Fatal("server certificate with under 30 days left was reused")
	}
	if !bytes.Equal(old.CAPEM, now.CAPEM) {
		t.Fatal("CA changed on renewal")
	}
	if left := time.Until(now.ServerCertificate().Leaf.NotAfter); left < ServerLifetime-time.Hour {
		t.Errorf("renewed certificate has only %v left", left)
	}

	// 31 days left: still reused.
	dir2 := t.TempDir()
	if _, err := loadOrCreate(dir2, nil, time.Now().Add(-(ServerLifetime - RenewBefore - 24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if mustLoad(t, dir2).Issued {
		t.Error("server certificate with 31 days left was replaced")
	}
}

func TestTLSHandshakeVerifiesNames(t *testing.T) {
	a := mustLoad(t, t.TempDir(), "myvault.vault.azure.net", "x.localhost")
	ln, err := tls.Listen("tcp", "127.0.0.1:0", a.TLSConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if err := c.(*tls.Conn).Handshake(); err == nil {
					io.WriteString(c, "ok")
				}
			}()
		}
	}()
	dial := func(serverName string, pool *x509.CertPool) error {
		d := tls.Dialer{Config: &tls.Config{ServerName: serverName, RootCAs: pool}}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		got, err := io.ReadAll(c)
		if err == nil && string(got) != "ok" {
			err = errors.New("server did not complete the handshake")
		}
		return err
	}
	for _, name := range []string{"myvault.vault.azure.net", "other.vault.azure.net", "x.localhost", "localhost", "127.0.0.1", "::1"} {
		if err := dial(name, a.CertPool()); err != nil {
			t.Errorf("handshake as %s: %v", name, err)
		}
	}
	var hostErr x509.HostnameError
	if err := dial("evil.example.com", a.CertPool()); !errors.As(err, &hostErr) {
		t.Errorf("handshake as uncovered name: err = %v, want x509.HostnameError", err)
	}
	var authErr x509.UnknownAuthorityError
	if err := dial("localhost", x509.NewCertPool()); !errors.As(err, &authErr) {
		t.Errorf("handshake without the CA: err = %v, want x509.UnknownAuthorityError", err)
	}
}

func TestThumbprintIsUppercaseSHA1(t *testing.T) {
	a := mustLoad(t, t.TempDir())
	tp := a.Thumbprint()
	if len(tp) != 40 || strings.ToUpper(tp) != tp {
		t.Errorf("Thumbprint = %q, want 40 uppercase hex digits", tp)
	}
}

func TestCorruptFilesAreErrorsNamingTheFile(t *testing.T) {
	for _, file := range []string{CAFile, CAKeyFile, ServerFile} {
		t.Run(file, func(t *testing.T) {
			dir := t.TempDir()
			mustLoad(t, dir)
			path := filepath.Join(dir, file)
			if err := os.WriteFile(path, []byte("-----BEGIN GARBAGE"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreate(dir, nil)
			if err == nil {
				t.Fatal("LoadOrCreate succeeded on a corrupt file")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if got := string(readFile(t, path)); got != "-----BEGIN GARBAGE" {
				t.Error("corrupt file was overwritten")
			}
		})
	}
}

func TestCorruptDERInsidePEM(t *testing.T) {
	dir := t.TempDir()
	mustLoad(t, dir)
	path := filepath.Join(dir, CAFile)
	os.WriteFile(path, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
	_, err := LoadOrCreate(dir, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "tlsca: "+path+": corrupt certificate") {
		t.Errorf("err = %v", err)
	}
}

func TestMismatchedCAKey(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	mustLoad(t, dir1)
	mustLoad(t, dir2)
	other := readFile(t, filepath.Join(dir2, CAKeyFile))
	keyPath := filepath.Join(dir1, CAKeyFile)
	os.WriteFile(keyPath, other, 0o600)
	_, err := LoadOrCreate(dir1, nil)
	want := "tlsca: " + keyPath + " does not hold the key of " + filepath.Join(dir1, CAFile)
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestMissingCAKeyWithCertIsAnError(t *testing.T) {
	dir := t.TempDir()
	mustLoad(t, dir)
	os.Remove(filepath.Join(dir, CAKeyFile))
	_, err := LoadOrCreate(dir, nil)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, CAKeyFile)+" does not") {
		t.Errorf("err = %v", err)
	}
}

// A first run interrupted after writing the CA key but before the CA
// certificate recovers by self-signing a certificate for the same key, so a
// server certificate issued earlier (if any) still verifies.
func TestInterruptedFirstRunRecovers(t *testing.T) {
	dir := t.TempDir()
	first := mustLoad(t, dir)
	os.Remove(filepath.Join(dir, CAFile))
	second := mustLoad(t, dir)
	if bytes.Equal(first.CAPEM, second.CAPEM) {
		t.Fatal("expected a newly signed CA certificate")
	}
	if second.Issued {
		t.Error("server certificate reissued although the CA key is unchanged")
	}
	if _, err := first.ServerCertificate().Leaf.Verify(x509.VerifyOptions{DNSName: "localhost", Roots: second.CertPool()}); err != nil {
		t.Errorf("old server certificate does not verify with the re-signed CA: %v", err)
	}
}

func TestServerFileNotFromThisCAIsReplaced(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	mustLoad(t, dir1)
	mustLoad(t, dir2)
	os.WriteFile(filepath.Join(dir1, ServerFile), readFile(t, filepath.Join(dir2, ServerFile)), 0o600)
	a := mustLoad(t, dir1)
	if !a.Issued {
		t.Error("server certificate from another CA was reused")
	}
}

func TestBadNameRejected(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadOrCreate(dir, []string{"not a name"})
	if err == nil || err.Error() != `tlsca: "not a name" is neither an IP address nor a DNS name` {
		t.Errorf("err = %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Error("files written despite the bad name")
	}
}

func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	mustLoad(t, dir)
	// A directory in the key's place is unreadable even for root, which
	// ignores file modes.
	os.Remove(filepath.Join(dir, CAKeyFile))
	os.Mkdir(filepath.Join(dir, CAKeyFile), 0o700)
	_, err := LoadOrCreate(dir, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "tlsca: read "+filepath.Join(dir, CAKeyFile)) {
		t.Errorf("err = %v", err)
	}
}

func TestConcurrentFirstRunsInDifferentDirs(t *testing.T) {
	const n = 4
	errs := make(chan error, n)
	caPEMs := make(chan []byte, n)
	for range n {
		go func() {
			a, err := LoadOrCreate(t.TempDir(), []string{"kv.example.test"})
			errs <- err
			if err == nil {
				caPEMs <- a.CAPEM
			}
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for range n {
		seen[string(<-caPEMs)] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct CAs from %d directories", len(seen), n)
	}
}

func TestConcurrentFirstRunsInOneDirAgreeOnTheCA(t *testing.T) {
	const n = 8
	dir := t.TempDir()
	name := func(i int) string { return "kv" + string(rune('a'+i)) + ".example.test" }
	all := make([]*Authority, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { all[i], errs[i] = LoadOrCreate(dir, []string{name(i)}) })
	}
	wg.Wait()
	stored := readFile(t, filepath.Join(dir, CAFile))
	for i, a := range all {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(a.CAPEM, stored) {
			t.Fatalf("caller %d holds a CA other than the stored one", i)
		}
		if _, err := a.ServerCertificate().Leaf.Verify(x509.VerifyOptions{DNSName: name(i), Roots: all[0].CertPool()}); err != nil {
			t.Errorf("caller %d: server certificate does not verify for %s: %v", i, name(i), err)
		}
	}
	if a := mustLoad(t, dir); !bytes.Equal(a.CAPEM, stored) {
		t.Error("a later run replaced the CA")
	}
}
