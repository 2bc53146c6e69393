package testutil

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/secretkit/secretkit/internal/atomicfile"
	"github.com/secretkit/secretkit/internal/keygen"
)

// PoolSigningKeys makes the RSA-2048 keys that in-process emulators would
// generate come from a pool kept in the user's cache directory, made once
// per machine: generating one costs tens of milliseconds (hundreds under
// -race) and the suite starts about 170 emulators.
//
// Within one process each pooled key is handed out at most once, so two
// emulators never share a key, as they would not in production; when the
// pool runs dry a key is generated as before and added to the pool for the
// next run. Other sizes are always generated. Call it from TestMain or from
// an init function in a _test.go file, before any emulator starts.
func PoolSigningKeys() { keygen.RSA = signingKeys.take }

// poolBits is the one size pooled: the emulator's signing keys.
const poolBits = 2048

// maxPooled bounds the pool on disk; the busiest test binary takes about 80.
const maxPooled = 256

var signingKeys = keyPool{dir: defaultPoolDir()}

func defaultPoolDir() string {
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "secretkit-test", "rsa-2048")
}

// keyPool hands out the keys stored as PKCS#1 DER files in dir, each once.
type keyPool struct {
	dir string // "" disables the pool

	mu     sync.Mutex
	listed bool
	unused []string // files not yet handed out by this process
	stored int      // files in dir when listed, plus those this process added
}

func (p *keyPool) take(bits int) (*rsa.PrivateKey, error) {
	if bits != poolBits || p.dir == "" {
		return keygen.Fresh(bits)
	}
	for {
		path, ok := p.next()
		if !ok {
			break
		}
		der, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		k, err := x509.ParsePKCS1PrivateKey(der)
		if err != nil || k.N.BitLen() != bits {
			continue // never written by put; leave it to whoever did
		}
		return k, nil
	}
	k, err := keygen.Fresh(bits)
	if err == nil {
		p.put(k)
	}
	return k, err
}

func (p *keyPool) next() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.listed {
		p.listed = true
		entries, _ := os.ReadDir(p.dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".der") && e.Type().IsRegular() {
				p.unused = append(p.unused, filepath.Join(p.dir, e.Name()))
			}
		}
		p.stored = len(p.unused)
	}
	if len(p.unused) == 0 {
		return "", false
	}
	path := p.unused[0]
	p.unused = p.unused[1:]
	return path, true
}

// put stores k for later processes; this one has taken it already. A
// failure only means the next run generates that key again.
func (p *keyPool) put(k *rsa.PrivateKey) {
	p.mu.Lock()
	full := p.stored >= maxPooled
	if !full {
		p.stored++
	}
	p.mu.Unlock()
	if full || os.MkdirAll(p.dir, 0o700) != nil {
		return
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	path := filepath.Join(p.dir, "key-"+hex.EncodeToString(id[:])+".der")
	_, _ = atomicfile.Create(path, x509.MarshalPKCS1PrivateKey(k), 0o600)
}
