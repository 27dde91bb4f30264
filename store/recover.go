package store

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// Recovery. OpenFile reads the file header, then every record in order,
// applying each one to the in-memory index. Records before the header's
// snapshot end were written to a separate file and fsynced before that file
// got its name (see compact.go), so any failure there is ErrCorrupt. After
// the snapshot, the first record that fails a check starts the "tail",
// which analyzeTail classifies.
//
// The crash model: a crash loses writes that no fdatasync has covered, and
// leaves bytes that one did cover intact. A File writes one record with one
// write call, fdatasyncs it, and only then writes the next; a failed append
// is truncated away, and the truncation fdatasynced, before anything else is
// written. So at a crash at most one record, the last, is unfinished, and
// nothing but zeros (from a filesystem that extended the file before the
// data reached the disk) follows it. An unfinished record can look like
// any mix of its own bytes and zeros, sector by sector (512 bytes), and can
// be cut short anywhere.
//
// analyzeTail drops the tail (truncates the file to where it starts) only if
// it shows that its record was never completely written, and otherwise
// reports ErrCorrupt with the offset:
//
//   - Damage followed by data is ErrCorrupt: the record after a valid
//     header must end where the non-zero bytes end, and with a damaged
//     header no valid record header (with a plausible sequence number) may
//     follow. Data after a record means that record was finished, and so
//     was made durable before the next one was written.
//   - With a valid header, the tail is torn if the file ends before the
//     record does, if the record's end marker is missing (zeros, or a
//     prefix of the marker and zeros), or if its payload fails its checksum
//     and a whole disk sector of the payload is zeros and the writer's flag
//     says no sector of that record came close to zero (a flipped bit can
//     then not zero a sector). A record that is all there, marker
//     included, but fails a check is ErrCorrupt.
//   - With a damaged header, the tail is torn if it is all zeros, if the
//     header is all zeros (its sector never reached the disk), or if its
//     non-zero bytes are too few for a record or do not end with the end
//     marker (they are a cut prefix). Otherwise it is a record with a
//     damaged header: ErrCorrupt.
//
// Why no batch that Write reported durable is lost: its record was covered
// by an fdatasync, so in the crash model it is intact and passes every
// check; only the record after it can fail, and dropping that one loses a
// batch whose Write had not returned. Beyond the crash model, one flipped
// bit anywhere in any record, the last included, is ErrCorrupt: it cannot
// zero a marker byte (each has at least two bits set) or a sector (the flag
// covers sectors with fewer than two non-zero bytes), cannot zero a header,
// and leaves the file's length and the marker in place. What cannot be told
// from a torn write is damage that looks like one: the end of the file's
// last record zeroed or cut off.

// recovered is what a scan of a log found.
type recovered struct {
	header fileHeader
	end    int64  // offset after the last valid record
	seq    uint64 // sequence number of the next record
}

// recoverLog scans the log in r (size bytes), applying its records to idx.
// It returns ErrCorrupt or ErrVersion errors, or I/O errors from r.
func recoverLog(r io.ReaderAt, size int64, path string, idx *index) (recovered, error) {
	var rc recovered
	corrupt := func(off int64, format string, args ...any) error {
		return &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	if size < fileHeaderSize {
		return rc, corrupt(0, "file is %d bytes, shorter than its header", size)
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, 0, size), int(min(size, 256<<10)))
	var hb [fileHeaderSize]byte
	if _, err := io.ReadFull(br, hb[:]); err != nil {
		return rc, fmt.Errorf("store: read %s: %w", path, err)
	}
	h, err := parseFileHeader(hb[:])
	if err != nil {
		return rc, corrupt(0, "%v", err)
	}
	if h.version != formatVersion {
		return rc, fmt.Errorf("%w: %s has version %d, this package reads %d", ErrVersion, path, h.version, formatVersion)
	}
	if h.snapEnd > uint64(size) {
		return rc, corrupt(0, "snapshot ends at %d, past the end of the file (%d)", h.snapEnd, size)
	}
	rc.header = h
	snapEnd := int64(h.snapEnd)
	off, seq := int64(fileHeaderSize), h.baseSeq
	var buf []byte
	apply := func(key, value []byte, del bool) {
		if del {
			idx.delete(string(key))
			return
		}
		idx.put(string(key), append(make([]byte, 0, len(value)), value...))
	}
	for off < size {
		inSnap := off < snapEnd
		limit := size
		if inSnap {
			limit = snapEnd
		}
		reason := ""
		var rh recHeader
		var ok bool
		var n int64
		if limit-off < recHeaderSize {
			reason = "incomplete record header"
		} else {
			var b [recHeaderSize]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return rc, fmt.Errorf("store: read %s: %w", path, err)
			}
			rh, ok = parseRecHeader(b[:])
			n = recOverhead + int64(rh.length)
			switch {
			case !ok:
				reason = "record header checksum mismatch"
			case rh.seq != seq:
				reason = fmt.Sprintf("record sequence %d, want %d", rh.seq, seq)
			case rh.length < minPayload || rh.length > maxRecordPayload:
				reason = fmt.Sprintf("record length %d out of range", rh.length)
			case n > limit-off:
				reason = "record extends past the end"
			}
		}
		if reason == "" {
			// n is at most limit-off, so this allocation is bounded by the
			// file's size.
			if int64(cap(buf)) < n-recHeaderSize {
				buf = make([]byte, n-recHeaderSize)
			}
			rec := buf[:n-recHeaderSize]
			if _, err := io.ReadFull(br, rec); err != nil {
				return rc, fmt.Errorf("store: read %s: %w", path, err)
			}
			payload := rec[:rh.length]
			switch {
			case [recTrailerSize]byte(rec[rh.length:]) != endMarker:
				reason = "bad end marker"
			case crc(payload) != rh.pcrc:
				reason = "payload checksum mismatch"
			case decodePayload(payload, func(_, _ []byte, _ bool) {}) != nil:
				reason = "malformed payload"
			default:
				decodePayload(payload, apply)
			}
		}
		if reason != "" {
			if inSnap {
				return rc, corrupt(off, "snapshot: %s", reason)
			}
			if err := analyzeTail(r, path, off, size, seq); err != nil {
				return rc, err
			}
			break
		}
		off += n
		seq++
	}
	if off < snapEnd {
		return rc, corrupt(off, "snapshot records end before the snapshot end %d", snapEnd)
	}
	rc.end, rc.seq = off, seq
	return rc, nil
}

