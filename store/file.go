package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Names of the files a File keeps in its directory.
const (
	// LockFileName is the file that a File holds an exclusive lock on.
	LockFileName = "LOCK"
	// LogFileName is the log: the file header, the snapshot, then one
	// record per durable write.
	LogFileName = "store.log"
	// TempFileName is where compaction writes the next log before renaming
	// it over LogFileName. OpenFile removes a leftover one.
	TempFileName = "store.log.tmp"
)

// DefaultCompactAfter is the default for WithCompactAfter.
const DefaultCompactAfter = 4 << 20

// File is the embedded default Store: an append-only log of checksummed
// records in one directory, with the whole live key space held in memory.
// See the package documentation for its format and recovery rule.
//
// Write costs one write(2) and exactly one fdatasync(2) per record; a record
// holds one batch, or several when concurrent Writes are committed together
// (group commit), so there is never more than one fdatasync per batch. Get
// and List never touch the disk. Compaction (see Compact) runs inside the
// Write that crosses the threshold, after that Write's batch is durable.
//
// Because every key and value is held in memory and the log is read whole
// when the File is opened, File is meant for one node's state: up to a few
// hundred megabytes.
//
// A File is safe for concurrent use. It holds an exclusive lock on its
// directory until Close, so one directory has one writer.
type File struct {
	dir, path string
	opts      options
	lock      *os.File
	closed    atomic.Bool

	mu      sync.Mutex // guards queue and closing
	queue   []*request
	closing bool
	idle    sync.Cond // signalled when queue becomes empty

	commitMu    sync.Mutex // serialises appends, compaction and Close; guards the fields below
	log         logFile
	size        int64  // append offset: the end of the last durable record
	snapEnd     int64  // end of the snapshot records
	seq         uint64 // sequence number of the next record
	buf         []byte
	failed      error
	nextCompact int64 // automatic compaction waits until size reaches it

	idxMu sync.RWMutex // guards idx; writers also hold commitMu
	idx   *index

	st struct {
		batches, records, recordSyncs, syncs, bytes   atomic.Int64
		compactions, compactionErrors, truncatedBytes atomic.Int64
		fileSize, snapSize                            atomic.Int64
		compactionErr                                 atomic.Pointer[errBox]
	}
}

var _ Store = (*File)(nil)

// logFile is what File needs from an open file; tests wrap it to inject
// I/O errors.
type logFile interface {
	io.ReaderAt
	io.WriterAt
	Truncate(size int64) error
	Datasync() error
	Sync() error
	Close() error
}

type osFile struct{ *os.File }

func (f osFile) Datasync() error { return datasync(f.File) }

// request is one Write waiting in the group-commit queue.
type request struct {
	ops      []Op
	size     int
	taken    bool // in a group that a leader is committing
	finished bool
	err      error
	wake     chan struct{}
}

// Option configures OpenFile.
type Option func(*options)

type options struct {
	compactAfter int64
	hooks        hooks
}

// hooks let tests observe and interrupt a File at chosen points.
type hooks struct {
	wrap         func(logFile) logFile
	beforeCommit func(requests int)
	compactStep  func(step string) error
	syncDir      func(dir string) error
}

func (f *File) syncDir() error {
	if h := f.opts.hooks.syncDir; h != nil {
		return h(f.dir)
	}
	return syncDir(f.dir)
}

func withHooks(h hooks) Option { return func(o *options) { o.hooks = h } }

// WithCompactAfter sets when a Write triggers compaction: once the records
// after the snapshot take at least n bytes and at least as many bytes as the
// snapshot. Each compaction thus rewrites no more than was appended since
// the last one, and its syncs (the new file, and the directory) are spread
// over at least n bytes of writes. n <= 0 turns automatic compaction off
// (Compact still works). The default is DefaultCompactAfter.
func WithCompactAfter(n int64) Option { return func(o *options) { o.compactAfter = n } }

