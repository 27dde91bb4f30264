package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Compaction writes the live key space, in key order, as the snapshot
// records of a new log file (TempFileName), then its file header, fsyncs
// it, renames it over LogFileName and fsyncs the directory. The rename is
// the commit point: until it, the old log is the store and a leftover
// temporary file is removed by the next OpenFile; after it, the new file
// holds the same state. No record is appended to the new file before the
// directory is synced, so no batch can land in a file whose name might not
// survive a crash. A new store is created the same way, from an empty key
// space.
//
// This costs two syncs and a rewrite of the live data; WithCompactAfter
// spreads them over many batches.

// snapshotChunk is the payload size at which a snapshot record is closed.
const snapshotChunk = 1 << 20

// errCrashHook, returned by a compactStep hook, stops compaction as a crash
// would at that point: nothing is cleaned up.
var errCrashHook = errors.New("store: simulated crash")

type errBox struct{ err error }

// Compact rewrites the log as a snapshot of the live key space now, whatever
// the WithCompactAfter threshold. Writes wait while it runs; reads do not.
// If it fails before the new file is installed, the File goes on with the
// old log and Compact returns the error.
func (f *File) Compact(ctx context.Context) error {
	if err := ctxErr("compact", ctx); err != nil {
		return err
	}
	if f.closed.Load() {
		return closedErr("compact")
	}
	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	if f.log == nil {
		return closedErr("compact")
	}
	if f.failed != nil {
		return f.failed
	}
	return f.compactLocked()
}

func (f *File) compactDueLocked() bool {
	n := f.opts.compactAfter
	logBytes := f.size - f.snapEnd
	return n > 0 && logBytes >= n && logBytes >= f.snapEnd && f.size >= f.nextCompact
}

// autoCompact runs after a Write whose commit found compaction due.
func (f *File) autoCompact() {
	f.commitMu.Lock()
	defer f.commitMu.Unlock()
	if f.log == nil || f.failed != nil || !f.compactDueLocked() {
		return
	}
	if err := f.compactLocked(); err != nil {
		f.nextCompact = f.size + f.opts.compactAfter
	}
}

func (f *File) compactLocked() error {
	lf, snapEnd, seq, installed, err := f.writeSnapshot(f.seq)
	if err != nil {
		f.st.compactionErrors.Add(1)
		f.st.compactionErr.Store(&errBox{err})
		if errors.Is(err, errCrashHook) {
			return err
		}
		if installed {
			// The new file has the name, but the rename may not be durable:
			// appending to either file could put a batch where a crash
			// loses it.
			f.swapLog(lf, snapEnd, seq)
			f.failed = fmt.Errorf("%w: %w", ErrFailed, err)
			return f.failed
		}
		return err
	}
	f.swapLog(lf, snapEnd, seq)
	f.nextCompact = 0
	f.st.compactions.Add(1)
	f.st.compactionErr.Store(nil)
	return nil
}

func (f *File) swapLog(lf logFile, snapEnd int64, seq uint64) {
	old := f.log
	f.log, f.size, f.snapEnd, f.seq = lf, snapEnd, snapEnd, seq
	f.st.fileSize.Store(snapEnd)
	f.st.snapSize.Store(snapEnd)
	if old != nil {
		old.Close()
	}
}

// writeSnapshot writes the index as a new log file whose first record has
// sequence number baseSeq and installs it under LogFileName. It returns the
// open file, its size (which is where the snapshot ends), and the next
// sequence number. installed reports whether the rename happened, even if
// a later step failed.
func (f *File) writeSnapshot(baseSeq uint64) (lf logFile, size int64, seq uint64, installed bool, err error) {
	step := func(name string) error {
		if h := f.opts.hooks.compactStep; h != nil {
			return h(name)
		}
		return nil
	}
	tmp := filepath.Join(f.dir, TempFileName)
	file, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, 0, 0, false, fmt.Errorf("store: create %s: %w", tmp, err)
	}
	lf = f.wrap(file)
	tmpFile := lf // the named result is nil on most error returns
	defer func() {
		if err != nil && !installed && !errors.Is(err, errCrashHook) {
			tmpFile.Close()
			os.Remove(tmp)
		}
	}()
	if err := step("created"); err != nil {
		return nil, 0, 0, false, err
	}

	off := int64(fileHeaderSize)
	seq = baseSeq
	var out []byte
	var chunk []Op
	chunkSize := 0
	flushChunk := func() {
		if len(chunk) > 0 {
			out = appendRecord(out, off+int64(len(out)), seq, [][]Op{chunk})
			seq++
			clear(chunk)
			chunk, chunkSize = chunk[:0], 0
		}
	}
	writeOut := func() error {
		if len(out) == 0 {
			return nil
		}
		if _, err := lf.WriteAt(out, off); err != nil {
			return fmt.Errorf("store: write %s: %w", tmp, err)
		}
		f.st.bytes.Add(int64(len(out)))
		off += int64(len(out))
		out = out[:0]
		return nil
	}
	// The caller holds commitMu, so the index cannot change underneath;
	// readers only read it.
	for n := f.idx.first(); n != nil; n = n.next[0] {
		chunk = append(chunk, Op{Key: n.key, Value: n.value})
		chunkSize += len(n.key) + len(n.value) + BatchOpOverhead
		if chunkSize >= snapshotChunk {
			flushChunk()
			if len(out) >= snapshotChunk {
				if err := writeOut(); err != nil {
					return nil, 0, 0, false, err
				}
			}
		}
	}
	flushChunk()
	if err := writeOut(); err != nil {
		return nil, 0, 0, false, err
	}
	hdr := appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: baseSeq, snapEnd: uint64(off)})
	if _, err := lf.WriteAt(hdr, 0); err != nil {
		return nil, 0, 0, false, fmt.Errorf("store: write %s: %w", tmp, err)
	}
	f.st.bytes.Add(int64(len(hdr)))
	if err := step("written"); err != nil {
		return nil, 0, 0, false, err
	}
	f.st.syncs.Add(1)
	if err := lf.Sync(); err != nil {
		return nil, 0, 0, false, fmt.Errorf("store: sync %s: %w", tmp, err)
	}
	if err := step("synced"); err != nil {
		return nil, 0, 0, false, err
	}
	if err := os.Rename(tmp, f.path); err != nil {
		return nil, 0, 0, false, fmt.Errorf("store: rename %s: %w", tmp, err)
	}
	installed = true
	if err := step("renamed"); err != nil {
		return lf, off, seq, true, err
	}
	f.st.syncs.Add(1)
	if err := f.syncDir(); err != nil {
		return lf, off, seq, true, fmt.Errorf("store: sync directory %s: %w", f.dir, err)
	}
	if err := step("dirsynced"); err != nil {
		return lf, off, seq, true, err
	}
	return lf, off, seq, true, nil
}
