package emulator

import (
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// recoverPanics answers a panicking handler with a 500 (Key Vault's shape
// on the vault listener comes from the vault API's own recovery; this is
// the last line for the identity endpoints and routing) and logs it at
// WARN, so one request never takes the process down.
func (s *Server) recoverPanics(listener string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.logger.LogAttrs(r.Context(), slog.LevelWarn, "handler panic",
				slog.String("listener", listener), slog.String("path", r.URL.Path), slog.String("panic", truncate(fmt.Sprint(p), 200)))
			s.logger.LogAttrs(r.Context(), slog.LevelDebug, "handler panic stack", slog.String("stack", string(debug.Stack())))
			// If the handler had written already, this write is ignored.
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintln(w, `{"error":{"code":"InternalServerError","message":"The server encountered an internal error."}}`)
		}()
		next.ServeHTTP(w, r)
	})
}

// truncate keeps at most n bytes of s, dropping a character cut in half
// so the log line stays valid UTF-8.
func truncate(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "")
	}
	return s
}

// errorLogWindow is how often a flood of net/http errors (TLS handshake
// failures from a scanner, say) yields a WARN line; the lines in between
// are counted and reported with the next one.
const errorLogWindow = 10 * time.Second

// serverErrorLog receives net/http's own error lines (TLS handshake
// errors, accept errors, panics it recovered) and logs them at WARN: at
// most one line per errorLogWindow, the next one saying how many were
// suppressed.
type serverErrorLog struct {
	logger *slog.Logger
	now    func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

func newServerErrorLog(logger *slog.Logger, now func() time.Time) *log.Logger {
	return log.New(&serverErrorLog{logger: logger, now: now}, "", 0)
}

func (l *serverErrorLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	now := l.now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < errorLogWindow {
		l.suppressed++
		l.mu.Unlock()
		l.logger.Debug("http server error", "err", msg)
		return len(p), nil
	}
	suppressed := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	l.logger.Warn("http server error", "err", msg, "suppressed", suppressed)
	return len(p), nil
}
