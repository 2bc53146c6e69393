package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Request logging is buffered: one write(2) per request line was about a
// tenth of the emulator's CPU under load (issue 12). Lines reach stderr at
// most logFlushDelay after they are logged, at once for WARN and above,
// and on exit; a crash can lose at most that much of the INFO tail.
const (
	logFlushDelay = 50 * time.Millisecond
	logBufferMax  = 64 << 10
)

// logBuffer collects log output and writes it in batches.
type logBuffer struct {
	mu    sync.Mutex
	w     io.Writer
	buf   []byte
	armed bool // a flush is scheduled
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf)+len(p) > logBufferMax {
		b.flushLocked()
	}
	b.buf = append(b.buf, p...)
	if !b.armed {
		b.armed = true
		time.AfterFunc(logFlushDelay, b.Flush)
	}
	return len(p), nil
}

// Flush writes out everything buffered so far.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	b.armed = false
}

func (b *logBuffer) flushLocked() {
	if len(b.buf) == 0 {
		return
	}
	// A failing stderr has nowhere to be reported; the lines are dropped
	// rather than kept growing.
	_, _ = b.w.Write(b.buf)
	b.buf = b.buf[:0]
}

// flushingHandler writes WARN and ERROR records out at once: they are rare
// and are what someone watching the log waits for.
type flushingHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.Flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.buf}
}
