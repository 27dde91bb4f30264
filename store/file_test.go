package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// The helper process of TestFileLockedAcrossProcesses.
	if dir := os.Getenv("LNKIT_STORE_LOCK_HELPER"); dir != "" {
		f, err := OpenFile(dir)
		switch {
		case errors.Is(err, ErrLocked):
			os.Exit(3)
		case err != nil:
			fmt.Fprintln(os.Stderr, err)
			os.Exit(4)
		}
		f.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestFileOneSyncPerBatch(t *testing.T) {
	dir := t.TempDir()
	f := mustOpen(t, dir)
	base := f.Stats()
	if base.Syncs != 2 {
		t.Errorf("creating a store: %d syncs, want 2 (the new file and the directory)", base.Syncs)
	}
	const n = 20
	for i := 0; i < n; i++ {
		mustWrite(t, f, batchOf(fmt.Sprintf("k%d", i), pattern(200, byte(i)), "x", "1", "y", "2"))
		mustWrite(t, f, &Batch{}) // empty: no record, no sync
	}
	st := f.Stats()
	if st.Batches != n || st.Records != n || st.RecordSyncs != n || st.Syncs-base.Syncs != n {
		t.Fatalf("%d batches: stats %+v, want exactly one record and one sync each", n, st)
	}
	if st.BytesWritten-base.BytesWritten != st.FileSize-base.FileSize {
		t.Fatalf("wrote %d bytes, file grew by %d", st.BytesWritten, st.FileSize-base.FileSize)
	}
	f.Close()
	g := mustOpen(t, dir)
	if st := g.Stats(); st.Syncs != 0 || st.TruncatedBytes != 0 || st.Keys != n+2 {
		t.Fatalf("reopening a clean log: %+v, want no syncs, no truncation, %d keys", st, n+2)
	}
}

// waitQueued waits until n Writes wait behind the leader.
func waitQueued(f *File, n int) {
	for {
		f.mu.Lock()
		q := len(f.queue)
		f.mu.Unlock()
		if q >= n+1 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// TestFileGroupCommit holds the first commit until several Writes queue
// behind it, and checks that the next commit takes them all: one record and
// one fdatasync for the group, never more syncs than batches, and every
// batch durable.
func TestFileGroupCommit(t *testing.T) {
	dir := t.TempDir()
	release := make(chan struct{})
	var once sync.Once
	f := mustOpen(t, dir, withHooks(hooks{beforeCommit: func(int) {
		once.Do(func() { <-release })
	}}))
	const followers = 6
	var wg sync.WaitGroup
	errs := make(chan error, followers+1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- f.Write(bg, batchOf("leader", "1"))
	}()
	waitQueued(f, 0)
	for i := 0; i < followers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- f.Write(bg, batchOf(fmt.Sprintf("f%d", i), "v", "shared", fmt.Sprint(i)))
		}()
	}
	waitQueued(f, followers)
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := f.Stats()
	if st.Batches != followers+1 || st.Records != 2 || st.RecordSyncs != 2 {
		t.Fatalf("stats %+v: want %d batches in 2 records with 2 syncs", st, followers+1)
	}
	if st.RecordSyncs > st.Batches {
		t.Fatalf("%d syncs for %d batches", st.RecordSyncs, st.Batches)
	}
	f.Close()
	g := mustOpen(t, dir)
	keys, _ := g.List(bg, "f")
	if len(keys) != followers {
		t.Fatalf("after reopen: %q", keys)
	}
	if _, err := g.Get(bg, "shared"); err != nil {
		t.Fatal(err)
	}
}

// TestFileGroupCommitStress runs many concurrent writers: whatever the
// grouping, syncs never exceed batches and everything is durable.
func TestFileGroupCommitStress(t *testing.T) {
	dir := t.TempDir()
	f := mustOpen(t, dir, WithCompactAfter(2048))
	const writers, each = 8, 15
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := f.Write(bg, batchOf(fmt.Sprintf("w%d/%d", w, i), pattern(100, byte(i)))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st := f.Stats()
	if st.Batches != writers*each || st.RecordSyncs != st.Records || st.Records > st.Batches {
		t.Fatalf("stats %+v", st)
	}
	t.Logf("%d batches in %d records, %d compactions", st.Batches, st.Records, st.Compactions)
	f.Close()
	g := mustOpen(t, dir)
	if n := g.Stats().Keys; n != writers*each {
		t.Fatalf("%d keys after reopen, want %d", n, writers*each)
	}
}

// TestFileCancelWhileQueued cancels a Write waiting behind a commit: it
// returns the context's error and its batch is never applied.
func TestFileCancelWhileQueued(t *testing.T) {
	dir := t.TempDir()
	release := make(chan struct{})
	var once sync.Once
	f := mustOpen(t, dir, withHooks(hooks{beforeCommit: func(int) {
		once.Do(func() { <-release })
	}}))
	done := make(chan error, 1)
	go func() { done <- f.Write(bg, batchOf("leader", "1")) }()
	waitQueued(f, 0)
	cctx, cancel := context.WithCancel(bg)
	canceled := make(chan error, 1)
	go func() { canceled <- f.Write(cctx, batchOf("canceled", "1")) }()
	waitQueued(f, 1)
	cancel()
	if err := <-canceled; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled Write = %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mustWrite(t, f, batchOf("after", "1"))
	f.Close()
	checkState(t, mustOpen(t, dir), state{"leader": "1", "after": "1"})
}

// faultyLog injects I/O errors into a File's log.
type faultyLog struct {
	logFile
	mu                                  sync.Mutex
	failWrites, failSyncs, failTruncate int
	partial                             bool // a failing write writes half first
}

var errDisk = errors.New("injected disk error")

func (l *faultyLog) WriteAt(p []byte, off int64) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failWrites > 0 {
		l.failWrites--
		if l.partial {
			n, _ := l.logFile.WriteAt(p[:len(p)/2], off)
			return n, errDisk
		}
		return 0, errDisk
	}
	return l.logFile.WriteAt(p, off)
}

func (l *faultyLog) Datasync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failSyncs > 0 {
		l.failSyncs--
		return errDisk
	}
	return l.logFile.Datasync()
}

