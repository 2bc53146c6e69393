package testutil

import (
	"crypto/rsa"
	"os"
	"path/filepath"
	"testing"
)

func moduli(t *testing.T, p *keyPool, n int) []string {
	t.Helper()
	var out []string
	for range n {
		k, err := p.take(poolBits)
		if err != nil {
			t.Fatal(err)
		}
		if k.N.BitLen() != poolBits {
			t.Fatalf("pooled key has %d bits; want %d", k.N.BitLen(), poolBits)
		}
		out = append(out, k.N.String())
	}
	return out
}

func TestKeyPoolHandsEachKeyOutOncePerProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pool")

	// A first process finds the pool empty: it generates and stores.
	first := moduli(t, &keyPool{dir: dir}, 2)
	if first[0] == first[1] {
		t.Fatal("one process got the same key twice")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("the pool holds %d files after two generated keys; want 2", len(entries))
	}
	if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("pool directory: %v, mode %v; want 0700", err, info.Mode().Perm())
	}

	// A later process takes those two, each once, then generates a third.
	later := moduli(t, &keyPool{dir: dir}, 3)
	seen := map[string]int{}
	for _, n := range append(append([]string{}, first...), later...) {
		seen[n]++
	}
	for _, n := range first {
		if seen[n] != 2 {
			t.Errorf("a stored key was handed out %d times across the two processes; want once each", seen[n]-1)
		}
	}
	if seen[later[2]] != 1 {
		t.Error("with the pool used up, the third key was not a new one")
	}

	// A damaged file is skipped: four takes from three good keys and it
	// give four distinct 2048-bit keys and no error.
	os.WriteFile(filepath.Join(dir, "key-damaged.der"), []byte("not a key"), 0o600)
	got := moduli(t, &keyPool{dir: dir}, 4)
	distinct := map[string]bool{}
	for _, n := range got {
		distinct[n] = true
	}
	if len(distinct) != 4 {
		t.Errorf("%d distinct keys in four takes; want 4", len(distinct))
	}
}

func TestKeyPoolGeneratesOtherSizes(t *testing.T) {
	p := &keyPool{dir: t.TempDir()}
	k, err := p.take(1024)
	if err != nil || k.N.BitLen() != 1024 {
		t.Fatalf("take(1024) = %v bits, %v", bitLen(k), err)
	}
	if entries, _ := os.ReadDir(p.dir); len(entries) != 0 {
		t.Errorf("a 1024-bit key was pooled")
	}
}

func bitLen(k *rsa.PrivateKey) int {
	if k == nil {
		return 0
	}
	return k.N.BitLen()
}
