package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime/debug"
	"time"

	"go.etcd.io/bbolt"
)

// wayOut ends every refusal of a damaged data file: what the user can do.
const wayOut = "; move it aside (the emulator then starts empty) or restore it from a backup"

func damagedf(path, format string, args ...any) error {
	return corruptf("data file %s is damaged (%s)%s", path, fmt.Sprintf(format, args...), wayOut)
}

// bbolt meta page layout (bbolt file format 2): a 16-byte page header,
// then magic, version, page size, flags, root bucket (page, sequence),
// freelist page, high-water page id, transaction id and an FNV-64a
// checksum of the bytes before it.
const (
	metaMagic      = 0xED0CDAED
	metaVersion    = 2
	metaOffset     = 16
	metaChecksumAt = metaOffset + 56
	metaSize       = metaChecksumAt + 8
)

type metaPage struct {
	pageSize        uint32
	root, freelist  uint64
	highWater, txid uint64
}

func readMeta(buf []byte) (metaPage, bool) {
	if len(buf) < metaSize {
		return metaPage{}, false
	}
	le := binary.LittleEndian
	m := buf[metaOffset:]
	if le.Uint32(m[0:]) != metaMagic || le.Uint32(m[4:]) != metaVersion {
		return metaPage{}, false
	}
	h := fnv.New64a()
	h.Write(buf[metaOffset:metaChecksumAt])
	if h.Sum64() != le.Uint64(buf[metaChecksumAt:]) {
		return metaPage{}, false
	}
	return metaPage{pageSize: le.Uint32(m[8:]), root: le.Uint64(m[16:]), freelist: le.Uint64(m[32:]),
		highWater: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, true
}

// noFreelist is bbolt's freelist page id when the freelist is not stored.
const noFreelist = 0xffffffffffffffff

// verifyFile checks an existing data file before it is opened for
// writing, so that a damaged file is refused without a byte written to it
// and without the process dying: bbolt maps the file into memory and
// trusts its page references, so a truncated file faults (SIGBUS) and a
// damaged page panics. It checks the meta pages against the file's size,
// then reads every bucket, key and value in a read-only transaction with
// memory faults turned into panics, which it recovers. Files that are not
// bbolt files at all are left to bbolt's own open errors.
func verifyFile(path string, timeout time.Duration) (err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: open data file %s: %w", path, err)
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("store: open data file %s: %w", path, err)
	}
	size := info.Size()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	f.Close()
	head = head[:n]
	if size == 0 {
		return nil
	}
	m0, ok0 := readMeta(head)
	var m metaPage
	switch {
	case ok0:
		m = m0
		if ps := int(m0.pageSize); ps > 0 && ps+metaSize <= len(head) {
			if m1, ok1 := readMeta(head[ps:]); ok1 && m1.txid > m0.txid {
				m = m1
			}
		}
	default:
		// Meta page 0 torn: try meta page 1 at the usual page sizes.
		found := false
		for _, ps := range []int{4096, 8192, 16384, 65536 / 2} {
			if ps+metaSize <= len(head) {
				if m1, ok1 := readMeta(head[ps:]); ok1 && int(m1.pageSize) == ps {
					m, found = m1, true
					break
				}
			}
		}
		if !found {
			return nil // not a bbolt file: bbolt says so
		}
	}
	ps := uint64(m.pageSize)
	if ps < 1024 || ps > 1<<20 {
		return damagedf(path, "page size %d", ps)
	}
	if need := m.highWater * ps; uint64(size) < need {
		return damagedf(path, "truncated: %d bytes, its pages need %d", size, need)
	}
	if m.root >= m.highWater || (m.freelist != noFreelist && m.freelist >= m.highWater) {
		return damagedf(path, "meta page points past the end of the data")
	}
	return walkFile(path, timeout)
}

// walkFile reads every page a reader can reach, read-only.
func walkFile(path string, timeout time.Duration) (err error) {
	defer guardFault(path, &err)()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: timeout})
	if err != nil {
		// In use, or not a bbolt file: the read-write open reports it.
		return nil
	}
	defer db.Close()
	return db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return walkBucket(b)
		})
	})
}

func walkBucket(b *bbolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if child := b.Bucket(k); child != nil {
				return walkBucket(child)
			}
		}
		return nil
	})
}

// guardFault turns a memory fault or a bbolt panic on a damaged page,
// during a call on an open store, into an ErrCorrupt error, so the
// request fails (500) and the process stays up. Use as
//
//	defer guardFault(b.path, &err)()
func guardFault(path string, err *error) func() {
	old := debug.SetPanicOnFault(true)
	return func() {
		debug.SetPanicOnFault(old)
		if p := recover(); p != nil {
			*err = corruptf("data file %s is damaged (%v)%s", path, p, wayOut)
		}
	}
}
