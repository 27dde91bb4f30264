package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestFileCompactionCrashAtEachStep stops a compaction as a crash would
// after each of its steps and reopens: until the rename the old log is the
// store, after it the new one, and the state is the same either way.
func TestFileCompactionCrashAtEachStep(t *testing.T) {
	steps := []string{"created", "written", "synced", "renamed", "dirsynced"}
	for i, stop := range steps {
		t.Run(stop, func(t *testing.T) {
			dir := t.TempDir()
			armed := false
			f := mustOpen(t, dir, WithCompactAfter(0), withHooks(hooks{compactStep: func(step string) error {
				if armed && step == stop {
					return errCrashHook
				}
				return nil
			}}))
			want := state{}
			for _, b := range bigSnapshot() {
				mustWrite(t, f, b)
				want = want.apply(b)
			}
			before := readLog(t, dir)
			armed = true
			if err := f.Compact(bg); !errors.Is(err, errCrashHook) {
				t.Fatalf("Compact = %v", err)
			}
			f.abandon()
			renamed := i >= 3
			if _, err := os.Stat(filepath.Join(dir, TempFileName)); (err == nil) == renamed {
				t.Fatalf("temporary file present: %v, after the rename: %v", err == nil, renamed)
			}

			g := mustOpen(t, dir, WithCompactAfter(0))
			checkState(t, g, want)
			st := g.Stats()
			if renamed != (st.SnapshotSize > fileHeaderSize) {
				t.Fatalf("snapshot size %d after a crash at %q", st.SnapshotSize, stop)
			}
			if !renamed && string(readLog(t, dir)) != string(before) {
				t.Fatal("the old log changed before the rename")
			}
			// The store goes on: write, compact, reopen.
			b := batchOf("after", stop)
			mustWrite(t, g, b)
			want = want.apply(b)
			if err := g.Compact(bg); err != nil {
				t.Fatal(err)
			}
			g.Close()
			checkState(t, mustOpen(t, dir), want)
		})
	}
}

func TestFileReopenAfterCompaction(t *testing.T) {
	dir := t.TempDir()
	f := mustOpen(t, dir, WithCompactAfter(0))
	want := state{}
	apply := func(b *Batch) {
		mustWrite(t, f, b)
		want = want.apply(b)
	}
	for i := 0; i < 50; i++ {
		apply(batchOf(fmt.Sprintf("k%02d", i%10), pattern(i*10, byte(i)), fmt.Sprintf("d%d", i), "<delete>"))
	}
	apply(batchOf("big1", pattern(snapshotChunk, 1), "big2", pattern(snapshotChunk/2, 2)))
	before := f.Stats().FileSize
	if err := f.Compact(bg); err != nil {
		t.Fatal(err)
	}
	st := f.Stats()
	if st.Compactions != 1 || st.FileSize >= before || st.FileSize != st.SnapshotSize {
		t.Fatalf("after Compact: %+v (log was %d bytes)", st, before)
	}
	checkState(t, f, want)
	apply(batchOf("k00", "<delete>", "new", "1"))
	f.Close()
	f = mustOpen(t, dir, WithCompactAfter(0))
	checkState(t, f, want)
	// Compacting an emptied store leaves an empty snapshot.
	var b Batch
	for k := range want {
		b.Delete(k)
	}
	apply(&b)
	if err := f.Compact(bg); err != nil {
		t.Fatal(err)
	}
	if st := f.Stats(); st.FileSize != fileHeaderSize {
		t.Fatalf("empty store compacts to %d bytes", st.FileSize)
	}
	f.Close()
	checkState(t, mustOpen(t, dir), state{})
}

// TestFileAutoCompaction overwrites a few keys many times: compaction keeps
// the log within a bound and the state intact.
func TestFileAutoCompaction(t *testing.T) {
	dir := t.TempDir()
	const after = 8 << 10
	f := mustOpen(t, dir, WithCompactAfter(after))
	want := state{}
	maxSize := int64(0)
	for i := 0; i < 300; i++ {
		b := batchOf(fmt.Sprintf("k%d", i%7), pattern(150, byte(i)))
		mustWrite(t, f, b)
		want = want.apply(b)
		maxSize = max(maxSize, f.Stats().FileSize)
	}
	st := f.Stats()
	if st.Compactions < 3 || st.CompactionErrors != 0 {
		t.Fatalf("stats %+v", st)
	}
	// A compaction starts once the records pass max(after, snapshot), so
	// the log stays under snapshot + that + one record.
	if bound := int64(2*after + 1024); maxSize > bound {
		t.Fatalf("log reached %d bytes, bound %d", maxSize, bound)
	}
	f.Close()
	checkState(t, mustOpen(t, dir), want)
}

// TestFileCompactionFailureKeepsLog: a compaction that fails before its
// rename leaves the File on its old log, working.
func TestFileCompactionFailureKeepsLog(t *testing.T) {
	dir := t.TempDir()
	var logs []*faultyLog
	f := mustOpen(t, dir, WithCompactAfter(1), withHooks(hooks{wrap: func(l logFile) logFile {
		fl := &faultyLog{logFile: l}
		logs = append(logs, fl)
		return fl
	}}))
	mustWrite(t, f, batchOf("a", "1"))
	compactions := f.Stats().Compactions
	// Make the next compaction file fail its writes.
	failNext := func() {
		f.opts.hooks.compactStep = func(step string) error {
			if step == "created" {
				fl := logs[len(logs)-1]
				fl.mu.Lock()
				fl.failWrites = 1
				fl.mu.Unlock()
			}
			return nil
		}
	}
	failNext()
	mustWrite(t, f, batchOf("b", pattern(100, 1))) // durable even though its compaction fails
	st := f.Stats()
	if st.CompactionErrors != 1 || st.Compactions != compactions || !errors.Is(st.LastCompactionError, errDisk) {
		t.Fatalf("stats %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, TempFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("failed compaction left its file")
	}
	if err := f.Compact(bg); !errors.Is(err, errDisk) {
		t.Fatalf("Compact = %v, want the disk error", err)
	}
	f.opts.hooks.compactStep = nil
	mustWrite(t, f, batchOf("c", "3"))
	if err := f.Compact(bg); err != nil {
		t.Fatal(err)
	}
	if st := f.Stats(); st.LastCompactionError != nil {
		t.Fatalf("error not cleared: %v", st.LastCompactionError)
	}
	f.Close()
	checkState(t, mustOpen(t, dir), state{"a": "1", "b": pattern(100, 1), "c": "3"})
}

// TestFileCompactionDirSyncFailure: once the new file has its name, a
// failed directory sync leaves it unknown which file a crash would keep, so
// the File refuses further writes; the batch before stays durable.
func TestFileCompactionDirSyncFailure(t *testing.T) {
	dir := t.TempDir()
	fail := false
	f := mustOpen(t, dir, WithCompactAfter(0), withHooks(hooks{syncDir: func(d string) error {
		if fail {
			return errDisk
		}
		return syncDir(d)
	}}))
	mustWrite(t, f, batchOf("a", "1"))
	fail = true
	if err := f.Compact(bg); !errors.Is(err, ErrFailed) || !errors.Is(err, errDisk) {
		t.Fatalf("Compact = %v, want ErrFailed and the disk error", err)
	}
	if err := f.Write(bg, batchOf("b", "2")); !errors.Is(err, ErrFailed) {
		t.Fatalf("Write after = %v, want ErrFailed", err)
	}
	checkState(t, f, state{"a": "1"})
	f.Close()
	checkState(t, mustOpen(t, dir), state{"a": "1"})
}
