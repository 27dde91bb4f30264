package postgres

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lnkit/lnkit/store"
)

func TestLockInProcess(t *testing.T) {
	ns := newNamespace(t)
	a := mustOpen(t, ns)
	_, err := Open(bg, testDSN(t), WithNamespace(ns))
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second Open of %q = %v; want an error wrapping store.ErrLocked", ns, err)
	}
	// Another namespace in the same database is independent.
	other := mustOpen(t, newNamespace(t))
	var b store.Batch
	b.Put("k", []byte("other"))
	mustWrite(t, other, &b)
	if _, err := a.Get(bg, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("namespace %q sees another namespace's key: %v", ns, err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("second Close = %v; want ErrClosed", err)
	}
	if _, err := a.Get(bg, "k"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Get after Close = %v; want ErrClosed", err)
	}
	if err := a.Write(bg, &b); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Write after Close = %v; want ErrClosed", err)
	}
	mustOpen(t, ns) // free again
}

// TestLockAcrossProcesses: a second process cannot open a namespace this
// one holds, and this one cannot open a namespace a second process holds;
// a holder that is killed releases its namespace.
func TestLockAcrossProcesses(t *testing.T) {
	ns := newNamespace(t)
	s := mustOpen(t, ns)
	h := startHelper(t, modeTryOpen, ns)
	line := h.expect(t, "ERR-LOCKED")
	if !strings.Contains(line, "held by server process") {
		t.Errorf("the ErrLocked message does not name the holder: %s", line)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	h = startHelper(t, modeTryOpen, ns)
	h.expect(t, "OPENED")

	// The other way round, and a holder that dies without closing.
	ns2 := newNamespace(t)
	h = startHelper(t, modeHold, ns2)
	h.expect(t, "LOCKED")
	if _, err := Open(bg, testDSN(t), WithNamespace(ns2)); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Open of a namespace another process holds = %v; want ErrLocked", err)
	}
	h.kill(t)
	openWhenUnlocked(t, ns2)

	// A holder that closes cleanly releases at once.
	ns3 := newNamespace(t)
	h = startHelper(t, modeHold, ns3)
	h.expect(t, "LOCKED")
	if err := h.stdin.Close(); err != nil {
		t.Fatal(err)
	}
	<-h.done
	if h.cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("holder exited with %v", h.cmd.ProcessState)
	}
	mustOpen(t, ns3)
}

// TestTakeoverFences: if a Store's lock connection dies (here the server
// terminates it) another Store can open the namespace, and from then on
// the first Store's writes fail with ErrLockLost and change nothing.
func TestTakeoverFences(t *testing.T) {
	ns := newNamespace(t)
	a := mustOpen(t, ns)
	var b store.Batch
	b.Put("k", []byte("a1"))
	mustWrite(t, a, &b)

	admin := adminConn(t)
	if _, err := admin.Exec(bg, `SELECT pg_terminate_backend($1)`, a.lock.conn.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	// Without a takeover the lost lock is harmless: a is still the only
	// writer, and its token still fences.
	b.Reset()
	b.Put("k", []byte("a2"))
	mustWrite(t, a, &b)

	c := openWhenUnlocked(t, ns)
	b.Reset()
	b.Put("k", []byte("a3"))
	b.Put("from-a", []byte("x"))
	err := a.Write(bg, &b)
	if !errors.Is(err, ErrLockLost) || !errors.Is(err, store.ErrLocked) {
		t.Fatalf("Write after a takeover = %v; want ErrLockLost and store.ErrLocked", err)
	}
	b.Reset()
	b.Put("k", []byte("c1"))
	mustWrite(t, c, &b)
	for _, s := range []*Store{a, c} {
		if v, err := s.Get(bg, "k"); err != nil || string(v) != "c1" {
			t.Fatalf("Get(k) = %q, %v; want c1", v, err)
		}
		if _, err := s.Get(bg, "from-a"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("the fenced write is visible: %v", err)
		}
	}
	if err := a.Close(); err == nil {
		t.Fatal("Close of the store that lost its lock reported no error")
	}
}

// TestTakeoverWaitsForWrite: a takeover that comes while the old Store is
// inside a Write waits for that transaction, which commits; the old
// Store's next Write is fenced.
func TestTakeoverWaitsForWrite(t *testing.T) {
	ns := newNamespace(t)
	a := mustOpen(t, ns)
	admin := adminConn(t)
	inCommit, release := make(chan struct{}), make(chan struct{})
	testHookBeforeCommit = func() {
		close(inCommit)
		<-release
	}
	t.Cleanup(func() { testHookBeforeCommit = nil })
	wrote := make(chan error, 1)
	go func() {
		var b store.Batch
		b.Put("k", []byte("from a, in flight"))
		wrote <- a.Write(bg, &b)
	}()
	<-inCommit
	testHookBeforeCommit = nil // a's next Write runs without the hook
	if _, err := admin.Exec(bg, `SELECT pg_terminate_backend($1)`, a.lock.conn.PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	type result struct {
		s   *Store
		err error
	}
	opened := make(chan result, 1)
	go func() {
		for {
			c, err := Open(bg, testDSN(t), WithNamespace(ns))
			if !errors.Is(err, store.ErrLocked) {
				opened <- result{c, err}
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	// Wait until the opener is blocked on the owner row's lock.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting int
		if err := admin.QueryRow(bg, `SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO lnkit_owner%'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		select {
		case r := <-opened:
			t.Fatalf("the takeover did not wait for the write in flight (Open: %v)", r.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the opener never waited on the owner row")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if err := <-wrote; err != nil {
		t.Fatalf("the write in flight: %v", err)
	}
	r := <-opened
	if r.err != nil {
		t.Fatalf("Open after the takeover: %v", r.err)
	}
	c := r.s
	t.Cleanup(func() { _ = c.Close() })
	if v, err := c.Get(bg, "k"); err != nil || string(v) != "from a, in flight" {
		t.Fatalf("Get(k) = %q, %v; want the write that was in flight", v, err)
	}
	var b store.Batch
	b.Put("k", []byte("late"))
	if err := a.Write(bg, &b); !errors.Is(err, ErrLockLost) {
		t.Fatalf("Write after the takeover = %v; want ErrLockLost", err)
	}
}
