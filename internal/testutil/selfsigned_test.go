package testutil

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestWriteSelfSignedCertHoldsCertificateThenItsKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ci.pem")
	from := time.Now().Add(-time.Hour).Truncate(time.Second)
	til := from.Add(48 * time.Hour)
	if err := WriteSelfSignedCert(path, "ci", from, til); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	certBlock, rest := pem.Decode(data)
	keyBlock, _ := pem.Decode(rest)
	if certBlock == nil || certBlock.Type != "CERTIFICATE" || keyBlock == nil || keyBlock.Type != "PRIVATE KEY" {
		t.Fatalf("want a CERTIFICATE then a PRIVATE KEY block:\n%s", data)
	}
	cert, err := x509.ParseCertificate(certBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "ci" || !cert.NotBefore.Equal(from) || !cert.NotAfter.Equal(til) {
		t.Errorf("certificate %q valid %v..%v; want ci, %v..%v", cert.Subject.CommonName, cert.NotBefore, cert.NotAfter, from, til)
	}
	if rk, ok := key.(*rsa.PrivateKey); !ok || !rk.PublicKey.Equal(cert.PublicKey) {
		t.Error("the key is not the certificate's")
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
}
