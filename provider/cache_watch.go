package provider

import (
	"context"
	"errors"
)

// WatchSecret implements [Watcher]: a watch through a Cache watches the
// wrapped provider directly (with its own Watcher when it has one), so a
// rotation is seen when the backend has it rather than when the cached
// copy expires. Each new version the watch reads replaces the cached
// latest version, and a secret the watch finds gone or denied leaves the
// cache, so reads through the cache see what the watch saw: a read in
// flight meanwhile may have read the older value, and is not cached.
func (c *Cache) WatchSecret(ctx context.Context, name string) (WatchSource, error) {
	src, err := WatchSourceOf(ctx, c.inner, name)
	if err != nil {
		return nil, err
	}
	return cacheSource{WatchSource: src, c: c, key: cacheKey{name: name}}, nil
}

type cacheSource struct {
	WatchSource
	c   *Cache
	key cacheKey
}

func (s cacheSource) Check(ctx context.Context) (Secret, bool, error) {
	sec, changed, err := s.WatchSource.Check(ctx)
	c := s.c
	switch {
	case err == nil && changed:
		c.mu.Lock()
		c.dropFlightLocked(s.key)
		c.storeLocked(s.key, sec, nil, c.ttl)
		c.mu.Unlock()
	case errors.Is(err, ErrNotFound) || errors.Is(err, ErrPermissionDenied):
		c.mu.Lock()
		c.dropFlightLocked(s.key)
		c.forgetLocked(s.key)
		c.mu.Unlock()
	}
	return sec, changed, err
}
