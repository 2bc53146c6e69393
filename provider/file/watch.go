package file

import (
	"context"
	"errors"
	"path/filepath"
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
// Each watch holds one notification handle and one goroutine until closed.
func (p *Provider) WatchSecret(ctx context.Context, name string) (provider.WatchSource, error) {
	if err := p.checkName("watch", name); err != nil {
		return nil, err
	}
	src := &watchSource{p: p, name: name, changes: make(chan struct{}, 1), stop: make(chan struct{})}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return src, nil
	}
	// Events name entries of the watched directories; these base names
	// concern the secret. Names starting with ".." are the atomic writer's
	// data directory and its swap.
	bases := map[string]bool{}
	var dirs []string
	if p.format == FormatDir {
		dirs = append(dirs, p.path)
		bases[name] = true
	} else {
		dirs = append(dirs, filepath.Dir(p.path))
		bases[filepath.Base(p.path)] = true
		// A file reached through a symlink (a ConfigMap key mounted as
		// one file) changes where the link points.
		if real, err := filepath.EvalSymlinks(p.path); err == nil && filepath.Dir(real) != filepath.Dir(p.path) {
			dirs = append(dirs, filepath.Dir(real))
			bases[filepath.Base(real)] = true
		}
	}
	added := 0
	for _, d := range dirs {
		if fw.Add(d) == nil {
			added++
		}
	}
	if added == 0 {
		fw.Close()
		return src, nil
	}
	src.fw = fw
	src.wg.Go(func() { src.loop(bases) })
	return src, nil
}

type watchSource struct {
	p       *Provider
	name    string
	changes chan struct{}
	fw      *fsnotify.Watcher // nil when polling only
	stop    chan struct{}
	wg      sync.WaitGroup
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
		close(s.stop)
		if s.fw != nil {
			s.fw.Close()
		}
	})
	s.wg.Wait()
	return nil
}

// loop turns bursts of relevant events into one signal after they settle.
func (s *watchSource) loop(bases map[string]bool) {
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	defer settle.Stop()
	for {
		select {
		case <-s.stop:
			return
		case ev, ok := <-s.fw.Events:
			if !ok {
				return
			}
			base := filepath.Base(ev.Name)
			if bases[base] || strings.HasPrefix(base, "..") {
				settle.Reset(settleDelay)
			}
		case _, ok := <-s.fw.Errors:
			if !ok {
				return
			}
			// An overflow lost events: assume the secret changed.
			settle.Reset(settleDelay)
		case <-settle.C:
			select {
			case s.changes <- struct{}{}:
			default: // a signal is already pending
			}
		}
	}
}
