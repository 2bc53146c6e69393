package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Layout of a Bolt data file, format version 1 (format 2, which this build
// writes, is described in bolt_layout.go):
//
//	meta   (bucket)  "format" → "1" (decimal ASCII)
//	vaults (bucket)  one nested bucket per vault name;
//	                 key Key(name) → JSON encoding of Record (the struct
//	                 tags in store.go are the schema; times are RFC 3339
//	                 with nanoseconds), followed by a checksum trailer
//	                 (checksum.go; records without one still read).
//
// A future layout bumps boltFormat and migrates older files in OpenBolt;
// a file written by a newer build is refused rather than misread.
const boltFormat = 2

var (
	bucketMeta   = []byte("meta")
	bucketVaults = []byte("vaults")
	keyFormat    = []byte("format")
)

// DefaultLockTimeout is how long OpenBolt waits for another process to
// release a data file when BoltOptions.LockTimeout is zero.
const DefaultLockTimeout = time.Second

// ErrDataFileInUse is matched (errors.Is) by the error OpenBolt returns when
// another process holds the data file open.
var ErrDataFileInUse = errors.New("store: data file is in use by another process")

// ErrCorrupt is matched (errors.Is) by errors about stored data that cannot
// be read: an unreadable data file at open, or one undecodable record. The
// messages name the file, vault and key, never stored values.
var ErrCorrupt = errors.New("store: stored data is corrupt")

// BoltOptions tunes OpenBolt; a nil *BoltOptions means the defaults.
type BoltOptions struct {
	// LockTimeout bounds the wait for another process to release the data
	// file; zero means DefaultLockTimeout. Waiting forever is not offered:
	// a second emulator on the same file must fail, not hang.
	LockTimeout time.Duration
}

// Bolt is a Store kept in one bbolt file. Every Update is one bbolt write
// transaction that is fsynced before it commits, so a write Update
// acknowledged survives a crash of the process or the machine. Writes are
// serialised by bbolt (one writer at a time); reads run in parallel with
// them.
type Bolt struct {
	db     *bbolt.DB
	path   string
	closed atomic.Bool
}

var _ Store = (*Bolt)(nil)

type fileInUseError struct{ path string }

func (e fileInUseError) Error() string {
	return "store: data file " + e.path + " is in use by another process"
}

func (e fileInUseError) Is(target error) bool { return target == ErrDataFileInUse }

// corruptError reads naturally ("store: data file X is ...") yet still
// matches ErrCorrupt.
type corruptError struct{ msg string }

func (e *corruptError) Error() string { return "store: " + e.msg }

func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }

func corruptf(format string, args ...any) error {
	return &corruptError{msg: fmt.Sprintf(format, args...)}
}

// OpenBolt opens the data file at path, creating it (mode 0600) when it
// does not exist. It fails with an error matching ErrDataFileInUse when
// another process has the file open and does not release it within the
// lock timeout, and with one matching ErrCorrupt when the file is not a
// readable store of a format this build knows.
func OpenBolt(path string, opts *BoltOptions) (*Bolt, error) {
	timeout := DefaultLockTimeout
	if opts != nil && opts.LockTimeout > 0 {
		timeout = opts.LockTimeout
	}
	// A damaged file is refused before bbolt opens it for writing (and
	// before it could fault on it).
	if err := verifyFile(path, timeout); err != nil {
		return nil, err
	}
	db, err := openGuarded(path, timeout)
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, fileInUseError{path: path}
	case errors.Is(err, bolterrors.ErrInvalid),
		errors.Is(err, bolterrors.ErrVersionMismatch),
		errors.Is(err, bolterrors.ErrChecksum):
		return nil, corruptf("data file %s is not a readable store (%v)", path, err)
	case err != nil:
		return nil, fmt.Errorf("store: open data file %s: %w", path, err)
	}
	if err := prepareFile(db, path); err != nil {
		db.Close()
		return nil, err
	}
	tuneBatches(db)
	return &Bolt{db: db, path: path}, nil
}

// openGuarded is bbolt.Open with memory faults and panics on damage the
// checks missed turned into an error.
func openGuarded(path string, timeout time.Duration) (db *bbolt.DB, err error) {
	defer guardFault(path, &err)()
	return bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout})
}

// view and update run a transaction; a fault or panic on a damaged page
// becomes an ErrCorrupt error, so one request fails and the process stays.
func (b *Bolt) view(fn func(*bbolt.Tx) error) (err error) {
	defer guardFault(b.path, &err)()
	return b.db.View(fn)
}

