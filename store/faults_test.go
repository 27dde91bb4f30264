package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
)

func TestFaultInjectorCrashBefore(t *testing.T) {
	mem := NewMemory()
	fi := NewFaultInjector(mem)
	fi.Inject(3, FaultCrashBefore)
	mustWrite(t, fi, batchOf("a", "1"))
	mustWrite(t, fi, batchOf("b", "2"))
	if err := fi.Write(bg, batchOf("c", "3")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("third Write = %v, want ErrCrashed", err)
	}
	if !fi.Crashed() || fi.Writes() != 3 {
		t.Fatalf("crashed %v after %d writes", fi.Crashed(), fi.Writes())
	}
	if _, err := fi.Get(bg, "a"); !errors.Is(err, ErrCrashed) {
		t.Fatalf("Get after crash = %v", err)
	}
	if _, err := fi.List(bg, ""); !errors.Is(err, ErrCrashed) {
		t.Fatalf("List after crash = %v", err)
	}
	if err := fi.Write(bg, batchOf("d", "4")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("Write after crash = %v", err)
	}
	if err := fi.Write(bg, &Batch{}); !errors.Is(err, ErrCrashed) {
		t.Fatalf("empty Write after crash = %v", err)
	}
	if fi.Inner() != mem {
		t.Fatal("Inner is not the inner store")
	}
	checkState(t, mem, state{"a": "1", "b": "2"})
}

func TestFaultInjectorCrashAfter(t *testing.T) {
	mem := NewMemory()
	fi := NewFaultInjector(mem)
	fi.Inject(2, FaultCrashAfter)
	mustWrite(t, fi, batchOf("a", "1"))
	if err := fi.Write(bg, batchOf("b", "2")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("second Write = %v, want ErrCrashed", err)
	}
	if err := fi.Write(bg, batchOf("c", "3")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("Write after crash = %v", err)
	}
	checkState(t, mem, state{"a": "1", "b": "2"}) // durable although Write failed
}

func TestFaultInjectorFailIsTransient(t *testing.T) {
	mem := NewMemory()
	fi := NewFaultInjector(mem)
	fi.Inject(2, FaultFail)
	fi.Inject(4, FaultFail)
	fi.Inject(4, FaultNone) // cleared
	mustWrite(t, fi, batchOf("a", "1"))
	err := fi.Write(bg, batchOf("b", "2"))
	if !errors.Is(err, ErrInjected) || errors.Is(err, ErrCrashed) {
		t.Fatalf("second Write = %v, want ErrInjected", err)
	}
	checkState(t, fi, state{"a": "1"})
	mustWrite(t, fi, batchOf("b", "2")) // the retry
	mustWrite(t, fi, batchOf("c", "3"))
	if fi.Crashed() || fi.Writes() != 4 {
		t.Fatalf("crashed %v, %d writes", fi.Crashed(), fi.Writes())
	}
	checkState(t, fi, state{"a": "1", "b": "2", "c": "3"})
}

// TestFaultInjectorCounts: only Writes that would change the store count.
func TestFaultInjectorCounts(t *testing.T) {
	fi := NewFaultInjector(NewMemory())
	fi.Inject(1, FaultCrashBefore)
	if err := fi.Write(bg, &Batch{}); err != nil {
		t.Fatal(err)
	}
	var bad Batch
	bad.Put("", nil)
	if err := fi.Write(bg, &bad); !errors.Is(err, ErrInvalidKey) {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(bg)
	cancel()
	if err := fi.Write(cctx, batchOf("a", "1")); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if fi.Writes() != 0 || fi.Crashed() {
		t.Fatalf("%d writes counted, crashed %v", fi.Writes(), fi.Crashed())
	}
	if err := fi.Write(bg, batchOf("a", "1")); !errors.Is(err, ErrCrashed) {
		t.Fatalf("first real Write = %v", err)
	}
	if FaultCrashAfter.String() != "crash-after-durable" || Fault(9).String() != "Fault(9)" {
		t.Fatal("Fault names")
	}
}

// counterNode is a toy host: it moves "n" from 0 to steps, one batch per
// step, keeping a log entry per step in the same batch. It resumes from
// what the store holds.
func counterNode(s Store, steps int) error {
	v, err := s.Get(bg, "n")
	n := 0
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return err
	default:
		n, _ = strconv.Atoi(string(v))
	}
	for ; n < steps; n++ {
		var b Batch
		b.Put("n", []byte(strconv.Itoa(n+1)))
		b.Put(fmt.Sprintf("log/%03d", n+1), []byte("done"))
		if err := s.Write(bg, &b); err != nil {
			return err
		}
	}
	return nil
}

// checkCounter checks the invariant: n and the log agree.
func checkCounter(t *testing.T, s Store, minN, maxN int) int {
	t.Helper()
	v, err := s.Get(bg, "n")
	n := 0
	if err == nil {
		n, _ = strconv.Atoi(string(v))
	} else if !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	keys, err := s.List(bg, "log/")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != n || n < minN || n > maxN {
		t.Fatalf("n = %d with %d log entries, want %d..%d", n, len(keys), minN, maxN)
	}
	return n
}

// TestFaultInjectorEveryPersistencePoint crashes the toy node at every
// persistence point, both before and after the batch becomes durable,
// restarts it on what was durable, and checks that it finishes with a
// consistent state. The File variant restarts by reopening the directory.
func TestFaultInjectorEveryPersistencePoint(t *testing.T) {
	const steps = 6
	for _, backend := range []string{"memory", "file"} {
		for _, fault := range []Fault{FaultCrashBefore, FaultCrashAfter} {
			for at := 1; ; at++ {
				var inner Store
				var dir string
				if backend == "memory" {
					inner = NewMemory()
				} else {
					dir = t.TempDir()
					inner = mustOpen(t, dir)
				}
				fi := NewFaultInjector(inner)
				fi.Inject(at, fault)
				err := counterNode(fi, steps)
				if !fi.Crashed() {
					if err != nil {
						t.Fatal(err)
					}
					if at != steps+1 {
						t.Fatalf("%s/%v: no crash at write %d of %d", backend, fault, at, steps)
					}
					break
				}
				if !errors.Is(err, ErrCrashed) {
					t.Fatalf("crash reported as %v", err)
				}
				// Restart on what was durable.
				restarted := fi.Inner()
				if backend == "file" {
					restarted.(*File).Close()
					restarted = mustOpen(t, dir)
				}
				want := at - 1
				if fault == FaultCrashAfter {
					want = at
				}
				checkCounter(t, restarted, want, want)
				if err := counterNode(restarted, steps); err != nil {
					t.Fatal(err)
				}
				checkCounter(t, restarted, steps, steps)
			}
		}
	}
}
