package store

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var bg = context.Background()

// state is a model of a store's content.
type state map[string]string

func (s state) apply(b *Batch) state {
	n := maps.Clone(s)
	if n == nil {
		n = state{}
	}
	for _, op := range b.Ops() {
		if op.Delete {
			delete(n, op.Key)
		} else {
			n[op.Key] = string(op.Value)
		}
	}
	return n
}

func mustOpen(t testing.TB, dir string, opts ...Option) *File {
	t.Helper()
	f, err := OpenFile(dir, opts...)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func mustWrite(t testing.TB, s Store, b *Batch) {
	t.Helper()
	if err := s.Write(bg, b); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// checkState fails unless s holds exactly want.
func checkState(t testing.TB, s Store, want state) {
	t.Helper()
	keys, err := s.List(bg, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	wantKeys := slices.Sorted(maps.Keys(want))
	if !slices.Equal(keys, wantKeys) {
		t.Fatalf("keys %q, want %q", keys, wantKeys)
	}
	for _, k := range keys {
		v, err := s.Get(bg, k)
		if err != nil {
			t.Fatalf("Get(%q): %v", k, err)
		}
		if !bytes.Equal(v, []byte(want[k])) {
			t.Fatalf("Get(%q) = %q, want %q", k, v, want[k])
		}
	}
}

// logWithFile writes data as the log of a new store directory.
func logWithFile(t testing.TB, data []byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LogFileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openLog replaces the log in dir (a directory no File holds) with data
// and opens it.
func openLog(t testing.TB, dir string, data []byte) (*File, error) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, LogFileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return OpenFile(dir)
}

// recoverBytes runs recovery on data in memory.
func recoverBytes(data []byte) (*index, recovered, error) {
	idx := newIndex()
	rc, err := recoverLog(bytes.NewReader(data), int64(len(data)), "mem", idx)
	return idx, rc, err
}

func readLog(t testing.TB, dir string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, LogFileName))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// abandon drops a File as a crash would: it closes the descriptors and
// releases the lock, without waiting or cleaning up.
func (f *File) abandon() {
	f.closed.Store(true)
	f.mu.Lock()
	f.closing = true
	f.mu.Unlock()
	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	if f.log != nil {
		f.log.Close()
		f.log = nil
	}
	f.lock.Close()
}

func wantCorrupt(t testing.TB, err error, off int64) *CorruptError {
	t.Helper()
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want a *CorruptError", err)
	}
	if off >= 0 && ce.Offset != off {
		t.Fatalf("corrupt at offset %d (%s), want offset %d", ce.Offset, ce.Reason, off)
	}
	return ce
}

// history writes batches to a new File and returns the directory, the log
// size after each batch (ends[0] is the empty log) and the state after each.
func history(t testing.TB, batches []*Batch) (dir string, ends []int64, states []state) {
	t.Helper()
	dir = t.TempDir()
	f := mustOpen(t, dir, WithCompactAfter(0))
	ends = []int64{f.Stats().FileSize}
	states = []state{{}}
	for _, b := range batches {
		mustWrite(t, f, b)
		ends = append(ends, f.Stats().FileSize)
		states = append(states, states[len(states)-1].apply(b))
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, ends, states
}

func batchOf(kv ...string) *Batch {
	var b Batch
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "<delete>" {
			b.Delete(kv[i])
		} else {
			b.Put(kv[i], []byte(kv[i+1]))
		}
	}
	return &b
}

// pattern returns n bytes with no run of zeros.
func pattern(n int, seed byte) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i)*31 + seed | 1
	}
	return string(b)
}
