package emulator

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/secretkit/secretkit/internal/testutil"
)

// A flood of net/http errors yields one WARN line per window, the next
// one counting what was held back.
func TestServerErrorLogSummarisesFloods(t *testing.T) {
	var logs testutil.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newServerErrorLog(slog.New(slog.NewTextHandler(&logs, nil)), func() time.Time { return now })
	for range 1000 {
		l.Print("http: TLS handshake error from 127.0.0.1:1: EOF")
	}
	now = now.Add(errorLogWindow)
	l.Print("http: TLS handshake error from 127.0.0.1:2: EOF")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "suppressed=0") || !strings.HasSuffix(lines[1], "suppressed=999") {
		t.Errorf("log lines:\n%s", logs.String())
	}
}

// A panic message cut at the limit never ends in half a character.
func TestTruncateKeepsUTF8(t *testing.T) {
	if got := truncate("ab€", 3); got != "ab" {
		t.Errorf("truncate(%q, 3) = %q, want %q", "ab€", got, "ab")
	}
	if got := truncate("abc", 5); got != "abc" {
		t.Errorf("truncate(%q, 5) = %q, want it unchanged", "abc", got)
	}
}
