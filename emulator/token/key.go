// Package token issues and validates the emulator's access tokens: RS256
// JWTs shaped like the tokens Microsoft Entra issues to managed identities,
// signed by one RSA key that is persisted next to the TLS material so tokens
// issued before a restart stay valid after it.
package token

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"

	"github.com/secretkit/secretkit/emulator/internal/atomicfile"
)

// KeyFileName is the file, inside the directory given to LoadOrCreateKey,
// that holds the PKCS#8 PEM signing key.
const KeyFileName = "token-signing.pem"

// keyBits is the size of a newly generated signing key; Entra's own token
// signing keys are RSA-2048.
const keyBits = 2048

// Key is the RSA key that signs and verifies tokens. It is safe for
// concurrent use.
type Key struct {
	private *rsa.PrivateKey
	id      string
}

// LoadOrCreateKey returns the signing key stored in dir/token-signing.pem,
// creating dir (0700) and the key (0600) when the file does not exist.
//
// Creation is atomic: the key is written to a temporary file and linked into
// place only if no key appeared meanwhile, so two processes starting at once
// end up sharing whichever key was linked first. A file that exists but does
// not hold an RSA private key is an error; it is never overwritten.
func LoadOrCreateKey(dir string) (*Key, error) {
	path := filepath.Join(dir, KeyFileName)
	if k, err := readKey(path); err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("token: create key directory: %w", err)
	}
	private, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("token: generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(private)
	if err != nil {
		return nil, fmt.Errorf("token: encode signing key: %w", err)
	}
	// A key created by a concurrent process wins and is loaded below
	// instead of being replaced.
	if _, err := atomicfile.Create(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("token: install signing key: %w", err)
	}
	return readKey(path)
}

func readKey(path string) (*Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("token: %s holds no PEM block", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		// Accept PKCS#1 too, so a key made with openssl genrsa can be dropped in.
		if pkcs1, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 == nil {
			parsed = pkcs1
		} else {
			return nil, fmt.Errorf("token: parse %s: %w", path, err)
		}
	}
	private, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("token: %s holds a %T, want an RSA key", path, parsed)
	}
	return newKey(private), nil
}

func newKey(private *rsa.PrivateKey) *Key {
	return &Key{private: private, id: thumbprint(&private.PublicKey)}
}

// thumbprint is the RFC 7638 JWK thumbprint (SHA-256 over the canonical
// {"e","kty","n"} JSON), base64url without padding.
func thumbprint(pub *rsa.PublicKey) string {
	canonical := fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`,
		b64(big.NewInt(int64(pub.E)).Bytes()), b64(pub.N.Bytes()))
	sum := sha256.Sum256([]byte(canonical))
	return b64(sum[:])
}

// ID is the key id (kid) placed in every token header and in the JWKS.
func (k *Key) ID() string { return k.id }

// Public returns the verification half of the key.
func (k *Key) Public() *rsa.PublicKey { return &k.private.PublicKey }

// JWKS returns the JSON Web Key Set that publishes the key:
// {"keys":[{"kty","use","kid","n","e","alg"}]}. It contains public
// material only.
func (k *Key) JWKS() []byte {
	pub := k.Public()
	set := struct {
		Keys []publicJWK `json:"keys"`
	}{Keys: []publicJWK{{
		Kty: "RSA", Use: "sig", Kid: k.id, Alg: "RS256",
		N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes()),
	}}}
	out, err := json.Marshal(set)
	if err != nil {
		panic("token: marshal JWKS: " + err.Error()) // fixed shape of strings: cannot fail
	}
	return out
}

// publicJWK deliberately has no fields for private members (d, p, q, dp, dq,
// qi): a JWKS built from it cannot leak the signing key.
type publicJWK struct {
	Kty string `json:"kty"`
	Use string `json:"use"`
	Kid string `json:"kid"`
	N   string `json:"n"`
	E   string `json:"e"`
	Alg string `json:"alg"`
}

type header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ,omitempty"`
	Kid string `json:"kid,omitempty"`
}

// Sign returns a compact RS256 JWS over the JSON encoding of claims, with
// this key's kid in the header. Callers choose the claims; Issuer.Issue is
// the access-token shape.
func (k *Key) Sign(claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("token: encode claims: %w", err)
	}
	head, err := json.Marshal(header{Alg: "RS256", Typ: "JWT", Kid: k.id})
	if err != nil {
		return "", fmt.Errorf("token: encode header: %w", err)
	}
	signingInput := b64(head) + "." + b64(payload)
	digest := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k.private, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return signingInput + "." + b64(sig), nil
}

// Verify checks that raw is a compact JWS signed with RS256 by this key and
// returns its decoded payload. It checks no claims. Failures are *Error
// values with Reason ReasonMalformed (not three base64url parts, or an
// undecodable header), ReasonUnknownKey (an algorithm other than RS256, or a
// kid other than ID(): the key the token names cannot be resolved here) or
// ReasonSignature.
func (k *Key) Verify(raw string) ([]byte, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, malformed()
	}
	headJSON, err := unb64(parts[0])
	if err != nil {
		return nil, malformed()
	}
	var h header
	if err := json.Unmarshal(headJSON, &h); err != nil {
		return nil, malformed()
	}
	// Checking alg before touching the signature is what defeats "none" and
	// HS256-keyed-with-the-public-key: only RS256 with our kid is verified.
	if h.Alg != "RS256" || h.Kid != k.id {
		return nil, unknownKey(parts[0])
	}
	sig, err := unb64(parts[2])
	if err != nil {
		return nil, signatureInvalid()
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(k.Public(), crypto.SHA256, digest[:], sig); err != nil {
		return nil, signatureInvalid()
	}
	payload, err := unb64(parts[1])
	if err != nil {
		return nil, malformed()
	}
	return payload, nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// unb64 decodes base64url, tolerating the padding some encoders add.
func unb64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
