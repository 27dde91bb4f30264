package store

import (
	"context"
	"fmt"
	"sync"
)

// Memory is a Store held in memory, for tests and simulations. Its Write is
// atomic but nothing survives the process: "durable" means visible to later
// reads of the same Memory. It copies values in and out, so no caller's
// slice is ever shared with it. It is safe for concurrent use.
type Memory struct {
	mu  sync.RWMutex
	idx *index
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory.
func NewMemory() *Memory { return &Memory{idx: newIndex()} }

// Get implements Store.
func (m *Memory) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctxErr("get", ctx); err != nil {
		return nil, err
	}
	if err := CheckKey(key); err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	v, ok := m.idx.get(key)
	if !ok {
		return nil, fmt.Errorf("store: get %q: %w", key, ErrNotFound)
	}
	return append([]byte{}, v...), nil
}

// List implements Store.
func (m *Memory) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctxErr("list", ctx); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.idx.list(prefix), nil
}

// Write implements Store.
func (m *Memory) Write(ctx context.Context, b *Batch) error {
	if err := ctxErr("write", ctx); err != nil {
		return err
	}
	if err := b.Err(); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.idx.apply(b.Ops())
	return nil
}

// Len returns the number of keys stored.
func (m *Memory) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.idx.n
}
