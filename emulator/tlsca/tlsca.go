// Package tlsca keeps the emulator's private certificate authority and the
// server certificate it issues, in one directory, so that users trust the CA
// once and every later start reuses it.
//
// The directory holds three files (other packages may keep their own files
// beside them, e.g. a token signing key, under other names):
//
//	ca.pem          the CA certificate users trust (0644)
//	ca-key.pem      the CA's private key, PKCS #8 (0600)
//	server.pem      the server certificate followed by its private key (0600)
//
// Every file is written to a temporary name and then linked or renamed into
// place, so a crash never leaves a half-written file, and emulators starting
// at the same time in one directory agree on one CA. The server certificate and its key
// share one file for the same reason: replacing them is one rename, never a
// certificate paired with the wrong key.
package tlsca

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/secretkit/secretkit/internal/atomicfile"
)

// File names inside the directory given to LoadOrCreate.
const (
	CAFile       = "ca.pem"
	CAKeyFile    = "ca-key.pem"
	ServerFile   = "server.pem"
	caCommonName = "secretkit emulator CA"
)

// Lifetimes and the renewal margin. The server certificate is renewed when
// fewer than RenewBefore remain, so a long-running emulator started from a
// reused certificate keeps a valid one for weeks.
const (
	CALifetime     = 10 * 365 * 24 * time.Hour
	ServerLifetime = 365 * 24 * time.Hour
	RenewBefore    = 30 * 24 * time.Hour
	// backdate covers clients whose clocks lag the emulator's host (a
	// container started with a skewed clock would otherwise see a
	// certificate that is not valid yet).
	backdate = time.Hour
)

// DefaultNames are in every server certificate, whatever the caller asks for.
// login.microsoftonline.com is there so workload-identity clients keep the
// SDK's default authority host when a test dialer (emulatortest) or a hosts
// entry sends it to the emulator.
var DefaultNames = []string{"localhost", "127.0.0.1", "::1", "*.vault.azure.net", "*.localhost", "login.microsoftonline.com"}

// Authority is a loaded CA and the server certificate it issued. Its methods
// are safe for concurrent use; callers must not change its fields.
type Authority struct {
	// CAPEM is the PEM-encoded CA certificate, the one users trust.
	CAPEM []byte
	// CAPath is the file holding CAPEM (dir/ca.pem).
	CAPath string
	// ServerPath is the file holding the server certificate and key.
	ServerPath string
	// Issued reports whether LoadOrCreate issued a new server certificate
	// (first run, expiry near, or a name not yet covered) rather than
	// reusing the stored one.
	Issued bool

	ca     *x509.Certificate
	server tls.Certificate
}

// LoadOrCreate returns the authority kept in dir, creating the directory
// (0700), the CA and the server certificate on first use.
//
// The CA is always reused once it exists. The server certificate is reused
// when it was issued by that CA, is valid for at least RenewBefore more, and
// carries every name in DefaultNames and names as a subject alternative name
// (compared exactly, ignoring DNS case: a wildcard does not count as covering
// a name). Otherwise a new one is issued from the same CA, carrying the
// requested names plus every name of the certificate it replaces, so that
// configurations sharing a directory converge instead of alternating.
// Entries of names that parse as IP addresses become IP SANs; empty entries
// are ignored; anything else must be a DNS name, optionally with a leading
// "*." label.
//
// A file that exists but cannot be read or parsed is an error naming the
// file; LoadOrCreate never overwrites it. The one recovery it performs: when
// ca-key.pem exists but ca.pem does not (a first run interrupted between the
// two writes), it self-signs a new CA certificate for the existing key.
//
// Calls for one directory may run at once, in one process or several: they
// all end up with the same CA. Each gets a server certificate from it that
// is valid for its names, though not necessarily the one left in the file.
func LoadOrCreate(dir string, names []string) (*Authority, error) {
	return loadOrCreate(dir, names, time.Now())
}

