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

// fuzzLog builds a valid log from arbitrary bytes: a sequence of batches of
// puts and deletes over a small key space. The first snapRecords records
// form the snapshot. It returns the log, the offset of each record's start
// and the end, and the state after each record.
func fuzzLog(data []byte, snapRecords int) (log []byte, offs []int64, states []state) {
	var batches [][]Op
	var cur []Op
	for i := 0; i+2 < len(data) && len(batches) < 8; {
		kind, klen, vlen := data[i], 1+int(data[i+1]%3), int(data[i+2])
		i += 3
		key := string(data[i:min(i+klen, len(data))])
		if key == "" {
			key = "k"
		}
		i += klen
		if kind&1 == 0 {
			cur = append(cur, Op{Key: key, Delete: true})
		} else {
			v := make([]byte, vlen*int(kind>>4+1))
			for j := range v {
				v[j] = byte(j) ^ kind
			}
			cur = append(cur, Op{Key: key, Value: v})
		}
		if kind&2 != 0 {
			batches = append(batches, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	snapRecords = min(snapRecords, len(batches))
	log = make([]byte, fileHeaderSize)
	states = []state{{}}
	for i, ops := range batches {
		if i == snapRecords {
			copy(log, appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 5, snapEnd: uint64(len(log))}))
		}
		offs = append(offs, int64(len(log)))
		log = appendRecord(log, int64(len(log)), uint64(5+i), [][]Op{ops})
		var b Batch
		b.ops = ops
		states = append(states, states[len(states)-1].apply(&b))
	}
	if snapRecords == len(batches) {
		copy(log, appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 5, snapEnd: uint64(len(log))}))
	}
	offs = append(offs, int64(len(log)))
	return log, offs, states
}

func indexState(idx *index) state {
	s := state{}
	for n := idx.first(); n != nil; n = n.next[0] {
		s[n.key] = string(n.value)
	}
	return s
}

// FuzzRecoverDamage builds a valid log from the input, damages it the way
// the mode says, and checks the recovery rule in memory:
//
//   - a cut anywhere in the last log record, with or without zeros after it
//     (a torn append), recovers every record before it;
//   - one flipped bit anywhere (header, snapshot, any record) is ErrCorrupt;
//   - a zeroed sector inside the last record's payload is a torn append
//     unless the record's flag says it had a near-zero sector;
//   - arbitrary overwrites either fail with ErrCorrupt or recover exactly
//     the valid prefix (the independent oracle's state).
func FuzzRecoverDamage(f *testing.F) {
	f.Add([]byte("\x01\x00\x10a\x03\x01\x05bc\x02\x00\x00a\x13\x02\xffxyz\x01\x00\x01q"), uint32(7), byte(0), byte(0))
	f.Add([]byte("\x01\x00\x10a\x03\x01\x05bc\x02\x00\x00a\x13\x02\xffxyz\x01\x00\x01q"), uint32(1234), byte(1), byte(0))
	f.Add([]byte("\xf3\x00\xffa\xf1\x01\xffbc"), uint32(3), byte(2), byte(0))
	f.Add([]byte("\x03\x00\x10a\x03\x01\x05bc\x03\x02\x20abc"), uint32(40), byte(3), byte(1))
	f.Add([]byte("\x03\x00\x10a\x03\x01\x05bc\x03\x02\x20abc"), uint32(99), byte(0x10), byte(2))
	f.Fuzz(func(t *testing.T, data []byte, pos uint32, mode byte, snap byte) {
		log, offs, states := fuzzLog(data, int(snap%4))
		n := len(offs) - 1 // records
		snapEnd := int64(binary.LittleEndian.Uint64(log[24:]))
		last := offs[max(n-1, 0)]
		damaged := append([]byte{}, log...)
		switch mode % 4 {
		case 0: // torn append of the last record, then maybe zeros
			if n == 0 || last < snapEnd {
				return
			}
			cut := last + int64(pos)%(offs[n]-last+1)
			damaged = append(damaged[:cut], make([]byte, int(mode>>2)*37)...)
			idx, rc, err := recoverBytes(damaged)
			if err != nil {
				t.Fatalf("torn append cut at %d of record [%d,%d): %v", cut, last, offs[n], err)
			}
			k := n - 1
			if cut == offs[n] {
				k = n
			}
			if got := indexState(idx); !maps.Equal(got, states[k]) || rc.end != offs[k] {
				t.Fatalf("cut at %d: recovered %d records' state to %d, want %d to %d", cut, len(got), rc.end, k, offs[k])
			}
		case 1: // one flipped bit
			bit := int64(pos) % (int64(len(log)) * 8)
			damaged[bit/8] ^= 1 << (bit % 8)
			if _, _, err := recoverBytes(damaged); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("bit %d flipped: %v, want ErrCorrupt", bit, err)
			}
		case 2: // a zeroed sector in the last record's payload
			if n == 0 || last < snapEnd {
				return
			}
			first := (last + recHeaderSize + sectorSize - 1) / sectorSize * sectorSize
			if first+sectorSize > offs[n]-recTrailerSize {
				return
			}
			sectors := (offs[n] - recTrailerSize - first) / sectorSize
			s := first + int64(pos)%sectors*sectorSize
			if allZero(damaged[s : s+sectorSize]) {
				return // nothing damaged
			}
			lowFlag := binary.LittleEndian.Uint32(damaged[last+12:])&flagLowSector != 0
			clear(damaged[s : s+sectorSize])
			idx, _, err := recoverBytes(damaged)
			if lowFlag {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("zeroed sector in a flagged record: %v, want ErrCorrupt", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("zeroed sector at %d: %v", s, err)
			}
			if got := indexState(idx); !maps.Equal(got, states[n-1]) {
				t.Fatal("zeroed sector: wrong state")
			}
		case 3: // arbitrary overwrite
			at := int64(pos) % int64(len(damaged))
			copy(damaged[at:], data)
			want, wantEnd, wantOK := oracleState(damaged)
			idx, rc, err := recoverBytes(damaged)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
			if !wantOK || !maps.Equal(indexState(idx), want) || rc.end != wantEnd {
				t.Fatalf("recovered to %d, oracle (ok %v) says %d", rc.end, wantOK, wantEnd)
			}
			// Whatever recovery kept must be at least every record the
			// overwrite did not reach.
			for i := 0; i < n; i++ {
				if offs[i+1] <= at && rc.end < offs[i+1] {
					t.Fatalf("lost intact record %d ending at %d (damage at %d)", i, offs[i+1], at)
				}
			}
		}
	})
}
