package testutil

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"time"

	"github.com/secretkit/secretkit/internal/keygen"
)

// WriteSelfSignedCert writes path (mode 0600): a PEM self-signed RSA
// certificate for common name cn, valid from notBefore to notAfter,
// followed by its PKCS#8 private key — the file a service principal's
// certificate credential reads (AZURE_CLIENT_CERTIFICATE_PATH).
func WriteSelfSignedCert(path, cn string, notBefore, notAfter time.Time) error {
	key, err := keygen.RSA(2048)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	out := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...)
	return os.WriteFile(path, out, 0o600)
}
