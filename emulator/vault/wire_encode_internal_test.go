package vault

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppendSecret checks the hand-written encoder against encoding/json on
// every field, with strings that need escaping (HTML characters, control
// characters, invalid UTF-8, U+2028).
func FuzzAppendSecret(f *testing.F) {
	f.Add("hunter2", "https://v.vault.azure.net/secrets/a/0123", "text/plain", "env", "dev", int64(1700000000), true, true)
	f.Add("<script>&\"\\\n\t\r\b\f\x01\x7f", "id", "", "", "", int64(-1), false, false)
	f.Add("\xff\xfe bad utf8 \u2028 \u2029 é 日本", "\u2028", "a\x00b", "k\"", "<v>", int64(0), true, false)
	f.Fuzz(func(t *testing.T, value, id, contentType, tagKey, tagValue string, n int64, withValue, deleted bool) {
		s := wireSecret{ID: id, ContentType: contentType,
			Attributes: wireAttributes{Enabled: withValue, Created: n, Updated: n / 2, RecoveryLevel: tagValue, RecoverableDays: int(n % 91)}}
		if withValue {
			s.Value = &value
			s.Attributes.NotBefore = &n
		}
		if tagKey != "" {
			s.Tags = map[string]string{tagKey: tagValue, tagKey + "2": value, "a": ""}
		}
		if deleted {
			s.RecoveryID = value
			s.DeletedDate, s.ScheduledPurgeDate, s.Attributes.Expires = &n, &n, &n
		}
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendSecret(nil, &s); !bytes.Equal(got, want) {
			t.Fatalf("appendSecret differs from json.Marshal:\n got %s\nwant %s", got, want)
		}
		next := "https://v/secrets?$skiptoken=" + value
		for _, p := range []wirePage{{}, {Value: []wireSecret{}}, {Value: []wireSecret{s, s}, NextLink: &next}} {
			want, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := appendPage(nil, &p); !bytes.Equal(got, want) {
				t.Fatalf("appendPage differs from json.Marshal:\n got %s\nwant %s", got, want)
			}
		}
	})
}
