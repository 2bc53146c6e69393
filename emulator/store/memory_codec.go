package store

import (
	"encoding/binary"
	"strings"
	"time"
	"unsafe"
)

// Memory keeps each record's versions encoded in one byte slice instead of
// a []Version of structs, strings, maps and times: 100k secrets × 3
// versions of 64-byte values take about half the heap they took as structs
// (BenchmarkMemoryFootprint), and a read decodes only the version it
// returns. A read decodes into fresh structs and maps (strings point into
// the immutable encoding), so callers get a private copy without a separate
// clone.
//
// One version is encoded as
//
//	uvarint(length of the rest)
//	id           uvarint(len) + bytes
//	value        uvarint(len) + bytes
//	contentType  uvarint(len) + bytes
//	tags         uvarint(0) for nil, else uvarint(n+1) + n × (key, value)
//	flags        byte: 1 enabled, 2 nbf present, 4 exp present
//	created, updated[, nbf][, exp]  byte length + time.Time.AppendBinary
//
// This format lives only in process memory; nothing is ever read back
// from disk in it.

const (
	flagEnabled = 1 << iota
	flagNotBefore
	flagExpires
)

func appendVersion(b []byte, v *Version) []byte {
	var scratch [256]byte
	body := scratch[:0]
	body = appendBytes(body, v.ID)
	body = appendBytes(body, v.Value)
	body = appendBytes(body, v.ContentType)
	if v.Tags == nil {
		body = binary.AppendUvarint(body, 0)
	} else {
		body = binary.AppendUvarint(body, uint64(len(v.Tags))+1)
		for k, val := range v.Tags {
			body = appendBytes(body, k)
			body = appendBytes(body, val)
		}
	}
	var flags byte
	if v.Enabled {
		flags |= flagEnabled
	}
	if v.NotBefore != nil {
		flags |= flagNotBefore
	}
	if v.Expires != nil {
		flags |= flagExpires
	}
	body = append(body, flags)
	body = appendTime(body, v.Created)
	body = appendTime(body, v.Updated)
	if v.NotBefore != nil {
		body = appendTime(body, *v.NotBefore)
	}
	if v.Expires != nil {
		body = appendTime(body, *v.Expires)
	}
	b = binary.AppendUvarint(b, uint64(len(body)))
	return append(b, body...)
}

func appendBytes(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendTime(b []byte, t time.Time) []byte {
	at := len(b)
	b = append(b, 0)
	b, err := t.AppendBinary(b)
	if err != nil {
		// Only a zone offset that is not a whole minute fails; no clock
		// or wire input produces one. Keep the instant in UTC.
		b, _ = t.UTC().AppendBinary(b[:at+1])
	}
	b[at] = byte(len(b) - at - 1)
	return b
}

// versionDecoder reads versions encoded by appendVersion. The encoding is
// this process's own, so it is trusted: a malformed one is a bug and
// panics.
type versionDecoder struct{ b []byte }

// skip passes over one version, reporting false at the end.
func (d *versionDecoder) skip() bool {
	if len(d.b) == 0 {
		return false
	}
	n, k := binary.Uvarint(d.b)
	d.b = d.b[k+int(n):]
	return true
}

// idMatches reports whether the next version's id equals id without regard
// to case.
func (d *versionDecoder) idMatches(id string) bool {
	_, k := binary.Uvarint(d.b)
	r := versionDecoder{b: d.b[k:]}
	return strings.EqualFold(r.str(), id)
}

func (d *versionDecoder) next() (Version, bool) {
	if len(d.b) == 0 {
		return Version{}, false
	}
	n, k := binary.Uvarint(d.b)
	r := versionDecoder{b: d.b[k : k+int(n)]}
	d.b = d.b[k+int(n):]
	var v Version
	v.ID = r.str()
	v.Value = r.str()
	v.ContentType = r.str()
	if tags := r.uvarint(); tags > 0 {
		v.Tags = make(map[string]string, tags-1)
		for range tags - 1 {
			k := r.str()
			v.Tags[k] = r.str()
		}
	}
	flags := r.b[0]
	r.b = r.b[1:]
	v.Enabled = flags&flagEnabled != 0
	v.Created = r.time()
	v.Updated = r.time()
	if flags&flagNotBefore != 0 {
		t := r.time()
		v.NotBefore = &t
	}
	if flags&flagExpires != 0 {
		t := r.time()
		v.Expires = &t
	}
	return v, true
}

func (d *versionDecoder) uvarint() uint64 {
	n, k := binary.Uvarint(d.b)
	d.b = d.b[k:]
	return n
}

// str returns the next string without copying it: a memRecord's bytes are
// never changed once encoded (an Update stores new bytes), so strings may
// point into them, and they stay valid after the record is replaced.
func (d *versionDecoder) str() string {
	n := d.uvarint()
	if n == 0 {
		return ""
	}
	s := unsafe.String(&d.b[0], n)
	d.b = d.b[n:]
	return s
}

func (d *versionDecoder) time() time.Time {
	n := int(d.b[0])
	var t time.Time
	if err := t.UnmarshalBinary(d.b[1 : 1+n]); err != nil {
		panic("store: memory record encoding damaged: " + err.Error())
	}
	d.b = d.b[1+n:]
	return t
}

// memRecord is a Record as Memory keeps it.
type memRecord struct {
	name     string
	deleted  *Deletion
	versions []byte // encoded versions, oldest first
	last     int32  // offset of the latest version in versions; -1 when none
	count    int32  // number of versions
}

func encodeRecord(r *Record) memRecord {
	m := memRecord{name: r.Name, last: -1}
	if r.Deleted != nil {
		d := *r.Deleted
		m.deleted = &d
	}
	var b []byte
	for i := range r.Versions {
		m.last = int32(len(b))
		b = appendVersion(b, &r.Versions[i])
	}
	m.count = int32(len(r.Versions))
	if b != nil {
		// Exactly sized: appends over-allocate, and these bytes are kept.
		m.versions = append(make([]byte, 0, len(b)), b...)
	}
	return m
}

// record decodes every version.
func (m *memRecord) record() Record {
	out := m.shell()
	if m.count > 0 {
		out.Versions = make([]Version, 0, m.count)
	}
	d := versionDecoder{b: m.versions}
	for {
		v, ok := d.next()
		if !ok {
			return out
		}
		out.Versions = append(out.Versions, v)
	}
}

// only decodes the version with the given id (compared without regard to
// case), or the latest when id is empty, as Record.only does.
func (m *memRecord) only(id string) Record {
	out := m.shell()
	if id == "" {
		if m.last >= 0 {
			d := versionDecoder{b: m.versions[m.last:]}
			v, _ := d.next()
			out.Versions = []Version{v}
		}
		return out
	}
	// Ids are compared as Record.Version does (ignoring case); the scan
	// decodes only the matching version.
	d := versionDecoder{b: m.versions}
	for len(d.b) > 0 {
		if d.idMatches(id) {
			v, _ := d.next()
			out.Versions = []Version{v}
			return out
		}
		d.skip()
	}
	return out
}

func (m *memRecord) shell() Record {
	out := Record{Name: m.name}
	if m.deleted != nil {
		d := *m.deleted
		out.Deleted = &d
	}
	return out
}
