package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/lnkit/lnkit/store"
)

// Opener returns a new, empty store for one subtest. It registers any
// cleanup with t.Cleanup.
type Opener func(t *testing.T) store.Store

// Reopener closes s and returns a new Store over the same durable data.
type Reopener func(t *testing.T, s store.Store) store.Store

// Run runs the conformance suite, each check in its own subtest on a store
// from open.
func Run(t *testing.T, open Opener) {
	run(t, open, func(_ *testing.T, s store.Store) store.Store { return s })
}

// RunReopen runs the conformance suite like Run, and calls reopen wherever a
// check has written data and is about to read it back.
func RunReopen(t *testing.T, open Opener, reopen Reopener) {
	run(t, open, reopen)
}

type suite struct {
	open   Opener
	reopen Reopener
}

func run(t *testing.T, open Opener, reopen Reopener) {
	s := suite{open, reopen}
	tests := []struct {
		name string
		fn   func(*testing.T, suite)
	}{
		{"GetMissing", testGetMissing},
		{"PutGet", testPutGet},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"EmptyValue", testEmptyValue},
		{"LastOpWins", testLastOpWins},
		{"InvalidBatchIsAtomic", testInvalidBatchAtomic},
		{"SizeLimits", testSizeLimits},
		{"ListOrder", testListOrder},
		{"ListPrefixEdges", testListPrefixEdges},
		{"ValueIsolation", testValueIsolation},
		{"BatchReuse", testBatchReuse},
		{"EmptyBatch", testEmptyBatch},
		{"ContextCanceled", testContextCanceled},
		{"Concurrent", testConcurrent},
		{"RandomAgainstModel", testRandomModel},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, s) })
	}
}

var ctx = context.Background()

