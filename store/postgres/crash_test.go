package postgres

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lnkit/lnkit/store"
)

// seed writes a small batch that every crash test expects to find again.
func seed(t *testing.T, ns string) {
	t.Helper()
	s := mustOpen(t, ns)
	var b store.Batch
	b.Put("base/a", []byte("1"))
	b.Put("base/b", []byte("2"))
	b.Put("big/00007", []byte("old value, replaced by the big batch"))
	mustWrite(t, s, &b)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkBase checks the seed batch is intact (apart from what the crashed
// batch legitimately replaced).
func checkBase(t *testing.T, s store.Store) {
	t.Helper()
	for k, want := range map[string]string{"base/a": "1", "base/b": "2"} {
		got, err := s.Get(bg, k)
		if err != nil || string(got) != want {
			t.Fatalf("Get(%q) = %q, %v after the crash; want %q", k, got, err, want)
		}
	}
}

// checkSized checks that the batch written by sizedBatch(prefix, n, size)
// is there whole (want true) or not at all (want false).
func checkSized(t *testing.T, s store.Store, prefix string, n, size int, want bool) {
	t.Helper()
	got := countKeys(t, s, prefix)
	switch {
	case want && got != n:
		t.Fatalf("%d of the batch's %d keys under %q survived; want all", got, n, prefix)
	case !want && prefix == "big/" && got != 1:
		t.Fatalf("%d keys under %q after a crash before commit; want only the seeded one", got, prefix)
	case !want && prefix != "big/" && got != 0:
		t.Fatalf("%d of the batch's %d keys under %q survived a crash before commit; want none", got, n, prefix)
	}
	for _, i := range []int{0, 7, n / 2, n - 1} {
		k := fmt.Sprintf("%s%05d", prefix, i)
		v, err := s.Get(bg, k)
		if !want {
			if k == "big/00007" {
				if string(v) != "old value, replaced by the big batch" {
					t.Fatalf("Get(%q) = %.40q, %v; want the seeded value", k, v, err)
				}
			}
			continue
		}
		if err != nil || !bytes.Equal(v, valueFor(k, size)) {
			t.Fatalf("Get(%q) = %d bytes, %v; want the batch's %d-byte value", k, len(v), err, size)
		}
	}
}

// TestCrashBeforeCommit kills a client that has sent every statement of a
// 32 MiB batch but not its COMMIT: none of the batch may be visible, and
// the namespace must be free again.
func TestCrashBeforeCommit(t *testing.T) {
	ns := newNamespace(t)
	seed(t, ns)
	h := startHelper(t, modeBeforeCommit, ns)
	h.expect(t, "BEFORE-COMMIT")
	h.kill(t)
	s := openWhenUnlocked(t, ns)
	checkBase(t, s)
	checkSized(t, s, "big/", bigKeys, bigValueSize, false)
}

// TestCrashAfterCommit kills the client right after COMMIT returned,
// before Write returns: all of the batch must be there.
func TestCrashAfterCommit(t *testing.T) {
	ns := newNamespace(t)
	seed(t, ns)
	h := startHelper(t, modeAfterCommit, ns)
	h.expect(t, "AFTER-COMMIT")
	h.kill(t)
	s := openWhenUnlocked(t, ns)
	checkBase(t, s)
	checkSized(t, s, "big/", bigKeys, bigValueSize, true)
}

// TestCrashMidSend kills a client while it is still sending a 100 MiB
// batch (the kill comes a short, varying time after it started): the
// batch is all there or not at all.
func TestCrashMidSend(t *testing.T) {
	for i, delay := range []time.Duration{0, 20 * time.Millisecond, 150 * time.Millisecond} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			ns := newNamespace(t)
			seed(t, ns)
			h := startHelper(t, modeMidSend, ns)
			h.expect(t, "SENDING")
			time.Sleep(delay)
			h.kill(t)
			s := openWhenUnlocked(t, ns)
			checkBase(t, s)
			got := countKeys(t, s, "huge/")
			t.Logf("killed %v after the Write began: %d of %d keys", delay, got, hugeKeys)
			checkSized(t, s, "huge/", hugeKeys, hugeValue, got != 0)
		})
	}
}

// TestCrashStream kills a client at varying moments while it writes one
// batch after another. Every batch must be whole or absent; every batch
// whose Write had returned must be there; and, since the writes are
// sequential, the batches present are the first k for some k.
func TestCrashStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 4; round++ {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			ns := newNamespace(t)
			seed(t, ns)
			h := startHelper(t, modeStream, ns)
			last := -1
			atLeast := 3 + rng.IntN(10)
			for last < atLeast {
				line := h.expect(t, "DONE ")
				n, err := strconv.Atoi(strings.TrimPrefix(line, "DONE "))
				if err != nil {
					t.Fatal(line)
				}
				last = n
			}
			time.Sleep(time.Duration(rng.IntN(8000)) * time.Microsecond)
			h.kill(t)
			// Lines printed before the kill still count as acknowledged.
			for line := range h.lines {
				if n, err := strconv.Atoi(strings.TrimPrefix(line, "DONE ")); err == nil {
					last = n
				}
			}
			s := openWhenUnlocked(t, ns)
			checkBase(t, s)
			present := -1
			for i := 0; i <= last+2; i++ {
				got := countKeys(t, s, fmt.Sprintf("s/%06d/", i))
				switch {
				case got == streamKeys && present == i-1:
					present = i
				case got == 0:
				default:
					t.Fatalf("batch %d: %d of %d keys (batches 0..%d whole before it)", i, got, streamKeys, present)
				}
			}
			if present < last || present > last+1 {
				t.Fatalf("batches 0..%d present; Write had returned for 0..%d", present, last)
			}
			v, err := s.Get(bg, "s/last")
			if err != nil || string(v) != fmt.Sprint(present) {
				t.Fatalf(`Get("s/last") = %q, %v; want %d`, v, err, present)
			}
			t.Logf("killed after %d acknowledged batches; %d present", last+1, present+1)
		})
	}
}
