package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"maps"
	"slices"
	"testing"
)

// oracleState parses a log with its own minimal reader (sharing no code
// with recoverLog) and returns the state after the longest run of valid
// records from the start, and where that run ends. ok is false when the
// header or the snapshot is invalid.
func oracleState(data []byte) (st state, end int64, ok bool) {
	tab := crc32.MakeTable(crc32.Castagnoli)
	le := binary.LittleEndian
	if len(data) < 40 || string(data[:8]) != "lnkitkv\n" || crc32.Checksum(data[:36], tab) != le.Uint32(data[36:]) ||
		le.Uint32(data[8:]) != 1 || le.Uint32(data[12:]) != 0 || le.Uint32(data[32:]) != 0 {
		return nil, 0, false
	}
	seq, snapEnd := le.Uint64(data[16:]), le.Uint64(data[24:])
	if seq == 0 || snapEnd < 40 || snapEnd > uint64(len(data)) {
		return nil, 0, false
	}
	st = state{}
	off := 40
	for {
		r := data[off:]
		valid := len(r) >= 28 && crc32.Checksum(r[:20], tab) == le.Uint32(r[20:]) && le.Uint64(r[4:]) == seq
		var n int
		if valid {
			n = 28 + int(le.Uint32(r))
			valid = le.Uint32(r) >= 4 && le.Uint32(r) <= maxRecordPayload && n <= len(r) &&
				bytes.Equal(r[n-4:n], []byte{0xa5, 0x5a, 0xc3, 0x3c}) &&
				crc32.Checksum(r[24:n-4], tab) == le.Uint32(r[16:])
		}
		var next state
		if valid {
			next, valid = oracleApply(st, r[24:n-4])
		}
		if !valid {
			if uint64(off) < snapEnd {
				return nil, 0, false
			}
			return st, int64(off), true
		}
		if uint64(off) < snapEnd && uint64(off+n) > snapEnd {
			return nil, 0, false
		}
		st, off, seq = next, off+n, seq+1
	}
}

func oracleApply(st state, p []byte) (state, bool) {
	st = maps.Clone(st)
	count, n := binary.Uvarint(p)
	if n <= 0 || count == 0 {
		return nil, false
	}
	p = p[n:]
	for ; count > 0; count-- {
		if len(p) == 0 || (p[0] != 1 && p[0] != 2) {
			return nil, false
		}
		put := p[0] == 1
		kl, n := binary.Uvarint(p[1:])
		if n <= 0 || kl == 0 || kl > MaxKeySize || kl > uint64(len(p)-1-n) {
			return nil, false
		}
		key := string(p[1+n : 1+n+int(kl)])
		p = p[1+n+int(kl):]
		if !put {
			delete(st, key)
			continue
		}
		vl, n := binary.Uvarint(p)
		if n <= 0 || vl > MaxValueSize || vl > uint64(len(p)-n) {
			return nil, false
		}
		st[key] = string(p[n : n+int(vl)])
		p = p[n+int(vl):]
	}
	return st, len(p) == 0
}

// FuzzFileRecover opens arbitrary bytes as a log (with a valid file header
// put in front unless they start with the magic). It must never panic;
// either OpenFile fails with ErrCorrupt or ErrVersion, or it opens with
// exactly the state of the valid records before the first invalid one (the
// torn tail it dropped), reads back consistently, reopens to the same
// state with nothing more to truncate, and takes a new durable write.
func FuzzFileRecover(f *testing.F) {
	dir, ends, _ := history(f, tornBatches())
	full := readLog(f, dir)
	f.Add(full)
	f.Add(full[fileHeaderSize:]) // records only: the fuzzer mutates these
	for _, e := range ends {
		f.Add(full[:e])
		f.Add(full[:min(e+7, int64(len(full)))])
		f.Add(append(append([]byte{}, full[:min(e+30, int64(len(full)))]...), make([]byte, 600)...))
	}
	flipped := append([]byte{}, full...)
	flipped[ends[2]+30] ^= 4
	f.Add(flipped)
	compacted, snapEnd, _ := compactedLog(f, smallSnapshot()...)
	f.Add(compacted)
	f.Add(compacted[:snapEnd])
	f.Add(compacted[:snapEnd-3])
	f.Add([]byte{})
	f.Add([]byte(fileMagic))
	f.Add(forgedRecord(0xffffffff, 1))
	f.Add(forgedRecord(maxRecordPayload, 1))

	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, []byte(fileMagic)) {
			hdr := appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 1, snapEnd: fileHeaderSize})
			data = append(hdr, data...)
		}
		want, wantEnd, wantOK := oracleState(data)
		_, _, memErr := recoverBytes(data)
		d := t.TempDir()
		s, err := openLog(t, d, data)
		if (err == nil) != (memErr == nil) {
			t.Fatalf("on disk: %v; in memory: %v", err, memErr)
		}
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			var ce *CorruptError
			if errors.As(err, &ce) && (ce.Offset < 0 || ce.Offset > int64(len(data))) {
				t.Fatalf("offset %d outside a %d-byte file", ce.Offset, len(data))
			}
			return
		}
		defer s.Close()
		if !wantOK {
			t.Fatal("opened a log whose header or snapshot is invalid")
		}
		keys, lerr := s.List(bg, "")
		if lerr != nil || !slices.IsSorted(keys) {
			t.Fatalf("List: %q, %v", keys, lerr)
		}
		checkState(t, s, want)
		st := s.Stats()
		if st.FileSize != wantEnd || st.TruncatedBytes != int64(len(data))-wantEnd {
			t.Fatalf("recovered to %d (truncated %d), oracle says %d of %d", st.FileSize, st.TruncatedBytes, wantEnd, len(data))
		}
		s.Close()
		s2 := mustOpen(t, d)
		if st := s2.Stats(); st.TruncatedBytes != 0 {
			t.Fatalf("second open truncated %d more bytes", st.TruncatedBytes)
		}
		checkState(t, s2, want)
		b := batchOf("fuzz", "new", "\xff", "<delete>")
		mustWrite(t, s2, b)
		s2.Close()
		checkState(t, mustOpen(t, d), want.apply(b))
	})
}
