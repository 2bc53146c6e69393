package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/secretkit/secretkit/internal/testutil"
)

func TestBufferedLogTiming(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out testutil.Buffer
		logger, flush, err := newLogger(settings{logFormat: "text", logLevel: "info"}, nil, &out)
		if err != nil {
			t.Fatal(err)
		}
		logger.Info("vault request", "status", 200)
		if got := out.String(); got != "" {
			t.Fatalf("an INFO line was written at once: %q", got)
		}
		time.Sleep(logFlushDelay)
		synctest.Wait()
		if got := out.String(); !strings.Contains(got, "msg=\"vault request\" status=200") {
			t.Fatalf("after %v the log holds %q; want the INFO line", logFlushDelay, got)
		}

		logger.Info("queued")
		logger.Warn("vault store error")
		if got := out.String(); !strings.Contains(got, "msg=queued") || !strings.Contains(got, "vault store error") {
			t.Fatalf("a WARN line did not flush the buffer: %q", got)
		}

		logger.With("k", "v").Info("last")
		flush()
		if got := out.String(); !strings.Contains(got, "msg=last k=v") {
			t.Fatalf("flush left a line behind: %q", got)
		}
	})
}

func TestBufferedLogBound(t *testing.T) {
	var out testutil.Buffer
	logger, flush, err := newLogger(settings{logFormat: "json", logLevel: "info"}, nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer flush()
	line := strings.Repeat("x", 1000)
	for range logBufferMax/1000 + 1 {
		logger.Info(line)
	}
	if n := len(out.String()); n == 0 || n > logBufferMax {
		t.Fatalf("after more than %d bytes of lines, %d bytes were written; want a flush of at most the bound", logBufferMax, n)
	}
}

// BenchmarkRequestLog logs one vault request line, as the vault does per
// request, to a file: straight through slog's text handler (one write per
// line, as before issue 12) and through the emulator's buffered logger.
func BenchmarkRequestLog(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buffered, flush, err := newLogger(settings{logFormat: "text", logLevel: "info"}, nil, f)
	if err != nil {
		b.Fatal(err)
	}
	defer flush()
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		logger *slog.Logger
	}{{"direct", slog.New(slog.NewTextHandler(f, nil))}, {"buffered", buffered}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c.logger.LogAttrs(ctx, slog.LevelInfo, "vault request",
						slog.String("method", "GET"), slog.String("path", "/secrets/db-password/"),
						slog.String("vault", "myvault"), slog.String("op", "get"), slog.Int("status", 200))
				}
			})
		})
	}
}