// analyzeTail decides whether the bytes from off to size, where the first
// invalid record after the snapshot starts, are a torn append (nil: the
// caller truncates them) or damage (a *CorruptError). See the comment at
// the top of this file.
func analyzeTail(r io.ReaderAt, path string, off, size int64, seq uint64) error {
	corrupt := func(format string, args ...any) error {
		return &CorruptError{Path: path, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	if size-off < recHeaderSize {
		return nil
	}
	var hb [recHeaderSize]byte
	if _, err := r.ReadAt(hb[:], off); err != nil {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	h, ok := parseRecHeader(hb[:])
	if ok {
		if h.seq != seq {
			return corrupt("record sequence %d, want %d", h.seq, seq)
		}
		if h.length < minPayload || h.length > maxRecordPayload {
			return corrupt("record length %d out of range", h.length)
		}
		end := off + recOverhead + int64(h.length)
		if end > size {
			return nil // cut short
		}
		nz, err := lastNonZero(r, end, size)
		if err != nil {
			return fmt.Errorf("store: read %s: %w", path, err)
		}
		if nz >= 0 {
			return corrupt("damaged record followed by data at offset %d", nz)
		}
		rec := make([]byte, end-off) // bounded by the file's size
		if _, err := r.ReadAt(rec, off); err != nil {
			return fmt.Errorf("store: read %s: %w", path, err)
		}
		marker := rec[len(rec)-recTrailerSize:]
		payload := rec[recHeaderSize : len(rec)-recTrailerSize]
		if [recTrailerSize]byte(marker) != endMarker {
			if isCutMarker(marker) {
				return nil
			}
			return corrupt("bad end marker %x", marker)
		}
		if crc(payload) != h.pcrc {
			if h.flags&flagLowSector == 0 && hasZeroSector(payload, off+recHeaderSize) {
				return nil // a sector that never reached the disk
			}
			return corrupt("payload checksum mismatch")
		}
		return corrupt("malformed payload")
	}
	p, err := scanForHeader(r, off+1, size, seq)
	if err != nil {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	if p >= 0 {
		return corrupt("damaged record header followed by a valid record header at offset %d", p)
	}
	nz, err := lastNonZero(r, off, size)
	if err != nil {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	z := nz + 1
	if nz < 0 || allZero(hb[:]) || z-off < minRecordSize {
		return nil
	}
	var tail [recTrailerSize]byte
	if _, err := r.ReadAt(tail[:], z-recTrailerSize); err != nil {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	if tail != endMarker {
		return nil // the data ends in a cut, not with a record's end
	}
	return corrupt("record header checksum mismatch")
}

// isCutMarker reports whether m is a proper prefix of the end marker
// followed by zeros.
func isCutMarker(m []byte) bool {
	for k := 0; k < recTrailerSize; k++ {
		if string(m[:k]) == string(endMarker[:k]) && allZero(m[k:]) {
			return true
		}
	}
	return false
}

const scanChunk = 1 << 20

// lastNonZero returns the offset of the last non-zero byte in [from, to), or
// -1 if there is none.
func lastNonZero(r io.ReaderAt, from, to int64) (int64, error) {
	last := int64(-1)
	buf := make([]byte, min(to-from, scanChunk))
	for off := from; off < to; {
		n := min(int64(len(buf)), to-off)
		if _, err := r.ReadAt(buf[:n], off); err != nil {
			return 0, err
		}
		for i := n - 1; i >= 0; i-- {
			if buf[i] != 0 {
				last = off + i
				break
			}
		}
		off += n
	}
	return last, nil
}

// scanForHeader returns the first offset in [from, to) that holds a record
// header with a valid checksum and a sequence number that a record after a
// damaged record with sequence seq could have, or -1.
func scanForHeader(r io.ReaderAt, from, to int64, seq uint64) (int64, error) {
	if to-from < recHeaderSize {
		return -1, nil
	}
	maxSeq := seq + uint64(to-from)/minRecordSize + 1
	buf := make([]byte, min(to-from, scanChunk+recHeaderSize))
	for off := from; off+recHeaderSize <= to; {
		n := min(int64(len(buf)), to-off)
		if _, err := r.ReadAt(buf[:n], off); err != nil {
			return 0, err
		}
		for i := int64(0); i+recHeaderSize <= n; i++ {
			s := binary.LittleEndian.Uint64(buf[i+4:])
			if s < seq || s > maxSeq {
				continue
			}
			if _, ok := parseRecHeader(buf[i : i+recHeaderSize]); ok {
				return off + i, nil
			}
		}
		// The next window starts where a header could not fit in this one.
		off += n - recHeaderSize + 1
	}
	return -1, nil
}