// Stats are a File's counters since OpenFile.
type Stats struct {
	// Batches is the number of non-empty batches made durable.
	Batches int64
	// Records is the number of records appended for them: fewer than
	// Batches when group commit put concurrent batches in one record.
	Records int64
	// RecordSyncs is the number of fdatasyncs that committed records:
	// exactly one per record.
	RecordSyncs int64
	// Syncs counts every fdatasync and fsync: of records, of a truncation
	// (at recovery or after a failed append), of a compaction's new file
	// and of the directory.
	Syncs int64
	// BytesWritten is what was written to the log and to compaction files.
	BytesWritten int64
	// Compactions is the number of completed compactions.
	Compactions int64
	// CompactionErrors is the number of compactions that failed. The old
	// log stays in use after a failure.
	CompactionErrors int64
	// LastCompactionError is the error of the last compaction, or nil if
	// it succeeded (or none ran). An automatic compaction that fails is
	// retried after another WithCompactAfter bytes of writes.
	LastCompactionError error
	// TruncatedBytes is the size of the torn tail that OpenFile removed.
	TruncatedBytes int64
	// FileSize is the log's size.
	FileSize int64
	// SnapshotSize is the part of FileSize up to the end of the snapshot
	// (the file header included).
	SnapshotSize int64
	// Keys is the number of live keys.
	Keys int
	// LiveBytes is the sum of the live keys' and values' lengths.
	LiveBytes int64
}

