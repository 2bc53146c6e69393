package provider_test

import (
	"context"
	"errors"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/secretkit/secretkit/provider"
)

// memBackend is a small in-memory backend whose behaviour the decorator
// tests control: per-name errors, a gate that holds reads, a call counter.
type memBackend struct {
	name   string
	mu     sync.Mutex
	values map[string]string
	errs   map[string]error
	calls  atomic.Int32
	// gate, when set, holds every read until it is closed or the read's
	// context is done; entered receives one token per read that started.
	gate     chan struct{}
	entered  chan struct{}
	closed   atomic.Bool
	closeErr error
}

func newMem(name string, kv ...string) *memBackend {
	m := &memBackend{name: name, values: map[string]string{}, errs: map[string]error{}}
	for i := 0; i+1 < len(kv); i += 2 {
		m.values[kv[i]] = kv[i+1]
	}
	return m
}

func (m *memBackend) set(name, value string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.values[name] = value
}

func (m *memBackend) fail(name string, kind error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.errs[name] = provider.NewError(m.name, "get", name, kind, nil)
}

func (m *memBackend) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	m.calls.Add(1)
	if m.entered != nil {
		m.entered <- struct{}{}
	}
	if m.gate != nil {
		select {
		case <-m.gate:
		case <-ctx.Done():
			return provider.Secret{}, provider.NewError(m.name, "get", name, nil, ctx.Err())
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.errs[name]; err != nil {
		return provider.Secret{}, err
	}
	v, ok := m.values[name]
	if !ok || version != "" {
		return provider.Secret{}, provider.NewError(m.name, "get", name, provider.ErrNotFound, nil)
	}
	return provider.Secret{
		Metadata: provider.Metadata{Name: name, Enabled: true, Tags: map[string]string{"from": m.name}},
		Value:    provider.NewValue(v),
	}, nil
}

func (m *memBackend) ListSecrets(ctx context.Context) iter.Seq2[provider.Metadata, error] {
	return func(yield func(provider.Metadata, error) bool) {
		m.mu.Lock()
		names := make([]string, 0, len(m.values))
		for n := range m.values {
			names = append(names, n)
		}
		m.mu.Unlock()
		for _, n := range names {
			if !yield(provider.Metadata{Name: n, Tags: map[string]string{"from": m.name}}, nil) {
				return
			}
		}
	}
}

func (m *memBackend) Close() error {
	m.closed.Store(true)
	return m.closeErr
}

// getOnly hides every optional ability of the backend it wraps.
type getOnly struct{ p provider.SecretProvider }

func (g getOnly) GetSecret(ctx context.Context, name, version string) (provider.Secret, error) {
	return g.p.GetSecret(ctx, name, version)
}

var errBoom = errors.New("boom")