func loadOrCreate(dir string, names []string, now time.Time) (*Authority, error) {
	wanted, err := normalizeNames(append(slices.Clone(DefaultNames), names...))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("tlsca: create directory: %w", err)
	}
	if err := checkPrivateDir(dir); err != nil {
		return nil, err
	}
	caCert, caPEM, caKey, err := loadOrCreateCA(dir, now)
	if err != nil {
		return nil, err
	}
	a := &Authority{
		CAPEM:      caPEM,
		CAPath:     filepath.Join(dir, CAFile),
		ServerPath: filepath.Join(dir, ServerFile),
		ca:         caCert,
	}
	stored, err := readServer(a.ServerPath)
	if err != nil {
		return nil, err
	}
	if stored != nil && reusable(stored.Leaf, caCert, wanted, now) {
		// The file holds only the leaf; clients get the CA alongside it.
		stored.Certificate = [][]byte{stored.Leaf.Raw, caCert.Raw}
		a.server = *stored
		return a, nil
	}
	if stored != nil {
		previous, _ := normalizeNames(append(slices.Clone(stored.Leaf.DNSNames), ipStrings(stored.Leaf.IPAddresses)...))
		wanted = union(wanted, previous)
	}
	server, serverPEM, err := issueServer(caCert, caKey, wanted, now)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(a.ServerPath, serverPEM, 0o600); err != nil {
		return nil, fmt.Errorf("tlsca: %w", err)
	}
	a.server = server
	a.Issued = true
	return a, nil
}

// CertPool returns a new pool holding only the CA certificate, for clients
// that should trust the emulator and nothing else.
func (a *Authority) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(a.ca)
	return pool
}

// CACertificate returns the parsed CA certificate.
func (a *Authority) CACertificate() *x509.Certificate { return a.ca }

// ServerCertificate returns the server certificate chain (leaf, then CA) and
// key; Leaf is set.
func (a *Authority) ServerCertificate() tls.Certificate { return a.server }

// TLSConfig returns a new server configuration presenting the server
// certificate, TLS 1.2 or later. Callers may change the returned value.
func (a *Authority) TLSConfig() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{a.server},
		MinVersion:   tls.VersionTLS12,
	}
}

// Thumbprint returns the uppercase hex SHA-1 of the server certificate's DER
// encoding: the value Service Fabric clients compare with
// IDENTITY_SERVER_THUMBPRINT.
func (a *Authority) Thumbprint() string {
	sum := sha1.Sum(a.server.Leaf.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// loadOrCreateCA returns the CA in dir, creating what is missing. Files are
// published with atomicfile.Create, so emulators starting at once in one
// directory agree on a single CA: whoever publishes a file first wins and
// the others read it.
func loadOrCreateCA(dir string, now time.Time) (*x509.Certificate, []byte, crypto.Signer, error) {
	certPath := filepath.Join(dir, CAFile)
	keyPath := filepath.Join(dir, CAKeyFile)
	// The certificate is read before the key because the key is always
	// published first: a certificate seen here implies its key exists, even
	// while another process is creating both.
	certPEM, err := readOptional(certPath)
	if err != nil {
		return nil, nil, nil, err
	}
	keyPEM, err := readOptional(keyPath)
	if err != nil {
		return nil, nil, nil, err
	}
	if keyPEM == nil && certPEM != nil {
		return nil, nil, nil, fmt.Errorf("tlsca: %s exists but its key %s does not; "+
			"delete %s to create a new CA (clients must then trust the new one)", certPath, keyPath, certPath)
	}
	if keyPEM == nil {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("tlsca: generate CA key: %w", err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("tlsca: encode CA key: %w", err)
		}
		if keyPEM, err = atomicfile.Create(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
			return nil, nil, nil, fmt.Errorf("tlsca: %w", err)
		}
	}
	key, err := parseKey(keyPEM, keyPath)
	if err != nil {
		return nil, nil, nil, err
	}

	// A missing certificate with an existing key is a first run that was
	// interrupted (or raced) between the two files: self-signing a new
	// certificate for the same key keeps every earlier server certificate
	// valid under it.
	if certPEM == nil {
		_, fresh, err := createCA(key, now)
		if err != nil {
			return nil, nil, nil, err
		}
		if certPEM, err = atomicfile.Create(certPath, fresh, 0o644); err != nil {
			return nil, nil, nil, fmt.Errorf("tlsca: %w", err)
		}
	}
	certs, err := parseCerts(certPEM, certPath)
	if err != nil {
		return nil, nil, nil, err
	}
	cert := certs[0]
	if !cert.IsCA {
		return nil, nil, nil, fmt.Errorf("tlsca: %s is not a CA certificate", certPath)
	}
	if !publicKeysEqual(cert.PublicKey, key.Public()) {
		return nil, nil, nil, fmt.Errorf("tlsca: %s does not hold the key of %s", keyPath, certPath)
	}
	return cert, certPEM, key, nil
}

// readOptional returns the file's contents, nil when it does not exist, or
// an error naming it.
func readOptional(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tlsca: %w", err) // *PathError names the file
	}
	return data, nil
}

func createCA(key crypto.Signer, now time.Time) (*x509.Certificate, []byte, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: caCommonName},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CALifetime),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("tlsca: parse new CA certificate: %w", err)
	}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func issueServer(ca *x509.Certificate, caKey crypto.Signer, names []string, now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tlsca: generate server key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	notAfter := now.Add(ServerLifetime)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "secretkit emulator"},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tlsca: create server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tlsca: parse new server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("tlsca: encode server key: %w", err)
	}
	var out bytes.Buffer
	// Only the leaf is stored: the CA is in its own file and may be
	// re-signed (see loadOrCreateCA), so it is attached at load time.
	_ = pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	_ = pem.Encode(&out, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return tls.Certificate{
		Certificate: [][]byte{der, ca.Raw},
		PrivateKey:  key,
		Leaf:        leaf,
	}, out.Bytes(), nil
}

