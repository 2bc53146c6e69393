package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/secretkit/secretkit/internal/keygen"
)

// FuzzClientAssertion feeds arbitrary client assertions and claims
// parameters to the Entra token endpoint's parsers. Nothing may panic, and
// only an assertion signed with the registered certificate's key can pass.
func FuzzClientAssertion(f *testing.F) {
	key, err := keygen.RSA(2048)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "fuzz"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	const client = "11111111-2222-4333-8444-555555555555"
	id := &Identity{Name: "ci", ClientID: client, Certificates: []*x509.Certificate{cert}}
	sum := sha256.Sum256(cert.Raw)
	tok := jwt.NewWithClaims(jwt.SigningMethodPS256, jwt.MapClaims{"aud": "https://h/t/oauth2/v2.0/token", "iss": client, "sub": client,
		"nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "jti": "j"})
	tok.Header["x5t#S256"] = base64.StdEncoding.EncodeToString(sum[:])
	valid, err := tok.SignedString(key)
	if err != nil {
		f.Fatal(err)
	}
	if x := checkCertificateAssertion(valid, id, "t", now); x != nil {
		f.Fatalf("the seed assertion is refused: %v", x)
	}
	f.Add(valid, `{"access_token":{"xms_cc":{"values":["CP1"]}}}`)
	f.Add(valid[:len(valid)-2], `{"access_token":{"nbf":{"essential":true,"value":"1"},"xms_cc":{"values":["cp1","cp2"]}}}`)
	f.Add("eyJhbGciOiJub25lIn0.e30.", `null`)
	f.Add("a.b.c", `{"access_token":[]}`)
	f.Add("", "")
	f.Fuzz(func(t *testing.T, assertion, claims string) {
		_ = requestedCapabilities(claims)
		x := checkCertificateAssertion(assertion, id, "t", now)
		if x == nil && assertion != valid {
			// Another encoding of the same signed token is the only way in.
			if _, err := jwt.Parse(assertion, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
				jwt.WithValidMethods([]string{"RS256", "PS256"}), jwt.WithoutClaimsValidation()); err != nil {
				t.Fatalf("accepted an assertion the key did not sign: %q", assertion)
			}
		}
		if x != nil && (x.aadsts == 0 || strings.TrimSpace(x.text) == "") {
			t.Fatalf("refusal without a code or text: %+v", x)
		}
	})
}
