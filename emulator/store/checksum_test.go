package store_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/store/storetest"
)

// A byte flipped inside a stored value leaves valid JSON, which would be
// served as the secret; each record carries a checksum so the flip is
// reported as corruption instead (issue 11, item 3). Records written
// before checksums (plain JSON) still read.
func TestBoltRecordChecksum(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "data.db")
	b := openBolt(t, path)
	rec := storetest.SampleRecord("flip")
	secret := rec.Versions[len(rec.Versions)-1].Value // the latest version is stored inline; older ones in the history bucket
	storetest.Put(t, b, "v1", rec)
	storetest.Put(t, b, "v1", storetest.SampleRecord("flipold"))
	b.Close()

	withBolt(t, path, func(tx *bbolt.Tx) error {
		bucket := tx.Bucket([]byte("vaults")).Bucket([]byte("v1"))
		data := bytes.Clone(bucket.Get([]byte("flip")))
		i := bytes.Index(data, []byte(secret))
		if i < 0 {
			t.Fatal("value not found in the stored record")
		}
		data[i] ^= 0x01 // still valid JSON
		if err := bucket.Put([]byte("flip"), data); err != nil {
			return err
		}
		// An older version's entry is sealed the same way.
		hist := tx.Bucket([]byte("history")).Bucket([]byte("v1"))
		c := hist.Cursor()
		for k, v := c.Seek([]byte("flipold\x00")); k != nil && bytes.HasPrefix(k, []byte("flipold\x00")); k, v = c.Next() {
			if j := bytes.Index(v, []byte("first value of flipold")); j >= 0 {
				flipped := bytes.Clone(v)
				flipped[j] ^= 0x01
				if err := hist.Put(bytes.Clone(k), flipped); err != nil {
					return err
				}
				break
			}
		}
		// A record as written before checksums existed.
		return bucket.Put([]byte("legacy"), []byte(`{"name":"legacy","versions":[{"id":"00000000000000000000000000000001","value":"old","enabled":true,"created":"2026-01-01T00:00:00Z","updated":"2026-01-01T00:00:00Z"}]}`))
	})
	b = openBolt(t, path)
	_, err := b.Get(ctx, "v1", "flip")
	if !errors.Is(err, store.ErrCorrupt) || err.Error() != `store: vault "v1" key "flip" holds a corrupt record: checksum mismatch` {
		t.Errorf("Get of a flipped record: %v; want the checksum refusal", err)
	}
	if err != nil && strings.Contains(err.Error(), secret[1:]) {
		t.Errorf("the error quotes the value: %v", err)
	}
	if _, err := b.Get(ctx, "v1", "flipold"); !errors.Is(err, store.ErrCorrupt) || !strings.Contains(err.Error(), "corrupt older version: checksum mismatch") {
		t.Errorf("Get of a record with a flipped older version: %v; want the checksum refusal", err)
	}
	if got, err := b.Get(ctx, "v1", "legacy"); err != nil || got.Versions[0].Value != "old" {
		t.Errorf("Get of a record without checksum: %+v %v", got, err)
	}
}
