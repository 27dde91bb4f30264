package store

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// tornBatches are written by the recovery tests. The fourth record spans
// disk sectors; the last is small.
func tornBatches() []*Batch {
	return []*Batch{
		batchOf("a", "1", "b", "2"),
		batchOf("c", pattern(100, 1)),
		batchOf("a", "<delete>", "d", "x"),
		batchOf("e", pattern(700, 3), "f", "y"),
		batchOf("g", "z", "b", "<delete>"),
	}
}

// lastAtOrBefore returns the number of batches whose records end at or
// before off.
func lastAtOrBefore(ends []int64, off int64) int {
	k := 0
	for i, e := range ends {
		if e <= off {
			k = i
		}
	}
	return k
}

// TestFileTornTailEveryOffset cuts the log at every byte of its last two
// records, as a crash during an append can, and checks that OpenFile
// recovers exactly the batches before the cut, truncates the rest, and goes
// on working.
func TestFileTornTailEveryOffset(t *testing.T) {
	dir, ends, states := history(t, tornBatches())
	data := readLog(t, dir)
	n := len(ends) - 1
	opened := 0
	d := t.TempDir()
	for cut := ends[n-2]; cut <= ends[n]; cut++ {
		f, err := openLog(t, d, data[:cut])
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		k := lastAtOrBefore(ends, cut)
		checkState(t, f, states[k])
		if st := f.Stats(); st.TruncatedBytes != cut-ends[k] || st.FileSize != ends[k] {
			t.Fatalf("cut at %d: truncated %d bytes to %d, want %d to %d", cut, st.TruncatedBytes, st.FileSize, cut-ends[k], ends[k])
		}
		if cut%37 == 0 || cut == ends[n] {
			// The recovered store accepts writes that survive a reopen.
			mustWrite(t, f, batchOf("after", "crash"))
			f.Close()
			f = mustOpen(t, d)
			checkState(t, f, states[k].apply(batchOf("after", "crash")))
		}
		f.Close()
		opened++
	}
	t.Logf("%d cuts over the last two records (%d bytes)", opened, ends[n]-ends[n-2])
}

// TestFileTornTailZeroPadding cuts the last record at every byte and pads
// the file with zeros, as a filesystem that extended the file before the
// data reached the disk leaves it; zeros after a complete log are dropped
// too.
func TestFileTornTailZeroPadding(t *testing.T) {
	dir, ends, states := history(t, tornBatches())
	data := readLog(t, dir)
	n := len(ends) - 1
	pads := []int{1, 3, 4, 23, 24, 511, 512, 4096, 9000}
	i := 0
	d := t.TempDir()
	for cut := ends[n-1]; cut <= ends[n]; cut++ {
		pad := pads[i%len(pads)]
		i++
		buf := append(append([]byte{}, data[:cut]...), make([]byte, pad)...)
		f, err := openLog(t, d, buf)
		if err != nil {
			t.Fatalf("cut at %d + %d zeros: %v", cut, pad, err)
		}
		k := lastAtOrBefore(ends, cut)
		checkState(t, f, states[k])
		if st := f.Stats(); st.FileSize != ends[k] {
			t.Fatalf("cut at %d + %d zeros: size %d after recovery, want %d", cut, pad, st.FileSize, ends[k])
		}
		f.Close()
	}
	// Zeros after the last complete record, of every pad length.
	for _, pad := range pads {
		d := logWithFile(t, append(append([]byte{}, data...), make([]byte, pad)...))
		f := mustOpen(t, d)
		checkState(t, f, states[n])
		f.Close()
	}
}

// TestFileTornSector zeroes one whole sector inside the last record's
// payload, as a crash can leave an append whose sectors reached the disk
// out of order: it is a torn write, dropped. When the record legitimately
// holds a zero sector, the same damage is reported, not dropped.
func TestFileTornSector(t *testing.T) {
	for _, legitZeros := range []bool{false, true} {
		value := pattern(3000, 5)
		if legitZeros {
			value = pattern(1000, 5) + strings.Repeat("\x00", 1100) + pattern(900, 7)
		}
		batches := append(tornBatches(), batchOf("big", value))
		dir, ends, states := history(t, batches)
		data := readLog(t, dir)
		n := len(ends) - 1
		// The last full sector of the payload, which holds no zeros.
		sector := (ends[n]-recTrailerSize)/sectorSize*sectorSize - sectorSize
		if sector < ends[n-1]+recHeaderSize {
			t.Fatal("record too small")
		}
		buf := append([]byte{}, data...)
		clear(buf[sector : sector+sectorSize])
		f, err := OpenFile(logWithFile(t, buf))
		if legitZeros {
			wantCorrupt(t, err, ends[n-1])
			continue
		}
		if err != nil {
			t.Fatalf("zeroed sector at %d: %v", sector, err)
		}
		checkState(t, f, states[n-1])
		f.Close()
	}
}