func (l *faultyLog) Truncate(n int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failTruncate > 0 {
		l.failTruncate--
		return errDisk
	}
	return l.logFile.Truncate(n)
}

func openFaulty(t *testing.T, dir string) (*File, *faultyLog) {
	var fl *faultyLog
	f := mustOpen(t, dir, WithCompactAfter(0), withHooks(hooks{wrap: func(l logFile) logFile {
		fl = &faultyLog{logFile: l}
		return fl
	}}))
	return f, fl
}

// TestFileWriteErrorIsTransient: a failed append, whole or partial, is
// undone; the File keeps working and the failed batch never appears.
func TestFileWriteErrorIsTransient(t *testing.T) {
	for _, partial := range []bool{false, true} {
		dir := t.TempDir()
		f, fl := openFaulty(t, dir)
		mustWrite(t, f, batchOf("a", "1"))
		size := f.Stats().FileSize
		fl.mu.Lock()
		fl.failWrites, fl.partial = 1, partial
		fl.mu.Unlock()
		err := f.Write(bg, batchOf("lost", pattern(2000, 1)))
		if !errors.Is(err, errDisk) || errors.Is(err, ErrFailed) {
			t.Fatalf("partial=%v: Write = %v, want the disk error and not ErrFailed", partial, err)
		}
		if fi, _ := os.Stat(filepath.Join(dir, LogFileName)); fi.Size() != size {
			t.Fatalf("partial=%v: log is %d bytes after the undo, want %d", partial, fi.Size(), size)
		}
		checkState(t, f, state{"a": "1"})
		mustWrite(t, f, batchOf("b", "2"))
		f.Close()
		checkState(t, mustOpen(t, dir), state{"a": "1", "b": "2"})
	}
}

// TestFileSyncErrorIsSticky: after an fdatasync error the File refuses
// writes with ErrFailed, still serves reads, and a reopen recovers a
// consistent state.
func TestFileSyncErrorIsSticky(t *testing.T) {
	dir := t.TempDir()
	f, fl := openFaulty(t, dir)
	mustWrite(t, f, batchOf("a", "1"))
	fl.mu.Lock()
	fl.failSyncs = 1
	fl.mu.Unlock()
	if err := f.Write(bg, batchOf("b", "2", "c", "3")); !errors.Is(err, ErrFailed) || !errors.Is(err, errDisk) {
		t.Fatalf("Write with a failing fdatasync = %v, want ErrFailed and the disk error", err)
	}
	if err := f.Write(bg, batchOf("d", "4")); !errors.Is(err, ErrFailed) {
		t.Fatalf("next Write = %v, want ErrFailed", err)
	}
	if err := f.Compact(bg); !errors.Is(err, ErrFailed) {
		t.Fatalf("Compact = %v, want ErrFailed", err)
	}
	checkState(t, f, state{"a": "1"})
	f.Close()
	// The record reached the page cache, so it is there after reopening;
	// the caller was told its outcome is unknown. Either way it is whole.
	g := mustOpen(t, dir)
	keys, _ := g.List(bg, "")
	if len(keys) != 1 && len(keys) != 3 {
		t.Fatalf("after reopen: %q, want the batch all or nothing", keys)
	}
}