func (b *Bolt) update(fn func(*bbolt.Tx) error) (err error) {
	defer guardFault(b.path, &err)()
	return b.db.Update(fn)
}

// batch is update as a group commit (bbolt's Batch). fn may run on another
// caller's goroutine or on bbolt's timer goroutine, and SetPanicOnFault
// holds per goroutine, so the guard is installed inside fn as well.
func (b *Bolt) batch(fn func(*bbolt.Tx) error) (err error) {
	defer guardFault(b.path, &err)()
	return b.db.Batch(func(tx *bbolt.Tx) (err error) {
		defer guardFault(b.path, &err)()
		return fn(tx)
	})
}

// prepareFile lays out a new file, or checks that an existing one is ours
// and of a known format. An existing file is only read: the check commits
// nothing. bbolt panics on some kinds of damaged pages; that is turned
// into an open error here so a bad file never crashes the emulator at
// start.
func prepareFile(db *bbolt.DB, path string) (err error) {
	defer guardFault(path, &err)()
	format := 0 // stays 0 for a file not laid out yet
	err = db.View(func(tx *bbolt.Tx) (err error) {
		if tx.Bucket(bucketMeta) != nil {
			format, err = checkLayout(path, tx)
		}
		return err
	})
	if err != nil {
		return err
	}
	if format == 1 {
		// The file was verified before bbolt opened it (verifyFile), so a
		// format 1 file may now be marked format 2: nothing else changes.
		return db.Update(func(tx *bbolt.Tx) error { return upgradeLayout(tx, tx.Bucket(bucketMeta)) })
	}
	if format != 0 {
		return nil
	}
	return db.Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			empty := true
			_ = tx.ForEach(func([]byte, *bbolt.Bucket) error { empty = false; return nil })
			if !empty {
				return corruptf("data file %s holds a bbolt database that is not a secretkit store", path)
			}
			meta, err := tx.CreateBucket(bucketMeta)
			if err != nil {
				return err
			}
			if err := meta.Put(keyFormat, []byte(strconv.Itoa(boltFormat))); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(bucketHistory); err != nil {
				return err
			}
			_, err = tx.CreateBucket(bucketVaults)
			return err
		}
		_, err := checkLayout(path, tx)
		return err
	})
}

// checkLayout checks that a laid-out file is ours and of a known format,
// and returns the format. It writes nothing: a format 1 file still needs
// upgradeLayout.
func checkLayout(path string, tx *bbolt.Tx) (int, error) {
	meta := tx.Bucket(bucketMeta)
	raw := meta.Get(keyFormat)
	format, convErr := strconv.Atoi(string(raw))
	switch {
	case convErr != nil:
		return 0, corruptf("data file %s has no readable format version", path)
	case format > boltFormat:
		return 0, corruptf("data file %s has format version %d; this build reads up to %d", path, format, boltFormat)
	case format < 1:
		return 0, corruptf("data file %s has invalid format version %d", path, format)
	}
	if tx.Bucket(bucketVaults) == nil {
		return 0, corruptf("data file %s has no vaults bucket", path)
	}
	if format >= 2 && tx.Bucket(bucketHistory) == nil {
		return 0, corruptf("data file %s has no history bucket", path)
	}
	return format, nil
}

// Path returns the data file's path.
func (b *Bolt) Path() string { return b.path }

// closedOr maps bbolt's error for a database closed under a running call
// to ErrClosed, so callers see one error for "closed" whatever the timing.
func closedOr(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// decodeRecord reads one stored record. Its error carries the position of
// a syntax error but never any stored bytes: a record holds secret values.
func decodeRecord(vault string, key, data []byte) (Record, error) {
	js, ok := openRecord(data)
	if !ok {
		return Record{}, corruptf("vault %q key %q holds a corrupt record: checksum mismatch", vault, key)
	}
	var rec Record
	err := json.Unmarshal(js, &rec)
	if err == nil {
		return rec, nil
	}
	detail := "undecodable"
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		detail = fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		detail = fmt.Sprintf("field %q has the wrong type", typ.Field)
	}
	return Record{}, corruptf("vault %q key %q holds a corrupt record: %s", vault, key, detail)
}

// Get implements Store.
func (b *Bolt) Get(ctx context.Context, vault, name string) (Record, error) {
	return b.read(ctx, vault, name, loadRecord)
}

// GetVersion implements Store, decoding only the version it returns (see
// bolt_layout.go).
func (b *Bolt) GetVersion(ctx context.Context, vault, name, version string) (Record, error) {
	return b.read(ctx, vault, name, func(tx *bbolt.Tx, vault string, key, data []byte) (Record, error) {
		return loadVersion(tx, vault, key, data, version)
	})
}