// TestFileBitFlipEveryBit flips every bit of the log, one at a time: the
// file header, every record's header, payload and end marker, the last
// record included. Each flip must be reported as ErrCorrupt at the start
// of the damaged record, never dropped as a torn tail. Recovery runs on the
// bytes in memory for every bit, and through OpenFile on disk for every
// bit of the file header, a middle record and the last record.
func TestFileBitFlipEveryBit(t *testing.T) {
	dir, ends, _ := history(t, tornBatches())
	data := readLog(t, dir)
	n := len(ends) - 1
	onDisk := func(off int64) bool {
		return off < fileHeaderSize || (off >= ends[2] && off < ends[3]) || off >= ends[n-1]
	}
	flips, disk := 0, 0
	d := t.TempDir()
	for off := int64(0); off < int64(len(data)); off++ {
		start := int64(0) // the file header
		for _, e := range ends {
			if e <= off {
				start = e
			}
		}
		for bit := 0; bit < 8; bit++ {
			buf := append([]byte{}, data...)
			buf[off] ^= 1 << bit
			_, _, err := recoverBytes(buf)
			if err == nil {
				t.Fatalf("bit %d of byte %d flipped: recovered", bit, off)
			}
			wantCorrupt(t, err, start)
			flips++
			if onDisk(off) {
				_, err := openLog(t, d, buf)
				if err == nil {
					t.Fatalf("bit %d of byte %d flipped: opened", bit, off)
				}
				wantCorrupt(t, err, start)
				disk++
			}
		}
	}
	t.Logf("%d flips (%d through OpenFile), all reported at the damaged record", flips, disk)
}

// TestFileZeroedSectorInMiddle zeroes a sector of a record that has a record
// after it: damage, not a torn write.
func TestFileZeroedSectorInMiddle(t *testing.T) {
	batches := tornBatches()
	batches = append(batches[:2], append([]*Batch{batchOf("big", pattern(3000, 9))}, batches[2:]...)...)
	dir, ends, _ := history(t, batches)
	data := readLog(t, dir)
	sector := (ends[2]+recHeaderSize+sectorSize-1)/sectorSize*sectorSize + sectorSize
	clear(data[sector : sector+sectorSize])
	_, err := OpenFile(logWithFile(t, data))
	wantCorrupt(t, err, ends[2])
	// And a middle record cut short with zeros, followed by the rest.
	data = readLog(t, dir)
	clear(data[ends[2]+10 : ends[3]])
	_, err = OpenFile(logWithFile(t, data))
	wantCorrupt(t, err, ends[2])
}

// compactedLog returns a log whose snapshot holds the state after bs,
// followed by two log records.
func compactedLog(t testing.TB, bs ...*Batch) (data []byte, snapEnd int64, want state) {
	dir := t.TempDir()
	f := mustOpen(t, dir, WithCompactAfter(0))
	want = state{}
	for _, b := range bs {
		mustWrite(t, f, b)
		want = want.apply(b)
	}
	if err := f.Compact(bg); err != nil {
		t.Fatal(err)
	}
	snapEnd = f.Stats().SnapshotSize
	for _, b := range []*Batch{batchOf("d", "4"), batchOf("b", "<delete>")} {
		mustWrite(t, f, b)
		want = want.apply(b)
	}
	f.Close()
	return readLog(t, dir), snapEnd, want
}

func smallSnapshot() []*Batch {
	return []*Batch{batchOf("a", "1", "b", pattern(30, 2)), batchOf("c", "3", "a", "<delete>")}
}

// bigSnapshot has a value larger than a snapshot chunk, so its snapshot
// has several records.
func bigSnapshot() []*Batch {
	return []*Batch{
		batchOf("a", "1", "b", pattern(300, 2)),
		batchOf("big", pattern(snapshotChunk+100, 4)),
		batchOf("c", "3", "a", "<delete>"),
	}
}

// TestFileSnapshotCorrupt damages the snapshot: a flipped bit anywhere in
// it, or a file cut short inside it, is ErrCorrupt, even where the same
// damage to a log record at the end would be a torn write.
func TestFileSnapshotCorrupt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		batches []*Batch
	}{{"Small", smallSnapshot()}, {"MultiRecord", bigSnapshot()}} {
		t.Run(tc.name, func(t *testing.T) {
			data, snapEnd, want := compactedLog(t, tc.batches...)
			d := t.TempDir()
			f, err := openLog(t, d, data)
			if err != nil {
				t.Fatal(err)
			}
			checkState(t, f, want)
			if st := f.Stats(); st.SnapshotSize != snapEnd || st.Keys != len(want) {
				t.Fatalf("reopened: snapshot %d keys %d, want %d and %d", st.SnapshotSize, st.Keys, snapEnd, len(want))
			}
			f.Close()
			// Every bit in memory (one bit of a sample of bytes in a large
			// snapshot), and one bit per byte of the small one on disk.
			flips := 0
			large := snapEnd > 4096
			for off := int64(0); off < snapEnd; off++ {
				if large && off > 100 && off < snapEnd-100 && off%(snapEnd/50) != 0 {
					continue
				}
				for bit := 0; bit < 8; bit++ {
					if large && int(off)%8 != bit {
						continue
					}
					buf := append([]byte{}, data...)
					buf[off] ^= 1 << bit
					_, _, err := recoverBytes(buf)
					wantCorrupt(t, err, -1)
					if snapEnd < 4096 && int(off)%8 == bit {
						_, err := openLog(t, d, buf)
						wantCorrupt(t, err, -1)
					}
					flips++
				}
			}
			for _, cut := range []int64{1, fileHeaderSize - 1, fileHeaderSize, fileHeaderSize + 10, snapEnd / 2, snapEnd - 1} {
				_, err := openLog(t, d, data[:cut])
				wantCorrupt(t, err, -1)
			}
			// Zeros instead of the snapshot's last bytes.
			buf := append([]byte{}, data...)
			clear(buf[snapEnd-10 : snapEnd])
			_, err = openLog(t, d, buf)
			wantCorrupt(t, err, -1)
			t.Logf("%d flips in a %d-byte snapshot, all reported", flips, snapEnd)
		})
	}
}

