package store

import (
	"context"
	"slices"
	"sync"
)

// Memory is a Store that keeps everything in process memory; state is lost
// when the process exits. The zero value is not usable: call NewMemory.
//
// One lock guards the whole store. Update holds it while the Mutation runs,
// which is what makes read-change-write atomic; a Mutation must therefore
// not call back into the same store.
type Memory struct {
	mu     sync.RWMutex
	closed bool
	vaults map[string]*memoryVault
}

// memoryVault keeps its keys in a sorted slice next to the map so List is a
// binary search plus a slice walk instead of a sort per call: emulator
// listings page through a vault many times per write (see BenchmarkMemoryList).
type memoryVault struct {
	records map[string]memRecord // by Key(name); see memory_codec.go
	keys    []string             // every key of records, ascending
}

// NewMemory returns an empty, open in-memory store.
func NewMemory() *Memory {
	return &Memory{vaults: make(map[string]*memoryVault)}
}

var _ Store = (*Memory)(nil)

// Get implements Store.
func (m *Memory) Get(ctx context.Context, vault, name string) (Record, error) {
	return m.read(ctx, vault, name, (*memRecord).record)
}

// GetVersion implements Store, decoding only the version it returns.
func (m *Memory) GetVersion(ctx context.Context, vault, name, version string) (Record, error) {
	return m.read(ctx, vault, name, func(r *memRecord) Record { return r.only(version) })
}

// read finds a record and returns what decode makes of it under the read
// lock.
func (m *Memory) read(ctx context.Context, vault, name string, decode func(*memRecord) Record) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return Record{}, ErrClosed
	}
	v := m.vaults[vault]
	if v == nil {
		return Record{}, ErrNotFound
	}
	rec, ok := v.records[Key(name)]
	if !ok {
		return Record{}, ErrNotFound
	}
	return decode(&rec), nil
}

// Update implements Store. The Mutation gets a freshly decoded record and
// what it returns is encoded before being stored, so neither the Mutation
// nor the caller can reach stored data afterwards; the returned Record is
// the Mutation's own result, not a third copy.
func (m *Memory) Update(ctx context.Context, vault, name string, mutate Mutation) (Record, bool, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, false, err
	}
	if vault == "" {
		return Record{}, false, errEmptyVault
	}
	key := Key(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return Record{}, false, ErrClosed
	}
	v := m.vaults[vault]
	var current Record
	exists := false
	if v != nil {
		if stored, ok := v.records[key]; ok {
			current, exists = stored.record(), true
		}
	}
	next, err := mutate(current, exists)
	if err != nil {
		return Record{}, false, err
	}
	if next == nil {
		if exists {
			v.remove(key)
			if len(v.keys) == 0 {
				delete(m.vaults, vault)
			}
		}
		return Record{}, false, nil
	}
	if v == nil {
		v = &memoryVault{records: make(map[string]memRecord)}
		m.vaults[vault] = v
	}
	if !exists {
		i, _ := slices.BinarySearch(v.keys, key)
		v.keys = slices.Insert(v.keys, i, key)
	}
	v.records[key] = encodeRecord(next)
	return *next, true, nil
}

func (v *memoryVault) remove(key string) {
	delete(v.records, key)
	if i, found := slices.BinarySearch(v.keys, key); found {
		v.keys = slices.Delete(v.keys, i, i+1)
	}
}

// Vaults implements Store.
func (m *Memory) Vaults(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	var names []string
	for name, v := range m.vaults {
		if len(v.keys) > 0 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// List implements Store.
func (m *Memory) List(ctx context.Context, vault, after string, limit int) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	v := m.vaults[vault]
	if v == nil {
		return nil, nil
	}
	start := 0
	if after != "" {
		i, found := slices.BinarySearch(v.keys, Key(after))
		if found {
			i++
		}
		start = i
	}
	keys := v.keys[start:]
	if limit > 0 && len(keys) > limit {
		keys = keys[:limit]
	}
	out := make([]Record, len(keys))
	for i, k := range keys {
		rec := v.records[k]
		out[i] = rec.record()
	}
	return out, nil
}

// Reset implements Store.
func (m *Memory) Reset(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.vaults = make(map[string]*memoryVault)
	return nil
}

// Close implements Store. It drops all state; a second Close returns nil.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.vaults = nil
	return nil
}
