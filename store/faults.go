package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

var (
	// ErrCrashed is returned by every call to a FaultInjector after its
	// simulated crash.
	ErrCrashed = errors.New("store: simulated crash")

	// ErrInjected is wrapped by the error of a Write that a FaultInjector
	// failed with FaultFail. Nothing was applied and the store goes on
	// working: a caller must treat it as a transient I/O error.
	ErrInjected = errors.New("store: injected write failure")
)

// Fault is what a FaultInjector does at a chosen Write.
type Fault int

const (
	// FaultNone lets the Write through.
	FaultNone Fault = iota
	// FaultFail makes Write return an error wrapping ErrInjected without
	// applying the batch. Later calls work normally.
	FaultFail
	// FaultCrashBefore crashes before the batch is durable: the batch is
	// not applied to the inner store, Write returns ErrCrashed, and so does
	// every later call.
	FaultCrashBefore
	// FaultCrashAfter crashes after the batch became durable but before
	// Write returns: the batch is applied to the inner store, Write returns
	// ErrCrashed, and so does every later call.
	FaultCrashAfter
)

// String returns the fault's name.
func (f Fault) String() string {
	switch f {
	case FaultNone:
		return "none"
	case FaultFail:
		return "fail"
	case FaultCrashBefore:
		return "crash-before-durable"
	case FaultCrashAfter:
		return "crash-after-durable"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// FaultInjector is a Store for tests that passes calls to an inner Store and
// injects a fault at chosen Writes. The inner store is taken to be durable
// at every Write's return (Memory, or a File), so a crash loses exactly the
// batch in flight, or nothing: everything after the last durable batch.
//
// Writes are counted from 1 in the order they reach the injector. Only a
// Write that would change the store counts (a persistence point): not an
// empty batch, a batch whose Err is set, or a Write whose ctx is already
// done. A simulation that crashes at each count in turn, restarting from
// Inner each time, visits every persistence point.
//
// A FaultInjector is safe for concurrent use. It serialises Writes, so that
// a crash happens between two of them.
type FaultInjector struct {
	inner Store

	mu      sync.Mutex
	writes  int
	faults  map[int]Fault
	crashed bool
}

var _ Store = (*FaultInjector)(nil)

// NewFaultInjector returns a FaultInjector over inner with no faults set.
func NewFaultInjector(inner Store) *FaultInjector {
	return &FaultInjector{inner: inner, faults: map[int]Fault{}}
}

// Inject sets the fault for the n-th Write (counting from 1), replacing any
// fault set for it before. FaultNone clears it.
func (fi *FaultInjector) Inject(n int, f Fault) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if f == FaultNone {
		delete(fi.faults, n)
		return
	}
	fi.faults[n] = f
}

// Writes returns the number of Writes counted so far.
func (fi *FaultInjector) Writes() int {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.writes
}

// Crashed reports whether the simulated crash has happened.
func (fi *FaultInjector) Crashed() bool {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.crashed
}

// Inner returns the inner store. After a crash it holds exactly what was
// durable: a test "restarts" by building its node again on it (reopening a
// File's directory first, if the inner store is a File).
func (fi *FaultInjector) Inner() Store { return fi.inner }

func (fi *FaultInjector) crashErr(op string) error {
	return fmt.Errorf("store: %s: %w", op, ErrCrashed)
}

// Get implements Store.
func (fi *FaultInjector) Get(ctx context.Context, key string) ([]byte, error) {
	if fi.Crashed() {
		return nil, fi.crashErr("get")
	}
	return fi.inner.Get(ctx, key)
}

// List implements Store.
func (fi *FaultInjector) List(ctx context.Context, prefix string) ([]string, error) {
	if fi.Crashed() {
		return nil, fi.crashErr("list")
	}
	return fi.inner.List(ctx, prefix)
}

// Write implements Store, injecting the fault set for this Write's count.
func (fi *FaultInjector) Write(ctx context.Context, b *Batch) error {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	if fi.crashed {
		return fi.crashErr("write")
	}
	if b.Len() == 0 || b.Err() != nil || ctx.Err() != nil {
		return fi.inner.Write(ctx, b)
	}
	fi.writes++
	switch fi.faults[fi.writes] {
	case FaultFail:
		return fmt.Errorf("store: write %d: %w", fi.writes, ErrInjected)
	case FaultCrashBefore:
		fi.crashed = true
		return fi.crashErr(fmt.Sprintf("write %d (before durable)", fi.writes))
	case FaultCrashAfter:
		if err := fi.inner.Write(ctx, b); err != nil {
			return err
		}
		fi.crashed = true
		return fi.crashErr(fmt.Sprintf("write %d (after durable)", fi.writes))
	}
	return fi.inner.Write(ctx, b)
}