// readServer returns the stored server certificate, nil when the file does
// not exist, or an error naming the file when it is unreadable or corrupt.
func readServer(path string) (*tls.Certificate, error) {
	data, err := readOptional(path)
	if data == nil || err != nil {
		return nil, err
	}
	certs, err := parseCerts(data, path)
	if err != nil {
		return nil, err
	}
	key, err := parseKey(data, path)
	if err != nil {
		return nil, err
	}
	if !publicKeysEqual(certs[0].PublicKey, key.Public()) {
		return nil, fmt.Errorf("tlsca: %s: private key does not match the certificate", path)
	}
	chain := make([][]byte, 0, len(certs))
	for _, c := range certs {
		chain = append(chain, c.Raw)
	}
	return &tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: certs[0]}, nil
}

func reusable(leaf, ca *x509.Certificate, wanted []string, now time.Time) bool {
	if leaf.CheckSignatureFrom(ca) != nil {
		return false
	}
	if now.Before(leaf.NotBefore) || leaf.NotAfter.Sub(now) < RenewBefore {
		return false
	}
	have, err := normalizeNames(append(slices.Clone(leaf.DNSNames), ipStrings(leaf.IPAddresses)...))
	if err != nil {
		return false
	}
	for _, n := range wanted {
		if !slices.Contains(have, n) {
			return false
		}
	}
	return true
}

// parseCerts is ParseCertificates with errors naming the file.
func parseCerts(data []byte, path string) ([]*x509.Certificate, error) {
	certs, err := ParseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("tlsca: %s: %w (file corrupt?)", path, err)
	}
	return certs, nil
}

// ParseCertificates returns every CERTIFICATE block in PEM data, in order,
// skipping other blocks (a key in the same file); there must be at least
// one.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("corrupt certificate: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return certs, nil
}

// parseKey returns the first PRIVATE KEY block in data.
func parseKey(data []byte, path string) (crypto.Signer, error) {
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, fmt.Errorf("tlsca: %s: no PEM private key found (file corrupt?)", path)
		}
		if block.Type != "PRIVATE KEY" {
			continue
		}
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			// Deliberately not wrapping err: parser errors may quote bytes.
			return nil, fmt.Errorf("tlsca: %s: corrupt private key", path)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("tlsca: %s: unsupported private key type %T", path, k)
		}
		return signer, nil
	}
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

func randomSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("tlsca: serial number: %w", err)
	}
	return serial, nil
}

// normalizeNames lowercases DNS names, canonicalises IP addresses, drops
// empty entries and duplicates, and rejects anything that is neither.
func normalizeNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if ip := net.ParseIP(n); ip != nil {
			n = ip.String()
		} else {
			n = strings.ToLower(strings.TrimSuffix(n, "."))
			if !validDNSName(n) {
				return nil, fmt.Errorf("tlsca: %q is neither an IP address nor a DNS name", n)
			}
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

func validDNSName(n string) bool {
	n = strings.TrimPrefix(n, "*.")
	if n == "" || len(n) > 253 {
		return false
	}
	for _, label := range strings.Split(n, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, n := range b {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
