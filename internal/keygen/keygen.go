// Package keygen makes the RSA keys the emulator signs its tokens with.
//
// Generating an RSA-2048 key takes tens of milliseconds, and several times
// that under the race detector; the module's tests start about 170
// emulators, so they replace RSA with a pool of keys made once per machine
// (internal/testutil.PoolSigningKeys). Nothing else changes it.
package keygen

import (
	"crypto/rand"
	"crypto/rsa"
)

// RSA returns a new RSA private key of the given size. It is Fresh except
// in this module's tests.
var RSA = Fresh

// Fresh generates an RSA private key of the given size from crypto/rand.
func Fresh(bits int) (*rsa.PrivateKey, error) { return rsa.GenerateKey(rand.Reader, bits) }
