// Package token issues and validates the emulator's access tokens: RS256
// JWTs shaped like the tokens Microsoft Entra issues to managed identities,
// signed by one RSA key that is persisted next to the TLS material so tokens
// issued before a restart stay valid after it.
package token

import (
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

	"github.com/golang-jwt/jwt/v5"

	"github.com/secretkit/secretkit/internal/atomicfile"
	"github.com/secretkit/secretkit/internal/keygen"
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
	private, err := keygen.RSA(keyBits)
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

// header is the part of a JWT header that decides which key verifies it.
type header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ,omitempty"`
	Kid string `json:"kid,omitempty"`
}

// parser verifies tokens with golang-jwt. Only RS256 is accepted, checked
// before any key is used: that is what defeats "none" and HS256 keyed with
// the public key. The library's own claim checks are off: Validator judges
// claims by Key Vault's rules and answers with its messages.
var parser = jwt.NewParser(
	jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
	jwt.WithoutClaimsValidation(),
	// RFC 7515 segments are unpadded base64url; strict decoding also
	// refuses stray bits in the last character. Together with the line
	// break check in Verify one signed token has exactly one spelling.
	jwt.WithStrictDecoding(),
)

// decodeSegment decodes one canonical base64url segment, as the parser
// does. The decoder skips CR and LF even when strict, so they are refused
// first.
func decodeSegment(seg string) ([]byte, error) {
	if strings.ContainsAny(seg, "\r\n") {
		return nil, errors.New("token: line break in a segment")
	}
	return parser.DecodeSegment(seg)
}

// payload is a token's claims as raw JSON: Key signs and verifies it, and
// callers decode the claims they judge. Its jwt.Claims methods only
// satisfy the library, whose claim checks are off.
type payload []byte

func (p payload) MarshalJSON() ([]byte, error) { return p, nil }

func (p *payload) UnmarshalJSON(b []byte) error {
	*p = append((*p)[:0], b...)
	return nil
}

func (payload) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (payload) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (payload) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (payload) GetIssuer() (string, error)                   { return "", nil }
func (payload) GetSubject() (string, error)                  { return "", nil }
func (payload) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// Sign returns a compact RS256 JWS over the JSON encoding of claims, with
// this key's kid in the header. Callers choose the claims; Issuer.Issue is
// the access-token shape.
func (k *Key) Sign(claims any) (string, error) {
	body, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("token: encode claims: %w", err)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, payload(body))
	t.Header["kid"] = k.id
	signed, err := t.SignedString(k.private)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return signed, nil
}

// Verify checks that raw is a compact JWS signed with RS256 by this key and
// returns its decoded payload. It checks no claims. Failures are *Error
// values with Reason ReasonMalformed (not three canonical unpadded
// base64url parts, or an
// undecodable header or payload), ReasonUnknownKey (an algorithm other than
// RS256, or a kid other than ID(): the key the token names cannot be
// resolved here) or ReasonSignature.
func (k *Key) Verify(raw string) ([]byte, error) {
	var p payload
	// The parser splits raw into exactly three segments and decodes each
	// strictly, but base64 skips CR and LF even then: a token with line
	// breaks would verify as a second spelling of the same token. They are
	// looked for first, so such a token costs no RSA check.
	if strings.ContainsAny(raw, "\r\n") {
		return nil, k.refusal(raw)
	}
	if _, err := parser.ParseWithClaims(raw, &p, k.verificationKey); err != nil {
		return nil, k.refusal(raw)
	}
	return p, nil
}

// verificationKey is the parser's key lookup: the token must name this key.
func (k *Key) verificationKey(t *jwt.Token) (any, error) {
	if kid, _ := t.Header["kid"].(string); kid != k.id {
		return nil, errors.New("token: kid is not this key's")
	}
	return k.Public(), nil
}

// refusal says why the parser refused raw, as Key Vault would: the first
// of structure, the key the header names, the signature, and last the
// payload's encoding, that fails. The parser meets these in another order
// (it decodes the payload before it checks the signature) and does not
// say which failed in a way worth depending on.
func (k *Key) refusal(raw string) *Error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return malformed()
	}
	var h header
	if head, err := decodeSegment(parts[0]); err != nil || json.Unmarshal(head, &h) != nil {
		return malformed()
	}
	if h.Alg != jwt.SigningMethodRS256.Alg() || h.Kid != k.id {
		return unknownKey(parts[0])
	}
	sig, err := decodeSegment(parts[2])
	if err != nil || jwt.SigningMethodRS256.Verify(parts[0]+"."+parts[1], sig, k.Public()) != nil {
		return signatureInvalid()
	}
	// The signature verifies over a payload segment that is not canonical
	// base64url (or not JSON).
	return malformed()
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
