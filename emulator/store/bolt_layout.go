package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.etcd.io/bbolt"
)

// Format 2 of a Bolt data file keeps a record's latest version inline and
// every older one under its own key, so reading the latest version, or any
// one version, decodes one small value however many versions the secret
// has (format 1 kept and decoded all of them in one value):
//
//	vaults  (bucket) / vault (bucket) / Key(name) → JSON Record whose
//	        Versions holds only the latest version (none when it has none)
//	history (bucket) / vault (bucket) / Key(name) 0x00 lower(id) → JSON
//	        historyVersion: an older version and its position
//
// A format 1 file is read as it is: its records simply have no history
// entries yet and keep all their versions inline until their next Update
// rewrites them. Opening one marks it format 2 (so an older build, which
// would not see history entries, refuses it) and adds the history bucket.
var bucketHistory = []byte("history")

// historyVersion is one older version with its index in Record.Versions.
type historyVersion struct {
	Index int `json:"i"`
	Version
}

// upgradeLayout turns a format 1 file into format 2; nothing else changes.
func upgradeLayout(tx *bbolt.Tx, meta *bbolt.Bucket) error {
	if _, err := tx.CreateBucketIfNotExists(bucketHistory); err != nil {
		return err
	}
	return meta.Put(keyFormat, []byte("2"))
}

func historyPrefix(key []byte) []byte {
	return append(append(make([]byte, 0, len(key)+33), key...), 0)
}

func historyKey(key []byte, id string) []byte {
	return append(historyPrefix(key), strings.ToLower(id)...)
}

// loadRecord decodes the record stored as data under vault/key with all
// its versions, older ones from the history bucket.
func loadRecord(tx *bbolt.Tx, vault string, key, data []byte) (Record, error) {
	rec, err := decodeRecord(vault, key, data)
	if err != nil {
		return Record{}, err
	}
	hist := tx.Bucket(bucketHistory).Bucket([]byte(vault))
	if hist == nil {
		return rec, nil
	}
	var older []historyVersion
	prefix := historyPrefix(key)
	c := hist.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		h, err := decodeHistory(vault, k, v)
		if err != nil {
			return Record{}, err
		}
		older = append(older, h)
	}
	if len(older) == 0 {
		return rec, nil
	}
	slices.SortFunc(older, func(a, b historyVersion) int { return a.Index - b.Index })
	versions := make([]Version, 0, len(older)+len(rec.Versions))
	for _, h := range older {
		versions = append(versions, h.Version)
	}
	rec.Versions = append(versions, rec.Versions...)
	return rec, nil
}

// loadVersion is loadRecord reduced as Record.only reduces it, reading
// only the inline latest version or the one history entry asked for.
func loadVersion(tx *bbolt.Tx, vault string, key, data []byte, id string) (Record, error) {
	rec, err := decodeRecord(vault, key, data)
	if err != nil {
		return Record{}, err
	}
	if len(rec.Versions) > 1 { // format 1, not rewritten yet
		return rec.only(id), nil
	}
	if id == "" {
		return rec, nil
	}
	if v, ok := rec.Version(id); ok {
		return rec.withVersions([]Version{*v}), nil
	}
	if hist := tx.Bucket(bucketHistory).Bucket([]byte(vault)); hist != nil {
		hk := historyKey(key, id)
		if v := hist.Get(hk); v != nil {
			h, err := decodeHistory(vault, hk, v)
			if err != nil {
				return Record{}, err
			}
			return rec.withVersions([]Version{h.Version}), nil
		}
	}
	return rec.withVersions(nil), nil
}

func decodeHistory(vault string, key, data []byte) (historyVersion, error) {
	var h historyVersion
	js, ok := openRecord(data)
	if !ok {
		return historyVersion{}, corruptf("vault %q key %q holds a corrupt older version: checksum mismatch", vault, bytes.ReplaceAll(key, []byte{0}, []byte("/")))
	}
	if err := json.Unmarshal(js, &h); err != nil {
		// The key holds a version id, never a value; the data is not quoted.
		return historyVersion{}, corruptf("vault %q key %q holds a corrupt older version", vault, bytes.ReplaceAll(key, []byte{0}, []byte("/")))
	}
	return h, nil
}

// storeRecord writes next under vault/key: the record with its latest
// version inline and each older version as a history entry, writing only
// entries whose encoding changed and deleting those of versions next no
// longer has. It returns an encoding error as is (nothing written then).
func storeRecord(tx *bbolt.Tx, vaults *bbolt.Bucket, vault string, key []byte, next *Record) error {
	inline := *next
	older := next.Versions
	if n := len(next.Versions); n > 0 {
		inline.Versions, older = next.Versions[n-1:], next.Versions[:n-1]
	}
	js, err := json.Marshal(&inline)
	if err != nil {
		return errEncode{fmt.Errorf("store: encode record for vault %q key %q: %w", vault, key, err)}
	}
	data := sealRecord(js)
	entries := make(map[string][]byte, len(older))
	for i, v := range older {
		enc, err := json.Marshal(historyVersion{Index: i, Version: v})
		if err != nil {
			return errEncode{fmt.Errorf("store: encode record for vault %q key %q: %w", vault, key, err)}
		}
		entries[string(historyKey(key, v.ID))] = sealRecord(enc)
	}
	bucket, err := vaults.CreateBucketIfNotExists([]byte(vault))
	if err != nil {
		return err
	}
	if err := bucket.Put(key, data); err != nil {
		return err
	}
	hist := tx.Bucket(bucketHistory).Bucket([]byte(vault))
	if hist == nil {
		if len(entries) == 0 {
			return nil
		}
		if hist, err = tx.Bucket(bucketHistory).CreateBucket([]byte(vault)); err != nil {
			return err
		}
	}
	var stale [][]byte
	prefix := historyPrefix(key)
	c := hist.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		want, ok := entries[string(k)]
		switch {
		case !ok:
			stale = append(stale, slices.Clone(k))
		case bytes.Equal(want, v):
			delete(entries, string(k))
		}
	}
	for _, k := range stale {
		if err := hist.Delete(k); err != nil {
			return err
		}
	}
	for k, v := range entries {
		if err := hist.Put([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

// deleteRecord removes vault/key and its history, and the vault's buckets
// once empty.
func deleteRecord(tx *bbolt.Tx, vaults *bbolt.Bucket, vault string, key []byte) error {
	bucket := vaults.Bucket([]byte(vault))
	if err := bucket.Delete(key); err != nil {
		return err
	}
	if hist := tx.Bucket(bucketHistory).Bucket([]byte(vault)); hist != nil {
		prefix := historyPrefix(key)
		c := hist.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		if k, _ := hist.Cursor().First(); k == nil {
			if err := tx.Bucket(bucketHistory).DeleteBucket([]byte(vault)); err != nil {
				return err
			}
		}
	}
	if k, _ := bucket.Cursor().First(); k == nil {
		return vaults.DeleteBucket([]byte(vault))
	}
	return nil
}

// errEncode marks an encoding failure: the caller's own refusal, not a
// storage fault.
type errEncode struct{ err error }

func (e errEncode) Error() string { return e.err.Error() }
func (e errEncode) Unwrap() error { return e.err }

func asEncodeError(err error) (error, bool) {
	var enc errEncode
	if errors.As(err, &enc) {
		return enc.err, true
	}
	return nil, false
}
