package file

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/secretkit/secretkit/provider"
)

// settleDelay is how long a watched directory must stay quiet after an
// event before the secret is read: a rewrite in place is a truncation
// followed by writes, and reading in between would deliver an empty or
// partial value.
const settleDelay = 100 * time.Millisecond

// WatchSecret implements provider.Watcher with file-system notifications
// (inotify, kqueue, ...): it watches the directory holding the file, or the
// secrets directory itself, so a rewrite in place, an editor's
// write-and-rename and a Kubernetes "..data" symlink swap all signal a
// change. A signal is sent once the directory has been quiet for a moment,
// so half-written files are not read. Where notifications are unavailable
// (some network file systems, inotify limits) the watch silently relies on
// provider.Watch's polling, which always runs as a safety net.
//
// All watches of one Provider share one notification handle and one
// goroutine, released when the last watch is closed.
func (p *Provider) WatchSecret(ctx context.Context, name string) (provider.WatchSource, error) {
	if err := p.checkName("watch", name); err != nil {
		return nil, err
	}
	src := &watchSource{p: p, name: name, changes: make(chan struct{}, 1), bases: map[string]bool{}}
	// Events name entries of the watched directories; these base names
	// concern the secret. Names starting with ".." are the atomic writer's
	// data directory and its swap.
	if p.format == FormatDir {
		src.dirs = append(src.dirs, p.path)
		src.bases[name] = true
	} else {
		src.dirs = append(src.dirs, filepath.Dir(p.path))
		src.bases[filepath.Base(p.path)] = true
		// A file reached through a symlink (a ConfigMap key mounted as
		// one file) changes where the link points.
		if real, err := filepath.EvalSymlinks(p.path); err == nil && filepath.Dir(real) != filepath.Dir(p.path) {
			src.dirs = append(src.dirs, filepath.Dir(real))
			src.bases[filepath.Base(real)] = true
		}
	}
	for i, d := range src.dirs {
		src.dirs[i] = filepath.Clean(d)
	}
	src.settle = time.AfterFunc(time.Hour, src.signal)
	src.settle.Stop()
	subscribe(p, src)
	return src, nil
}

type watchSource struct {
	p       *Provider
	name    string
	dirs    []string
	bases   map[string]bool
	changes chan struct{}
	settle  *time.Timer // fires signal once events have settled
	once    sync.Once
}

func (s *watchSource) Changes() <-chan struct{} { return s.changes }

// Check reads the secret. A failed read is retried once after the settle
// delay, because a reader that races a writer sees a moment in which the
// file is empty or a link dangles.
func (s *watchSource) Check(ctx context.Context) (provider.Secret, bool, error) {
	sec, err := s.p.GetSecret(ctx, s.name, "")
	if err != nil && ctx.Err() == nil && !errors.Is(err, provider.ErrInvalidArgument) {
		t := time.NewTimer(settleDelay)
		select {
		case <-t.C:
			sec, err = s.p.GetSecret(ctx, s.name, "")
		case <-ctx.Done():
			t.Stop()
		}
	}
	return sec, err == nil, err
}

func (s *watchSource) Close() error {
	s.once.Do(func() {
		unsubscribe(s.p, s)
		s.settle.Stop()
	})
	return nil
}

func (s *watchSource) signal() {
	select {
	case s.changes <- struct{}{}:
	default: // a signal is already pending
	}
}

// concerns reports whether an event on path may change the secret.
func (s *watchSource) concerns(dir, base string) bool {
	return slices.Contains(s.dirs, dir) && (s.bases[base] || strings.HasPrefix(base, ".."))
}

// hub is the notification handle shared by the watches of one Provider.
//
// Its event loop takes only mu, never hubsMu, which subscribe and
// unsubscribe hold while they add and remove directories: on Windows
// fsnotify's Add and Remove wait for its reader goroutine, which may be
// waiting for the loop to take an event.
type hub struct {
	fw   *fsnotify.Watcher
	dirs map[string]int // watched directory → watches using it; under hubsMu
	done chan struct{}  // closed when the event loop has returned

	mu   sync.Mutex
	subs map[*watchSource]bool
}

var (
	hubsMu sync.Mutex
	hubs   = map[*Provider]*hub{}
)

// subscribe adds s to its provider's hub, creating the hub on first use.
// Without notifications s is simply never signalled.
func subscribe(p *Provider, s *watchSource) {
	hubsMu.Lock()
	defer hubsMu.Unlock()
	h := hubs[p]
	if h == nil {
		fw, err := fsnotify.NewWatcher()
		if err != nil {
			return
		}
		h = &hub{fw: fw, dirs: map[string]int{}, subs: map[*watchSource]bool{}, done: make(chan struct{})}
		hubs[p] = h
		go h.loop()
	}
	h.mu.Lock()
	h.subs[s] = true
	h.mu.Unlock()
	for _, d := range s.dirs {
		if h.dirs[d] == 0 {
			if h.fw.Add(d) != nil {
				continue // not watchable: polling covers it
			}
		}
		h.dirs[d]++
	}
}

// unsubscribe removes s, and closes the hub when it was the last watch.
func unsubscribe(p *Provider, s *watchSource) {
	hubsMu.Lock()
	h := hubs[p]
	if h == nil {
		hubsMu.Unlock()
		return
	}
	h.mu.Lock()
	subscribed := h.subs[s]
	delete(h.subs, s)
	last := len(h.subs) == 0
	h.mu.Unlock()
	if !subscribed {
		hubsMu.Unlock()
		return
	}
	for _, d := range s.dirs {
		if n, ok := h.dirs[d]; ok {
			if n == 1 {
				delete(h.dirs, d)
				_ = h.fw.Remove(d)
			} else {
				h.dirs[d] = n - 1
			}
		}
	}
	if last {
		delete(hubs, p)
	}
	hubsMu.Unlock()
	if last {
		h.fw.Close()
		<-h.done
	}
}

// loop restarts the settle timer of every watch an event concerns.
func (h *hub) loop() {
	defer close(h.done)
	for {
		select {
		case ev, ok := <-h.fw.Events:
			if !ok {
				return
			}
			dir, base := filepath.Dir(ev.Name), filepath.Base(ev.Name)
			h.mu.Lock()
			for s := range h.subs {
				if s.concerns(dir, base) {
					s.settle.Reset(settleDelay)
				}
			}
			h.mu.Unlock()
		case _, ok := <-h.fw.Errors:
			if !ok {
				return
			}
			// An overflow lost events: assume every secret changed.
			h.mu.Lock()
			for s := range h.subs {
				s.settle.Reset(settleDelay)
			}
			h.mu.Unlock()
		}
	}
}
