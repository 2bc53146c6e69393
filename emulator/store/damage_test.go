package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go.etcd.io/bbolt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/emulator/store"
)

// damagedSource writes a data file of about 3 MB (2,000 records) once per
// test and returns its bytes.
func damagedSource(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "source.db")
	b, err := store.OpenBolt(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// One transaction instead of 2,000 synced Updates.
	value := strings.Repeat("v", 1000)
	withBolt(t, path, func(tx *bbolt.Tx) error {
		vault, err := tx.Bucket([]byte("vaults")).CreateBucket([]byte("vault"))
		if err != nil {
			return err
		}
		for i := range 2000 {
			name := fmt.Sprintf("secret-%04d", i)
			data, err := json.Marshal(store.Record{Name: name, Versions: []store.Version{{ID: fmt.Sprintf("%032x", i), Value: value, Enabled: true,
				Created: time.Unix(1, 0).UTC(), Updated: time.Unix(1, 0).UTC()}}})
			if err != nil {
				return err
			}
			if err := vault.Put([]byte(store.Key(name)), data); err != nil {
				return err
			}
		}
		return nil
	})
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A truncated data file is refused at open with one line naming the file
// and the way out, and is left byte for byte as it was: no SIGBUS, no
// "ready" emulator that later panics or answers 404 for secrets that
// exist, no start-up commit into the damaged file (issue 11, item 3).
func TestBoltRefusesTruncatedFile(t *testing.T) {
	full := damagedSource(t)
	if len(full) < 2<<20 {
		t.Fatalf("source file is %d bytes; the 1 MB case needs more", len(full))
	}
	for _, size := range []int{8 << 10, 12 << 10, len(full) / 2, 1 << 20} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data.db")
			damaged := full[:size]
			if err := os.WriteFile(path, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			b, err := store.OpenBolt(path, &store.BoltOptions{LockTimeout: 200 * time.Millisecond})
			if err == nil {
				b.Close()
				t.Fatal("OpenBolt accepted a truncated file")
			}
			msg := err.Error()
			if !errors.Is(err, store.ErrCorrupt) || strings.Contains(msg, "\n") ||
				!strings.HasPrefix(msg, "store: data file "+path+" is damaged") ||
				!strings.HasSuffix(msg, "; move it aside (the emulator then starts empty) or restore it from a backup") {
				t.Errorf("error = %q; want one ErrCorrupt line naming the file and the way out", msg)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(after, damaged) {
				t.Errorf("the refused file was modified (%d bytes, was %d)", len(after), len(damaged))
			}
		})
	}
}

// Damage that appears while the store is open (the file truncated
// underneath) makes calls fail with ErrCorrupt instead of killing the
// process with SIGBUS.
func TestBoltFaultDuringUseIsAnError(t *testing.T) {
	full := damagedSource(t)
	path := filepath.Join(t.TempDir(), "data.db")
	if err := os.WriteFile(path, full, 0o600); err != nil {
		t.Fatal(err)
	}
	b := openBolt(t, path)
	ctx := context.Background()
	if _, err := b.Get(ctx, "vault", "secret-1999"); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 8<<10); err != nil {
		t.Fatal(err)
	}
	_, err := b.Get(ctx, "vault", "secret-1999")
	if !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("Get from a file truncated underneath: %v, want ErrCorrupt", err)
	}
	_, err = b.List(ctx, "vault", "", 0)
	if !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("List from a file truncated underneath: %v, want ErrCorrupt", err)
	}
}