// OpenFile opens the File store in dir, creating dir (mode 0700) and an
// empty store if needed, and recovers its state from the log. It fails with
// an error wrapping ErrLocked if another File holds dir, ErrCorrupt (a
// *CorruptError) if the log holds damage that is not a torn last write, or
// ErrVersion for a newer format. A torn last write is truncated away; its
// size is in Stats().TruncatedBytes.
func OpenFile(dir string, opts ...Option) (*File, error) {
	o := options{compactAfter: DefaultCompactAfter}
	for _, opt := range opts {
		opt(&o)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: create %s: %w", dir, err)
		}
		if err := syncDir(filepath.Dir(filepath.Clean(dir))); err != nil {
			return nil, fmt.Errorf("store: sync parent of %s: %w", dir, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	lock, err := lockFile(filepath.Join(dir, LockFileName))
	if err != nil {
		return nil, err
	}
	f := &File{dir: dir, path: filepath.Join(dir, LogFileName), opts: o, lock: lock, idx: newIndex()}
	f.idle.L = &f.mu
	if err := f.open(); err != nil {
		lock.Close()
		return nil, err
	}
	return f, nil
}

func (f *File) wrap(file *os.File) logFile {
	var lf logFile = osFile{file}
	if f.opts.hooks.wrap != nil {
		lf = f.opts.hooks.wrap(lf)
	}
	return lf
}

// open recovers the log, or creates an empty one.
func (f *File) open() error {
	if err := os.Remove(filepath.Join(f.dir, TempFileName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: remove leftover %s: %w", TempFileName, err)
	}
	if _, err := os.Stat(f.path); errors.Is(err, fs.ErrNotExist) {
		// A new store is an empty snapshot, installed like a compaction.
		lf, snapEnd, seq, installed, err := f.writeSnapshot(1)
		if err != nil {
			if installed {
				lf.Close()
			}
			return err
		}
		f.log, f.size, f.snapEnd, f.seq = lf, snapEnd, snapEnd, seq
		f.st.fileSize.Store(snapEnd)
		f.st.snapSize.Store(snapEnd)
		return nil
	}
	file, err := os.OpenFile(f.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: open %s: %w", f.path, err)
	}
	lf := f.wrap(file)
	fi, err := file.Stat()
	if err != nil {
		lf.Close()
		return fmt.Errorf("store: stat %s: %w", f.path, err)
	}
	size := fi.Size()
	rc, err := recoverLog(lf, size, f.path, f.idx)
	if err != nil {
		lf.Close()
		return err
	}
	if rc.end < size {
		// Make the truncation durable before anything is appended, so that
		// no byte of the torn record can reappear after a later record.
		if err := lf.Truncate(rc.end); err != nil {
			lf.Close()
			return fmt.Errorf("store: truncate torn tail of %s: %w", f.path, err)
		}
		f.st.syncs.Add(1)
		if err := lf.Datasync(); err != nil {
			lf.Close()
			return fmt.Errorf("store: sync %s: %w", f.path, err)
		}
		f.st.truncatedBytes.Store(size - rc.end)
	}
	f.log, f.size, f.snapEnd, f.seq = lf, rc.end, int64(rc.header.snapEnd), rc.seq
	f.st.fileSize.Store(rc.end)
	f.st.snapSize.Store(f.snapEnd)
	return nil
}

func closedErr(op string) error { return fmt.Errorf("store: %s: %w", op, ErrClosed) }

// Get implements Store. It reads memory only.
func (f *File) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctxErr("get", ctx); err != nil {
		return nil, err
	}
	if f.closed.Load() {
		return nil, closedErr("get")
	}
	if err := CheckKey(key); err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	f.idxMu.RLock()
	v, ok := f.idx.get(key)
	var out []byte
	if ok {
		out = append([]byte{}, v...)
	}
	f.idxMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("store: get %q: %w", key, ErrNotFound)
	}
	return out, nil
}

// List implements Store. It reads memory only.
func (f *File) List(ctx context.Context, prefix string) ([]string, error) {
	if err := ctxErr("list", ctx); err != nil {
		return nil, err
	}
	if f.closed.Load() {
		return nil, closedErr("list")
	}
	f.idxMu.RLock()
	defer f.idxMu.RUnlock()
	return f.idx.list(prefix), nil
}

// Write implements Store. It returns once the batch is durable: after its
// record's fdatasync. Writes that arrive while another is being committed
// queue up, and the next committer takes all of them (up to MaxBatchSize in
// all) into one record and one fdatasync. ctx is honoured until the batch
// is taken into a record; from then on Write waits for the outcome.
//
// An error from the write(2) is undone (the file is truncated back and the
// truncation synced) and the File stays usable: the caller may retry. An
// fdatasync error, or a failure to undo, leaves the File failed: Write
// returns an error wrapping ErrFailed until the File is reopened.
func (f *File) Write(ctx context.Context, b *Batch) error {
	if err := ctxErr("write", ctx); err != nil {
		return err
	}
	if f.closed.Load() {
		return closedErr("write")
	}
	if err := b.Err(); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	req := &request{ops: b.ops, size: b.size, wake: make(chan struct{}, 1)}
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return closedErr("write")
	}
	f.queue = append(f.queue, req)
	for {
		if req.finished {
			f.mu.Unlock()
			return req.err
		}
		if f.queue[0] == req {
			break
		}
		if req.taken {
			// A leader is committing this batch: wait for the outcome.
			f.mu.Unlock()
			<-req.wake
			f.mu.Lock()
			continue
		}
		if err := ctxErr("write", ctx); err != nil {
			f.removeLocked(req)
			f.mu.Unlock()
			return err
		}
		f.mu.Unlock()
		select {
		case <-req.wake:
		case <-ctx.Done():
		}
		f.mu.Lock()
	}
	// This request leads: it commits itself and the requests behind it.
	if err := ctxErr("write", ctx); err != nil {
		f.removeLocked(req)
		f.mu.Unlock()
		return err
	}
	n, total := 0, 0
	for _, r := range f.queue {
		if n > 0 && total+r.size > MaxBatchSize {
			break
		}
		r.taken = true
		total += r.size
		n++
	}
	group := append([]*request(nil), f.queue[:n]...)
	f.mu.Unlock()

	compact, err := f.commit(group)

	f.mu.Lock()
	for _, r := range group {
		r.finished, r.err = true, err
		if r != req {
			wake(r)
		}
	}
	f.queue = append(f.queue[:0], f.queue[n:]...)
	if len(f.queue) > 0 {
		wake(f.queue[0])
	} else {
		f.idle.Broadcast()
	}
	f.mu.Unlock()
	if compact {
		f.autoCompact()
	}
	return err
}

