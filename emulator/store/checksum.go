package store

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
)

// Records (and, in format 2, older versions in the history bucket) end in a
// checksum:
//
//	JSON encoding of Record || 0x00 || "c1" || CRC-32C of the JSON (big endian)
//
// JSON text never holds a raw 0x00 byte, so the trailer cannot be mistaken
// for part of the record. A record without the trailer (written before
// checksums) is read as plain JSON; any damage to a trailer or to the
// JSON before it is reported as corruption rather than served.
var checksumTag = []byte{0, 'c', '1'}

const checksumTrailer = 3 + 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sealRecord appends the checksum trailer to a record's JSON.
func sealRecord(js []byte) []byte {
	out := append(js, checksumTag...)
	return binary.BigEndian.AppendUint32(out, crc32.Checksum(js, castagnoli))
}

// openRecord returns the JSON of a stored record and whether its checksum
// (when it has one) holds.
func openRecord(data []byte) (js []byte, ok bool) {
	n := len(data)
	if n < checksumTrailer || !bytes.Equal(data[n-checksumTrailer:n-4], checksumTag) {
		return data, true // no trailer: a record from before checksums
	}
	js = data[:n-checksumTrailer]
	return js, crc32.Checksum(js, castagnoli) == binary.BigEndian.Uint32(data[n-4:])
}