func TestFileHeaderChecks(t *testing.T) {
	good := appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 1, snapEnd: fileHeaderSize})
	f := mustOpen(t, logWithFile(t, good))
	checkState(t, f, state{})
	f.Close()

	v2 := appendFileHeader(nil, fileHeader{version: 2, baseSeq: 1, snapEnd: fileHeaderSize})
	if _, err := OpenFile(logWithFile(t, v2)); !errors.Is(err, ErrVersion) {
		t.Fatalf("version 2: %v, want ErrVersion", err)
	}
	for name, data := range map[string][]byte{
		"empty":       {},
		"short":       good[:fileHeaderSize-1],
		"magic":       append([]byte("LNKITKV\n"), good[8:]...),
		"seq0":        appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 0, snapEnd: fileHeaderSize}),
		"snapBefore":  appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 1, snapEnd: 10}),
		"snapPastEOF": appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 1, snapEnd: 1000}),
	} {
		_, err := OpenFile(logWithFile(t, data))
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// forgedRecord is a record header with a valid checksum claiming length.
func forgedRecord(length uint32, seq uint64) []byte {
	h := make([]byte, recHeaderSize)
	binary.LittleEndian.PutUint32(h[0:], length)
	binary.LittleEndian.PutUint64(h[4:], seq)
	binary.LittleEndian.PutUint32(h[20:], crc(h[:20]))
	return h
}

// TestFileHugeLengthNoAllocation opens logs whose record headers claim huge
// payloads, with valid header checksums: recovery must not allocate for
// them.
func TestFileHugeLengthNoAllocation(t *testing.T) {
	hdr := appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 1, snapEnd: fileHeaderSize})
	cases := []struct {
		name    string
		data    []byte
		corrupt bool
	}{
		// Longer than any record can be: never written, so damage.
		{"OutOfRange", append(append([]byte{}, hdr...), forgedRecord(0xffffffff, 1)...), true},
		// A legal length past the end of the file: a torn append.
		{"PastEOF", append(append([]byte{}, hdr...), forgedRecord(maxRecordPayload, 1)...), false},
		// The same inside a snapshot: damage.
		{"InSnapshot", append(appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 1, snapEnd: fileHeaderSize + recHeaderSize}), forgedRecord(maxRecordPayload, 1)...), true},
	}
	for _, c := range cases {
		dir := logWithFile(t, c.data)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f, err := OpenFile(dir)
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
			t.Errorf("%s: recovery allocated %d bytes for a %d-byte file", c.name, alloc, len(c.data))
		}
		if c.corrupt {
			wantCorrupt(t, err, fileHeaderSize)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkState(t, f, state{})
		f.Close()
	}
}

// TestFileRecordStraddlesSnapshotEnd: a snapshot end that falls inside a
// record is damage.
func TestFileRecordStraddlesSnapshotEnd(t *testing.T) {
	data, snapEnd, _ := compactedLog(t, smallSnapshot()...)
	buf := append([]byte{}, data...)
	copy(buf, appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: binary.LittleEndian.Uint64(data[16:]), snapEnd: uint64(snapEnd + 5)}))
	_, err := OpenFile(logWithFile(t, buf))
	wantCorrupt(t, err, -1)
}

// TestFileLeftoverTempIgnored: a compaction that crashed before its rename
// leaves a temporary file, complete or not; OpenFile removes it and uses
// the log.
func TestFileLeftoverTempIgnored(t *testing.T) {
	data, _, want := compactedLog(t, smallSnapshot()...)
	for _, tmp := range [][]byte{nil, data[:100], data, []byte("garbage")} {
		dir := logWithFile(t, data)
		if err := os.WriteFile(filepath.Join(dir, TempFileName), tmp, 0o600); err != nil {
			t.Fatal(err)
		}
		f := mustOpen(t, dir)
		checkState(t, f, want)
		if _, err := os.Stat(filepath.Join(dir, TempFileName)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("temporary file still there: %v", err)
		}
		f.Close()
	}
}