// read finds vault/name and decodes it with load, under the fault guard.
func (b *Bolt) read(ctx context.Context, vault, name string, load func(tx *bbolt.Tx, vault string, key, data []byte) (Record, error)) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	if b.closed.Load() {
		return Record{}, ErrClosed
	}
	key := []byte(Key(name))
	var rec Record
	err := b.view(func(tx *bbolt.Tx) error {
		bucket := tx.Bucket(bucketVaults).Bucket([]byte(vault))
		if bucket == nil {
			return ErrNotFound
		}
		data := bucket.Get(key)
		if data == nil {
			return ErrNotFound
		}
		var err error
		rec, err = load(tx, vault, key, data)
		return err
	})
	return rec, closedOr(err)
}

// Update implements Store. Concurrent Updates are group-committed (bbolt's
// Batch): the ones that arrive together share one transaction and one
// fsync, and each returns only after that commit, so an acknowledged write
// is as durable as before while 16 writers need one sync, not 16. Because a
// batch that fails on a storage error is retried, a Mutation may run more
// than once; it only ever sees freshly decoded data.
//
// The Mutation runs inside the write transaction
// on a freshly decoded record, and what it returns is encoded, so no
// copies beyond the encoding are made; the returned Record is the
// Mutation's own result. A stored record that cannot be decoded fails the
// Update with ErrCorrupt before the Mutation runs.
func (b *Bolt) Update(ctx context.Context, vault, name string, mutate Mutation) (Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, false, err
	}
	if b.closed.Load() {
		return Record{}, false, ErrClosed
	}
	if vault == "" {
		return Record{}, false, errEmptyVault
	}
	key := []byte(Key(name))
	var written *Record
	// refused is the Mutation's or the encoder's error: returned to this
	// caller alone, with nothing written, while the batch it shared with
	// other callers commits.
	var refused error
	err := b.batch(func(tx *bbolt.Tx) error {
		written, refused = nil, nil
		vaults := tx.Bucket(bucketVaults)
		bucket := vaults.Bucket([]byte(vault))
		var current Record
		exists := false
		if bucket != nil {
			if data := bucket.Get(key); data != nil {
				var err error
				if current, err = loadRecord(tx, vault, key, data); err != nil {
					return err
				}
				exists = true
			}
		}
		next, err := mutate(current, exists)
		if err != nil {
			refused = err
			return nil
		}
		if next == nil {
			if !exists {
				return nil
			}
			return deleteRecord(tx, vaults, vault, key)
		}
		if err := storeRecord(tx, vaults, vault, key, next); err != nil {
			if enc, ok := asEncodeError(err); ok {
				refused = enc
				return nil
			}
			return err
		}
		written = next
		return nil
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return Record{}, false, closedOr(err)
	}
	if written == nil {
		return Record{}, false, nil
	}
	return *written, true, nil
}

// Vaults implements Store.
func (b *Bolt) Vaults(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.closed.Load() {
		return nil, ErrClosed
	}
	var names []string
	err := b.view(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketVaults).ForEachBucket(func(name []byte) error {
			if k, _ := tx.Bucket(bucketVaults).Bucket(name).Cursor().First(); k != nil {
				names = append(names, string(name))
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// List implements Store.
func (b *Bolt) List(ctx context.Context, vault, after string, limit int) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.closed.Load() {
		return nil, ErrClosed
	}
	var out []Record
	err := b.view(func(tx *bbolt.Tx) error {
		bucket := tx.Bucket(bucketVaults).Bucket([]byte(vault))
		if bucket == nil {
			return nil
		}
		c := bucket.Cursor()
		var k, v []byte
		if after == "" {
			k, v = c.First()
		} else {
			start := Key(after)
			k, v = c.Seek([]byte(start))
			if k != nil && string(k) == start {
				k, v = c.Next()
			}
		}
		for ; k != nil && (limit <= 0 || len(out) < limit); k, v = c.Next() {
			rec, err := loadRecord(tx, vault, k, v)
			if err != nil {
				return err
			}
			out = append(out, rec)
		}
		return nil
	})
	if err != nil {
		return nil, closedOr(err)
	}
	return out, nil
}

// Reset implements Store. It is one transaction: a crash leaves either
// everything or nothing.
func (b *Bolt) Reset(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.closed.Load() {
		return ErrClosed
	}
	err := b.update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketVaults, bucketHistory} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		return nil
	})
	return closedOr(err)
}

// Close implements Store. It waits for running calls to finish and
// releases the file lock; a second Close returns nil.
func (b *Bolt) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	return b.db.Close()
}