func TestFileUndoFailureIsSticky(t *testing.T) {
	dir := t.TempDir()
	f, fl := openFaulty(t, dir)
	fl.mu.Lock()
	fl.failWrites, fl.partial, fl.failTruncate = 1, true, 1
	fl.mu.Unlock()
	if err := f.Write(bg, batchOf("a", "1")); !errors.Is(err, ErrFailed) {
		t.Fatalf("Write = %v, want ErrFailed", err)
	}
	if err := f.Write(bg, batchOf("b", "1")); !errors.Is(err, ErrFailed) {
		t.Fatalf("next Write = %v, want ErrFailed", err)
	}
	f.Close()
	// The half record left behind is a torn tail.
	g := mustOpen(t, dir)
	checkState(t, g, state{})
	if g.Stats().TruncatedBytes == 0 {
		t.Fatal("no torn tail truncated")
	}
}

func TestFileClosed(t *testing.T) {
	dir := t.TempDir()
	f := mustOpen(t, dir)
	mustWrite(t, f, batchOf("a", "1"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Get(bg, "a"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get = %v", err)
	}
	if _, err := f.List(bg, ""); !errors.Is(err, ErrClosed) {
		t.Fatalf("List = %v", err)
	}
	if err := f.Write(bg, batchOf("b", "1")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write = %v", err)
	}
	if err := f.Compact(bg); !errors.Is(err, ErrClosed) {
		t.Fatalf("Compact = %v", err)
	}
	if err := f.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v", err)
	}
	checkState(t, mustOpen(t, dir), state{"a": "1"})
}

// TestFileCloseWaitsForWrites closes while writers are active: every Write
// either succeeds (and is durable) or reports ErrClosed.
func TestFileCloseWaitsForWrites(t *testing.T) {
	dir := t.TempDir()
	f := mustOpen(t, dir)
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := state{}
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				k := fmt.Sprintf("w%d/%d", w, i)
				err := f.Write(bg, batchOf(k, "v"))
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ok[k] = "v"
				mu.Unlock()
			}
		}()
	}
	for f.Stats().Batches < 10 {
		time.Sleep(time.Millisecond)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	checkState(t, mustOpen(t, dir), ok)
}

func TestFileLocked(t *testing.T) {
	dir := t.TempDir()
	f := mustOpen(t, dir)
	if _, err := OpenFile(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second OpenFile = %v, want ErrLocked", err)
	}
	f.Close()
	g := mustOpen(t, dir)
	g.Close()
}

func TestFileLockedAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	helper := func() int {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "LNKIT_STORE_LOCK_HELPER="+dir)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("helper: %v %s", err, out)
		}
		return 0
	}
	f := mustOpen(t, dir)
	if code := helper(); code != 3 {
		t.Fatalf("another process opened a locked store: exit %d, want 3 (ErrLocked)", code)
	}
	f.Close()
	if code := helper(); code != 0 {
		t.Fatalf("another process could not open the released store: exit %d", code)
	}
}

func TestFileCreatesDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	f := mustOpen(t, dir)
	mustWrite(t, f, batchOf("k", "v"))
	f.Close()
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory: %v, %v", fi.Mode(), err)
	}
	checkState(t, mustOpen(t, dir), state{"k": "v"})
}

func TestFileOpenErrors(t *testing.T) {
	// A regular file where the directory should be.
	p := filepath.Join(t.TempDir(), "file")
	os.WriteFile(p, nil, 0o600)
	if _, err := OpenFile(p); err == nil {
		t.Fatal("opened a store on a regular file")
	}
	if os.Geteuid() != 0 {
		dir := t.TempDir()
		os.Chmod(dir, 0o500)
		defer os.Chmod(dir, 0o700)
		if _, err := OpenFile(dir); !errors.Is(err, syscall.EACCES) {
			t.Fatalf("read-only directory: %v", err)
		}
	}
}
