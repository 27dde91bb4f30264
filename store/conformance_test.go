package store_test

import (
	"testing"

	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/store/storetest"
)

func TestMemoryConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return store.NewMemory() })
}

func TestFaultInjectorConformance(t *testing.T) {
	// With no fault set, a FaultInjector is just its inner store.
	storetest.Run(t, func(*testing.T) store.Store { return store.NewFaultInjector(store.NewMemory()) })
}

func fileOpener(opts ...store.Option) storetest.Opener {
	return func(t *testing.T) store.Store {
		f, err := store.OpenFile(t.TempDir(), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
}

func fileReopener(opts ...store.Option) storetest.Reopener {
	return func(t *testing.T, s store.Store) store.Store {
		f := s.(*store.File)
		if err := f.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		g, err := store.OpenFile(f.Dir(), opts...)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		t.Cleanup(func() { g.Close() })
		return g
	}
}

func TestFileConformance(t *testing.T) {
	storetest.Run(t, fileOpener())
}

func TestFileConformanceReopen(t *testing.T) {
	storetest.RunReopen(t, fileOpener(), fileReopener())
}

// TestFileConformanceCompacting runs the suite with a threshold so low that
// nearly every Write compacts the log.
func TestFileConformanceCompacting(t *testing.T) {
	opt := store.WithCompactAfter(1)
	storetest.RunReopen(t, fileOpener(opt), fileReopener(opt))
}
