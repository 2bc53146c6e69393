package store

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The in-memory encoding gives back exactly what was stored: nil and empty
// tags apart, absent and present dates, zones, ids of any shape.
func TestMemoryRecordEncodingRoundTrips(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	nbf := time.Date(2026, 5, 1, 0, 0, 0, 0, berlin)
	exp := time.Date(2027, 1, 1, 0, 0, 0, 123, time.UTC)
	rec := Record{
		Name: "Mixed-Case",
		Versions: []Version{
			{ID: "0123456789abcdef0123456789abcdef", Value: strings.Repeat("v", 300), Enabled: true,
				Created: time.Date(2026, 1, 1, 0, 0, 0, 5, time.UTC), Updated: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
			{ID: "Not-Hex", Value: "", ContentType: "text/plain", Tags: map[string]string{}, NotBefore: &nbf},
			{ID: "ABCDEF0123456789ABCDEF0123456789", Value: "\x00\xff", Tags: map[string]string{"a": "1", "": ""}, Expires: &exp, Created: nbf},
		},
		Deleted: &Deletion{DeletedAt: exp, ScheduledPurge: exp.Add(time.Hour)},
	}
	m := encodeRecord(&rec)
	if diff := cmp.Diff(rec, m.record()); diff != "" {
		t.Errorf("record() differs (-stored +decoded):\n%s", diff)
	}
	for _, id := range []string{"", "not-hex", "abcdef0123456789abcdef0123456789", "0123456789ABCDEF0123456789ABCDEF", "missing"} {
		if diff := cmp.Diff(rec.only(id), m.only(id)); diff != "" {
			t.Errorf("only(%q) differs from Record.only (-want +got):\n%s", id, diff)
		}
	}
	empty := Record{Name: "empty"}
	me := encodeRecord(&empty)
	if diff := cmp.Diff(empty, me.record()); diff != "" {
		t.Errorf("a record without versions: %s", diff)
	}
	if got := me.only(""); len(got.Versions) != 0 {
		t.Errorf("only(\"\") of a record without versions = %v", got.Versions)
	}
}
