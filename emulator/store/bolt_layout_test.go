package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	// No 1 s race-detector pause at exit (see the package).
	_ "github.com/secretkit/secretkit/internal/raceexit"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	"github.com/secretkit/secretkit/emulator/store"
	"github.com/secretkit/secretkit/emulator/store/storetest"
)

// A data file written in format 1 (every version inline in one value)
// opens, reads in full, is marked format 2, and its records move to the
// format 2 layout as they are next written, losing nothing.
func TestBoltReadsAndUpgradesFormat1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	old := storetest.SampleRecord("Legacy")
	for i := len(old.Versions); i < 4; i++ {
		v := old.Versions[0]
		v.ID = fmt.Sprintf("%032x", i+100)
		old.Versions = append(old.Versions, v)
	}
	withBolt(t, path, func(tx *bbolt.Tx) error {
		meta, err := tx.CreateBucket([]byte("meta"))
		if err != nil {
			return err
		}
		if err := meta.Put([]byte("format"), []byte("1")); err != nil {
			return err
		}
		vaults, err := tx.CreateBucket([]byte("vaults"))
		if err != nil {
			return err
		}
		v1, err := vaults.CreateBucket([]byte("v1"))
		if err != nil {
			return err
		}
		data, err := json.Marshal(old)
		if err != nil {
			return err
		}
		return v1.Put([]byte("legacy"), data)
	})

	b := openBolt(t, path)
	got, err := b.Get(ctx, "v1", "legacy")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(old, got); diff != "" {
		t.Fatalf("format 1 record read back differently (-want +got):\n%s", diff)
	}
	for _, id := range []string{"", old.Versions[1].ID} {
		one, err := b.GetVersion(ctx, "v1", "legacy", id)
		if err != nil {
			t.Fatal(err)
		}
		want := old.Clone()
		want.Versions = want.Versions[len(want.Versions)-1:]
		if id != "" {
			want.Versions = old.Clone().Versions[1:2]
		}
		if diff := cmp.Diff(want, one); diff != "" {
			t.Errorf("GetVersion(%q) of a format 1 record (-want +got):\n%s", id, diff)
		}
	}
	next := old.Clone()
	next.Versions = append(next.Versions, next.Versions[0])
	next.Versions[len(next.Versions)-1].ID = fmt.Sprintf("%032x", 999)
	storetest.Put(t, b, "v1", next)
	b.Close()

	b = openBolt(t, path)
	got, err = b.Get(ctx, "v1", "LEGACY")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(next, got); diff != "" {
		t.Errorf("record rewritten in format 2 read back differently (-want +got):\n%s", diff)
	}
	for i, v := range next.Versions {
		one, err := b.GetVersion(ctx, "v1", "legacy", v.ID)
		if err != nil || len(one.Versions) != 1 || one.Versions[0].ID != v.ID {
			t.Errorf("GetVersion of version %d (%s) = %+v, %v", i, v.ID, one.Versions, err)
		}
	}
	// Removing the record leaves no history behind: a new record of the
	// same name starts with only its own version.
	if _, _, err := b.Update(ctx, "v1", "legacy", func(store.Record, bool) (*store.Record, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	fresh := storetest.SampleRecord("legacy")
	fresh.Versions = fresh.Versions[:1]
	storetest.Put(t, b, "v1", fresh)
	if got, err := b.Get(ctx, "v1", "legacy"); err != nil || len(got.Versions) != 1 {
		t.Errorf("after purge and re-create: %d versions, %v; want 1", len(got.Versions), err)
	}
	b.Close()

	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_ = db.View(func(tx *bbolt.Tx) error {
		if f := string(tx.Bucket([]byte("meta")).Get([]byte("format"))); f != "2" {
			t.Errorf("format after opening a format 1 file = %q; want 2", f)
		}
		return nil
	})
}