func wake(r *request) {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// removeLocked drops a request that was not taken from the queue, waking
// the next leader if it was the first.
func (f *File) removeLocked(req *request) {
	for i, r := range f.queue {
		if r == req {
			f.queue = append(f.queue[:i], f.queue[i+1:]...)
			break
		}
	}
	if len(f.queue) == 0 {
		f.idle.Broadcast()
	} else {
		wake(f.queue[0])
	}
}

// commit appends one record holding the group's batches, fdatasyncs it and
// applies the batches to the index. It reports whether automatic
// compaction is due.
func (f *File) commit(group []*request) (bool, error) {
	// Copy the values for the index before taking any lock.
	owned := make([][]Op, len(group))
	batches := make([][]Op, len(group))
	nbatches := int64(len(group))
	for i, r := range group {
		batches[i] = r.ops
		owned[i] = make([]Op, len(r.ops))
		for j, op := range r.ops {
			owned[i][j] = Op{Key: op.Key, Delete: op.Delete}
			if !op.Delete {
				owned[i][j].Value = append(make([]byte, 0, len(op.Value)), op.Value...)
			}
		}
	}

	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	if f.log == nil {
		return false, closedErr("write")
	}
	if f.failed != nil {
		return false, f.failed
	}
	if h := f.opts.hooks.beforeCommit; h != nil {
		h(len(group))
	}
	f.buf = appendRecord(f.buf[:0], f.size, f.seq, batches)
	rec := f.buf
	if cap(f.buf) > 1<<20 {
		f.buf = nil // do not keep a large batch's buffer
	}
	if _, err := f.log.WriteAt(rec, f.size); err != nil {
		return false, f.undo(err)
	}
	f.st.bytes.Add(int64(len(rec)))
	f.st.syncs.Add(1)
	if err := f.log.Datasync(); err != nil {
		f.failed = fmt.Errorf("%w: fdatasync %s: %w", ErrFailed, f.path, err)
		return false, f.failed
	}
	f.st.recordSyncs.Add(1)
	f.st.records.Add(1)
	f.st.batches.Add(nbatches)
	f.size += int64(len(rec))
	f.seq++
	f.st.fileSize.Store(f.size)

	f.idxMu.Lock()
	for _, ops := range owned {
		for _, op := range ops {
			if op.Delete {
				f.idx.delete(op.Key)
			} else {
				f.idx.put(op.Key, op.Value)
			}
		}
	}
	f.idxMu.Unlock()
	return f.compactDueLocked(), nil
}

// undo removes what a failed append may have left and makes that durable,
// so that the next record is written over nothing.
func (f *File) undo(werr error) error {
	if err := f.log.Truncate(f.size); err != nil {
		f.failed = fmt.Errorf("%w: append to %s failed (%v), then truncating it back failed: %w", ErrFailed, f.path, werr, err)
		return f.failed
	}
	f.st.syncs.Add(1)
	if err := f.log.Datasync(); err != nil {
		f.failed = fmt.Errorf("%w: append to %s failed (%v), then fdatasync of the truncation failed: %w", ErrFailed, f.path, werr, err)
		return f.failed
	}
	return fmt.Errorf("store: append to %s: %w", f.path, werr)
}

// Close waits for queued Writes, then closes the log and releases the
// directory's lock. Every method of a closed File returns an error wrapping
// ErrClosed, Close included.
func (f *File) Close() error {
	f.mu.Lock()
	if f.closing {
		f.mu.Unlock()
		return closedErr("close")
	}
	f.closing = true
	f.closed.Store(true)
	for len(f.queue) > 0 {
		f.idle.Wait()
	}
	f.mu.Unlock()

	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	err := f.log.Close()
	f.log = nil
	if lerr := f.lock.Close(); err == nil {
		err = lerr
	}
	if err != nil {
		return fmt.Errorf("store: close %s: %w", f.dir, err)
	}
	return nil
}

// Dir returns the directory the File was opened on.
func (f *File) Dir() string { return f.dir }

// Stats returns the File's counters.
func (f *File) Stats() Stats {
	f.idxMu.RLock()
	keys, live := f.idx.n, f.idx.bytes
	f.idxMu.RUnlock()
	var cerr error
	if b := f.st.compactionErr.Load(); b != nil {
		cerr = b.err
	}
	return Stats{
		LastCompactionError: cerr,
		Batches:             f.st.batches.Load(),
		Records:             f.st.records.Load(),
		RecordSyncs:         f.st.recordSyncs.Load(),
		Syncs:               f.st.syncs.Load(),
		BytesWritten:        f.st.bytes.Load(),
		Compactions:         f.st.compactions.Load(),
		CompactionErrors:    f.st.compactionErrors.Load(),
		TruncatedBytes:      f.st.truncatedBytes.Load(),
		FileSize:            f.st.fileSize.Load(),
		SnapshotSize:        f.st.snapSize.Load(),
		Keys:                keys,
		LiveBytes:           live,
	}
}
