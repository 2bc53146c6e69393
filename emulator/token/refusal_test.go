package token

import (
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/secretkit/secretkit/emulator/clock"
)

// TestRefusalOrder pins which reason wins when a token is wrong in more
// than one way: structure, then the key the header names, then the
// signature, then the payload's encoding. golang-jwt decodes the payload
// before it checks the signature, so these are the cases where its order
// and Key Vault's differ.
func TestRefusalOrder(t *testing.T) {
	k := newKeyForTest(t)
	ours := map[string]string{"alg": "RS256", "typ": "JWT", "kid": k.ID()}
	good := forge(t, k.private, ours, goodClaims(start))
	parts := strings.Split(good, ".")
	none := b64([]byte(`{"alg":"none"}`))
	null := b64([]byte(`null`))
	cases := []struct {
		name   string
		raw    string
		reason Reason
	}{
		{"undecodable payload, our signature over other bytes", parts[0] + ".!!!." + parts[2], ReasonSignature},
		{"payload not JSON, our signature over other bytes", parts[0] + "." + b64([]byte("{not json")) + "." + parts[2], ReasonSignature},
		{"undecodable payload under alg none", none + ".!!!.", ReasonUnknownKey},
		{"undecodable payload and signature under our header", parts[0] + ".!!!.***", ReasonSignature},
		{"null header", null + "." + parts[1] + "." + parts[2], ReasonUnknownKey},
		{"header alg not a string", b64([]byte(`{"alg":5}`)) + "." + parts[1] + "." + parts[2], ReasonMalformed},
		{"payload undecodable, signature ours over it", forgeRaw(t, k, parts[0], "!!!"), ReasonMalformed},
	}
	v := &Validator{Key: k, Tenant: tenant, Clock: clock.NewFixed(start)}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Validate(c.raw)
			var te *Error
			if !errors.As(err, &te) || te.Reason != c.reason {
				t.Errorf("Validate = %v, want reason %d", err, c.reason)
			}
		})
	}
}

// forgeRaw signs the encoded header and payload segments as they are,
// even when the payload segment is not base64url.
func forgeRaw(t *testing.T, k *Key, head, body string) string {
	t.Helper()
	sig, err := jwt.SigningMethodRS256.Sign(head+"."+body, k.private)
	if err != nil {
		t.Fatal(err)
	}
	return head + "." + body + "." + b64(sig)
}
