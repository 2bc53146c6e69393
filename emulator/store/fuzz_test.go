package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// corruptRecord is the whole vocabulary of a record decoding error: the
// vault and key it was stored under and a position or a field path of the
// record format, never any other stored byte.
var corruptDetail = regexp.MustCompile(`^(undecodable|checksum mismatch|invalid JSON at byte \d+|field "[A-Za-z.]*" has the wrong type)$`)

// FuzzDecodeRecord feeds arbitrary bytes to the decoder of records read
// from the data file. It never panics; a refusal matches ErrCorrupt, is one
// line and quotes nothing of the record; an accepted record encodes and
// decodes back to itself, so the emulator can rewrite what it read.
func FuzzDecodeRecord(f *testing.F) {
	for _, seed := range []string{
		`{"name":"db","versions":[{"id":"0123456789abcdef0123456789abcdef","value":"v","enabled":true,` +
			`"created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z"}]}`,
		`{"name":"db","versions":[{"id":"a","value":"s3cr3t","tags":{"k":"v"},"nbf":"2026-01-02T03:04:05+01:00",` +
			`"exp":"2027-01-02T03:04:05.123456789Z","enabled":false,"created":"0001-01-01T00:00:00Z","updated":"9999-12-31T23:59:59Z"}],` +
			`"deleted":{"deletedAt":"2026-01-02T03:04:05Z","scheduledPurge":"2026-04-02T03:04:05Z"}}`,
		`{"name":"db","versions":[]}`, `{"name":"db"}`, `{}`, `null`, `[]`, ``, `{"name":"db","versions":[{"value":5}]}`,
		`{"name":"db","versions":[{"value":"hunter2`, `{"name":"db","versions":[{"created":"hunter2"}]}`,
		`{"name":"db","versions":[{"tags":{"hunter2":1}}]}`, `{"name":"\xff","versions":[{"value":"\xfe"}]}`,
		`{"name":"db","deleted":{"deletedAt":"2026-13-40T00:00:00Z"}}`, `{"name":"db","versions":[{"nbf":null,"exp":"2026-01-02T03:04:05-23:59"}]}`,
	} {
		f.Add("kv1", []byte("db"), []byte(seed))
	}
	f.Fuzz(func(t *testing.T, vault string, key, data []byte) {
		rec, err := decodeRecord(vault, key, data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("refusal %v does not match ErrCorrupt", err)
			}
			msg := err.Error()
			prefix := fmt.Sprintf("store: vault %q key %q holds a corrupt record: ", vault, key)
			detail, ok := strings.CutPrefix(msg, prefix)
			if !ok || !corruptDetail.MatchString(detail) {
				t.Fatalf("refusal %q says more than the vault, key and a position or field", msg)
			}
			return
		}
		again, err := json.Marshal(rec)
		if err != nil {
			t.Fatalf("decoded record does not encode: %v", err)
		}
		back, err := decodeRecord(vault, key, again)
		if err != nil {
			t.Fatalf("re-encoded record %s does not decode: %v", again, err)
		}
		// An empty map and no map are one record: tags {} is not written back.
		if diff := cmp.Diff(rec, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("record changed through encoding (-read +re-read):\n%s", diff)
		}
	})
}