func write(t *testing.T, s store.Store, b *store.Batch) {
	t.Helper()
	if err := s.Write(ctx, b); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

func put(t *testing.T, s store.Store, kv ...string) {
	t.Helper()
	var b store.Batch
	for i := 0; i+1 < len(kv); i += 2 {
		b.Put(kv[i], []byte(kv[i+1]))
	}
	write(t, s, &b)
}

func wantValue(t *testing.T, s store.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(ctx, key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if got == nil || !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %q (nil: %v), want %q", key, trunc(got), got == nil, trunc(want))
	}
}

func trunc(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func wantMissing(t *testing.T, s store.Store, key string) {
	t.Helper()
	v, err := s.Get(ctx, key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want an error wrapping ErrNotFound", key, trunc(v), err)
	}
}

func wantList(t *testing.T, s store.Store, prefix string, want ...string) {
	t.Helper()
	got, err := s.List(ctx, prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	if len(got) != len(want) || (len(want) > 0 && !slices.Equal(got, want)) {
		t.Fatalf("List(%q) = %q, want %q", prefix, got, want)
	}
}

func testGetMissing(t *testing.T, su suite) {
	s := su.open(t)
	wantMissing(t, s, "missing")
	wantList(t, s, "")
	put(t, s, "a", "1")
	s = su.reopen(t, s)
	wantMissing(t, s, "b")
	wantMissing(t, s, "a\x00")
}

func testPutGet(t *testing.T, su suite) {
	s := su.open(t)
	put(t, s, "k1", "v1", "k2", "v2")
	s = su.reopen(t, s)
	wantValue(t, s, "k1", []byte("v1"))
	wantValue(t, s, "k2", []byte("v2"))
	wantList(t, s, "", "k1", "k2")
}

func testOverwrite(t *testing.T, su suite) {
	s := su.open(t)
	put(t, s, "k", "first")
	put(t, s, "k", "second, longer than the first")
	s = su.reopen(t, s)
	wantValue(t, s, "k", []byte("second, longer than the first"))
	put(t, s, "k", "3")
	s = su.reopen(t, s)
	wantValue(t, s, "k", []byte("3"))
	wantList(t, s, "", "k")
}

func testDelete(t *testing.T, su suite) {
	s := su.open(t)
	put(t, s, "a", "1", "b", "2", "c", "3")
	var b store.Batch
	b.Delete("b")
	b.Delete("never-written")
	write(t, s, &b)
	s = su.reopen(t, s)
	wantMissing(t, s, "b")
	wantMissing(t, s, "never-written")
	wantValue(t, s, "a", []byte("1"))
	wantValue(t, s, "c", []byte("3"))
	wantList(t, s, "", "a", "c")
	// Delete everything, then write again.
	b.Reset()
	b.Delete("a")
	b.Delete("c")
	write(t, s, &b)
	s = su.reopen(t, s)
	wantList(t, s, "")
	put(t, s, "b", "again")
	s = su.reopen(t, s)
	wantValue(t, s, "b", []byte("again"))
}

func testEmptyValue(t *testing.T, su suite) {
	s := su.open(t)
	var b store.Batch
	b.Put("nil", nil)
	b.Put("empty", []byte{})
	write(t, s, &b)
	s = su.reopen(t, s)
	for _, k := range []string{"nil", "empty"} {
		v, err := s.Get(ctx, k)
		if err != nil || v == nil || len(v) != 0 {
			t.Fatalf("Get(%q) = %v (nil: %v), %v; want a non-nil empty value", k, v, v == nil, err)
		}
	}
	wantList(t, s, "", "empty", "nil")
}

func testLastOpWins(t *testing.T, su suite) {
	s := su.open(t)
	var b store.Batch
	b.Put("a", []byte("1"))
	b.Put("a", []byte("2"))
	b.Put("b", []byte("1"))
	b.Delete("b")
	b.Delete("c")
	b.Put("c", []byte("3"))
	b.Put("d", []byte("4"))
	b.Delete("d")
	b.Put("d", []byte("5"))
	write(t, s, &b)
	s = su.reopen(t, s)
	wantValue(t, s, "a", []byte("2"))
	wantMissing(t, s, "b")
	wantValue(t, s, "c", []byte("3"))
	wantValue(t, s, "d", []byte("5"))
	wantList(t, s, "", "a", "c", "d")
}

func testInvalidBatchAtomic(t *testing.T, su suite) {
	s := su.open(t)
	put(t, s, "keep", "old")
	cases := []struct {
		name string
		bad  func(b *store.Batch)
		want error
	}{
		{"EmptyKey", func(b *store.Batch) { b.Put("", []byte("x")) }, store.ErrInvalidKey},
		{"LongKey", func(b *store.Batch) { b.Delete(strings.Repeat("k", store.MaxKeySize+1)) }, store.ErrInvalidKey},
	}
	for _, c := range cases {
		var b store.Batch
		b.Put("keep", []byte("new"))
		b.Put("fresh", []byte("x"))
		b.Delete("keep")
		c.bad(&b)
		b.Put("after", []byte("y"))
		if !errors.Is(b.Err(), c.want) {
			t.Fatalf("%s: Batch.Err() = %v, want %v", c.name, b.Err(), c.want)
		}
		if err := s.Write(ctx, &b); !errors.Is(err, c.want) {
			t.Fatalf("%s: Write = %v, want an error wrapping %v", c.name, err, c.want)
		}
	}
	s = su.reopen(t, s)
	wantValue(t, s, "keep", []byte("old"))
	wantMissing(t, s, "fresh")
	wantMissing(t, s, "after")
	wantList(t, s, "", "keep")
}

func testSizeLimits(t *testing.T, su suite) {
	s := su.open(t)
	if _, err := s.Get(ctx, ""); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf(`Get("") = %v, want ErrInvalidKey`, err)
	}
	long := strings.Repeat("\xff", store.MaxKeySize+1)
	if _, err := s.Get(ctx, long); !errors.Is(err, store.ErrInvalidKey) {
		t.Fatalf("Get(long key) = %v, want ErrInvalidKey", err)
	}
	if _, err := s.List(ctx, long); err != nil {
		t.Fatalf("List(long prefix) = %v, want no error", err)
	}
	maxKey := strings.Repeat("k", store.MaxKeySize)
	big := make([]byte, store.MaxValueSize)
	for i := range 4096 {
		big[i] = byte(i * 7)
	}
	for n := 4096; n < len(big); n *= 2 {
		copy(big[n:], big[:n])
	}
	var b store.Batch
	b.Put(maxKey, []byte("max key"))
	b.Put("big", big)
	if b.Err() != nil {
		t.Fatalf("batch at the limits: %v", b.Err())
	}
	write(t, s, &b)

	b.Reset()
	b.Put("too-big", make([]byte, store.MaxValueSize+1))
	if err := s.Write(ctx, &b); !errors.Is(err, store.ErrValueTooLarge) {
		t.Fatalf("Write(value of MaxValueSize+1) = %v, want ErrValueTooLarge", err)
	}
	b.Reset()
	b.Put("big2", big)
	b.Put("big3", big) // together past MaxBatchSize
	if err := s.Write(ctx, &b); !errors.Is(err, store.ErrBatchTooLarge) {
		t.Fatalf("Write(batch past MaxBatchSize) = %v, want ErrBatchTooLarge", err)
	}
	s = su.reopen(t, s)
	wantValue(t, s, maxKey, []byte("max key"))
	wantValue(t, s, "big", big)
	wantMissing(t, s, "too-big")
	wantMissing(t, s, "big2")
	wantList(t, s, "", "big", maxKey)
}

// binaryKeys are keys whose bytewise order differs from any text order.
var binaryKeys = []string{
	"\x00", "\x00\x00", "\x00\xff", "\x01", "a", "a\x00", "a\x00\x00", "a\x01",
	"a\x7f", "a\x80", "a\xff", "a\xff\x00", "a\xff\xff", "ab", "b", "\x7f",
	"\x80", "\xc3\xa9", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\xff",
}

func testListOrder(t *testing.T, su suite) {
	s := su.open(t)
	keys := slices.Clone(binaryKeys)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	for i := 0; i < len(keys); i += 5 {
		var b store.Batch
		for _, k := range keys[i:min(i+5, len(keys))] {
			b.Put(k, []byte("v:"+k))
		}
		write(t, s, &b)
	}
	s = su.reopen(t, s)
	want := slices.Clone(binaryKeys)
	sort.Strings(want) // Go compares strings bytewise
	wantList(t, s, "", want...)
	for _, k := range binaryKeys {
		wantValue(t, s, k, []byte("v:"+k))
	}
}

func testListPrefixEdges(t *testing.T, su suite) {
	s := su.open(t)
	var b store.Batch
	for _, k := range binaryKeys {
		b.Put(k, []byte("v"))
	}
	write(t, s, &b)
	s = su.reopen(t, s)
	all := slices.Clone(binaryKeys)
	sort.Strings(all)
	for _, prefix := range []string{
		"", "\x00", "a", "a\x00", "a\xff", "a\xff\xff", "ab", "abc", "b", "c",
		"\x7f", "\x80", "\xff", "\xff\xff", "\xff\xff\xff", "\xff\xff\xff\xff", "\x00\x00\x00",
	} {
		var want []string
		for _, k := range all {
			if strings.HasPrefix(k, prefix) {
				want = append(want, k)
			}
		}
		wantList(t, s, prefix, want...)
	}
	// A prefix equal to a key lists that key first.
	got, err := s.List(ctx, "a")
	if err != nil || len(got) == 0 || got[0] != "a" {
		t.Fatalf(`List("a") = %q, %v; want "a" first`, got, err)
	}
}

func testValueIsolation(t *testing.T, su suite) {
	s := su.open(t)
	v := []byte("original")
	var b store.Batch
	b.Put("k", v)
	copy(v, "mutated!") // after Put, before Write
	write(t, s, &b)
	copy(v, "again!!!") // after Write
	for i := range b.Ops() {
		// Writing into a batch's op values is forbidden, but a store must
		// still not share them.
		if op := b.Ops()[i]; !op.Delete {
			copy(op.Value, "batch!!!")
		}
	}
	wantValue(t, s, "k", []byte("original"))
	got, err := s.Get(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	copy(got, "returned")
	got = append(got[:0], "appended"...)
	_ = got
	wantValue(t, s, "k", []byte("original"))
	keys, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	keys[0] = "zzz"
	wantList(t, s, "", "k")
	s = su.reopen(t, s)
	wantValue(t, s, "k", []byte("original"))
}

func testBatchReuse(t *testing.T, su suite) {
	s := su.open(t)
	var b store.Batch
	b.Put("a", []byte("1"))
	write(t, s, &b)
	write(t, s, &b) // the same batch again is harmless
	b.Reset()
	if b.Len() != 0 || b.Err() != nil {
		t.Fatalf("after Reset: Len %d, Err %v", b.Len(), b.Err())
	}
	b.Put("b", []byte("2"))
	write(t, s, &b)
	s = su.reopen(t, s)
	wantValue(t, s, "a", []byte("1"))
	wantValue(t, s, "b", []byte("2"))
	wantList(t, s, "", "a", "b")
}

func testEmptyBatch(t *testing.T, su suite) {
	s := su.open(t)
	put(t, s, "a", "1")
	if err := s.Write(ctx, &store.Batch{}); err != nil {
		t.Fatalf("Write(empty batch) = %v", err)
	}
	s = su.reopen(t, s)
	wantList(t, s, "", "a")
}

func testContextCanceled(t *testing.T, su suite) {
	s := su.open(t)
	put(t, s, "a", "1")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Get(cctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get(canceled) = %v, want context.Canceled", err)
	}
	if _, err := s.List(cctx, ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("List(canceled) = %v, want context.Canceled", err)
	}
	var b store.Batch
	b.Put("b", []byte("2"))
	if err := s.Write(cctx, &b); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write(canceled) = %v, want context.Canceled", err)
	}
	s = su.reopen(t, s)
	wantMissing(t, s, "b")
	wantList(t, s, "", "a")
}

func testConcurrent(t *testing.T, su suite) {
	s := su.open(t)
	const writers, batches, readers = 4, 25, 4
	var wg sync.WaitGroup
	errs := make(chan error, writers+readers)
	stop := make(chan struct{})
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < batches; i++ {
				var b store.Batch
				// Each batch writes a pair that must always match.
				v := []byte(fmt.Sprintf("w%d-%03d", w, i))
				b.Put(fmt.Sprintf("w%d/a", w), v)
				b.Put(fmt.Sprintf("w%d/b", w), v)
				b.Put(fmt.Sprintf("w%d/log/%03d", w, i), v)
				if err := s.Write(ctx, &b); err != nil {
					errs <- err
					return
				}
				if got, err := s.Get(ctx, fmt.Sprintf("w%d/a", w)); err != nil || !bytes.Equal(got, v) {
					errs <- fmt.Errorf("writer %d reads back %q, %v after writing %q", w, got, err, v)
					return
				}
			}
		}()
	}
	var rwg sync.WaitGroup
	for r := 0; r < readers; r++ {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				keys, err := s.List(ctx, fmt.Sprintf("w%d/", r%writers))
				if err != nil {
					errs <- err
					return
				}
				if !sort.StringsAreSorted(keys) {
					errs <- fmt.Errorf("List not sorted: %q", keys)
					return
				}
				for _, k := range keys {
					if _, err := s.Get(ctx, k); err != nil {
						errs <- fmt.Errorf("listed key %q: %v", k, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	rwg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s = su.reopen(t, s)
	for w := 0; w < writers; w++ {
		last := []byte(fmt.Sprintf("w%d-%03d", w, batches-1))
		wantValue(t, s, fmt.Sprintf("w%d/a", w), last)
		wantValue(t, s, fmt.Sprintf("w%d/b", w), last)
		keys, err := s.List(ctx, fmt.Sprintf("w%d/log/", w))
		if err != nil || len(keys) != batches {
			t.Fatalf("writer %d: %d log keys, %v; want %d", w, len(keys), err, batches)
		}
	}
}

func testRandomModel(t *testing.T, su suite) {
	s := su.open(t)
	rng := rand.New(rand.NewPCG(7, 11))
	model := map[string][]byte{}
	randKey := func() string {
		n := 1 + rng.IntN(4)
		k := make([]byte, n)
		for i := range k {
			k[i] = []byte{0x00, 'a', 'b', 0x7f, 0x80, 0xff}[rng.IntN(6)]
		}
		return string(k)
	}
	check := func() {
		t.Helper()
		var want []string
		for k := range model {
			want = append(want, k)
		}
		sort.Strings(want)
		wantList(t, s, "", want...)
		for _, k := range want {
			wantValue(t, s, k, model[k])
		}
		for i := 0; i < 10; i++ {
			p := randKey()[:1]
			var wp []string
			for _, k := range want {
				if strings.HasPrefix(k, p) {
					wp = append(wp, k)
				}
			}
			wantList(t, s, p, wp...)
		}
	}
	for round := 0; round < 60; round++ {
		var b store.Batch
		for n := rng.IntN(6); n >= 0; n-- {
			k := randKey()
			if rng.IntN(3) == 0 {
				b.Delete(k)
				delete(model, k)
			} else {
				v := make([]byte, rng.IntN(300))
				for i := range v {
					v[i] = byte(rng.Uint32())
				}
				b.Put(k, v)
				model[k] = v
			}
		}
		write(t, s, &b)
		if round%15 == 14 {
			s = su.reopen(t, s)
		}
		if round%5 == 4 {
			check()
		}
	}
	s = su.reopen(t, s)
	check()
}
