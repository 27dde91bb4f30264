package postgres

import (
	"context"
	"testing"

	"github.com/lnkit/lnkit/store"
)

// TestWriteLateCancel: a context cancelled after the changes were sent
// but before COMMIT does not interrupt the commit; Write reports what
// happened (nil: the batch is durable).
func TestWriteLateCancel(t *testing.T) {
	s := mustOpen(t, newNamespace(t))
	ctx, cancel := context.WithCancel(bg)
	testHookBeforeCommit = cancel
	t.Cleanup(func() { testHookBeforeCommit = nil })
	var b store.Batch
	b.Put("k", []byte("v"))
	if err := s.Write(ctx, &b); err != nil {
		t.Fatalf("Write with ctx cancelled before COMMIT = %v; want nil (committed)", err)
	}
	testHookBeforeCommit = nil
	if v, err := s.Get(bg, "k"); err != nil || string(v) != "v" {
		t.Fatalf("Get = %q, %v", v, err)
	}
}
