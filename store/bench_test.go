package store

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Floors and goals, as ratios within one run:
//
//   - BenchmarkFileWrite (one durable batch of three 200-byte puts) is
//     bounded below by BenchmarkFloorFdatasync (append 600 bytes to a file
//     in the same directory and fdatasync it). The goal is a ratio near 1:
//     the store adds encoding, checksums and an index update, all small
//     next to the sync. BenchmarkFileWriteVsFloor measures both
//     alternately and reports the ratio directly ("x-floor"), which
//     cancels drift on a shared disk.
//   - BenchmarkFileWriteParallel shows group commit: fsyncs/batch falls
//     below 1 when writers queue up.
//   - BenchmarkFileCompact (rewrite the live data as a snapshot) is bounded
//     below by BenchmarkFloorRewrite (write as many bytes to a new file,
//     fsync, rename, fsync the directory).
//   - BenchmarkFileOpen (recover a log of small records) is bounded below
//     by BenchmarkFloorReadFile (read the same file whole).
//
// Measured on the development machine (2 shared cores, ext4 on a virtual
// disk; the disk's latency drifts, so compare within a run): FileWrite
// 0.84 to 1.09 x-floor interleaved (about 400 µs a batch, 1 fsync/batch,
// 19 allocs); WriteParallel 0.12 fsyncs/batch; Compact of 2.2 MB about
// 2x FloorRewrite (19 ms against 9 ms); Open of a 7 MB log about 7x
// FloorReadFile (110 to 220 MB/s), so a 300 MB store opens in seconds.

func benchBatch(i int, value []byte) *Batch {
	var b Batch
	ch := i % 16
	b.Put(fmt.Sprintf("channel/%02d/state", ch), value)
	b.Put(fmt.Sprintf("channel/%02d/monitor/%08d", ch, i), value)
	b.Put(fmt.Sprintf("channel/%02d/htlc", ch), value)
	return &b
}

func reportWrites(b *testing.B, f *File, before Stats, elapsed time.Duration) {
	st := f.Stats()
	n := float64(st.Batches - before.Batches)
	b.ReportMetric(n/elapsed.Seconds(), "batches/s")
	b.ReportMetric(float64(st.Syncs-before.Syncs)/n, "fsyncs/batch")
}

func BenchmarkFileWrite(b *testing.B) {
	f := mustOpen(b, b.TempDir())
	value := []byte(pattern(200, 1))
	before := f.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := f.Write(bg, benchBatch(i, value)); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	reportWrites(b, f, before, elapsed)
}

// floorFile is an empty file for appending in dir.
func floorFile(b *testing.B, dir string) *os.File {
	fl, err := os.OpenFile(filepath.Join(dir, "floor"), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fl.Close() })
	return fl
}

func BenchmarkFloorFdatasync(b *testing.B) {
	fl := floorFile(b, b.TempDir())
	buf := []byte(pattern(600, 1))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := fl.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := datasync(fl); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
}

// BenchmarkFileWriteVsFloor alternates one floor append+fdatasync and one
// store Write in the same directory, and reports their time ratio.
func BenchmarkFileWriteVsFloor(b *testing.B) {
	dir := b.TempDir()
	f := mustOpen(b, filepath.Join(dir, "store"))
	fl := floorFile(b, dir)
	buf := []byte(pattern(600, 1))
	value := []byte(pattern(200, 1))
	var floor, write time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := fl.Write(buf); err != nil {
			b.Fatal(err)
		}
		if err := datasync(fl); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := f.Write(bg, benchBatch(i, value)); err != nil {
			b.Fatal(err)
		}
		floor += t1.Sub(t0)
		write += time.Since(t1)
	}
	b.ReportMetric(float64(write)/float64(floor), "x-floor")
	b.ReportMetric(float64(write.Nanoseconds())/float64(b.N), "write-ns/op")
	b.ReportMetric(float64(floor.Nanoseconds())/float64(b.N), "floor-ns/op")
}

func BenchmarkFileWriteParallel(b *testing.B) {
	f := mustOpen(b, b.TempDir())
	value := []byte(pattern(200, 1))
	before := f.Stats()
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := f.Write(bg, benchBatch(i, value)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	reportWrites(b, f, before, elapsed)
}

const compactKeys = 10000 // of 200-byte values: about 2.3 MB live

func BenchmarkFileCompact(b *testing.B) {
	f := mustOpen(b, b.TempDir(), WithCompactAfter(0))
	value := []byte(pattern(200, 1))
	for i := 0; i < compactKeys; i += 100 {
		var batch Batch
		for j := i; j < i+100; j++ {
			batch.Put(fmt.Sprintf("channel/%08d", j), value)
		}
		mustWrite(b, f, &batch)
	}
	b.SetBytes(f.Stats().LiveBytes)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.Compact(bg); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(f.Stats().FileSize)/1e6, "MB-file")
}

func BenchmarkFloorRewrite(b *testing.B) {
	dir := b.TempDir()
	data := []byte(pattern(compactKeys*(200+16+BatchOpOverhead), 1))
	b.SetBytes(int64(compactKeys * (200 + 16)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tmp := filepath.Join(dir, "tmp")
		fl, err := os.Create(tmp)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fl.Write(data); err != nil {
			b.Fatal(err)
		}
		if err := fl.Sync(); err != nil {
			b.Fatal(err)
		}
		fl.Close()
		if err := os.Rename(tmp, filepath.Join(dir, "file")); err != nil {
			b.Fatal(err)
		}
		if err := syncDir(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// openBenchLog writes 10000 small batches without syncing each (it builds
// the file directly) and returns its directory.
func openBenchLog(b *testing.B) string {
	dir := b.TempDir()
	value := []byte(pattern(200, 1))
	data := appendFileHeader(nil, fileHeader{version: formatVersion, baseSeq: 1, snapEnd: fileHeaderSize})
	for i := 0; i < 10000; i++ {
		data = appendRecord(data, int64(len(data)), uint64(i+1), [][]Op{benchBatch(i, value).Ops()})
	}
	if err := os.WriteFile(filepath.Join(dir, LogFileName), data, 0o600); err != nil {
		b.Fatal(err)
	}
	return dir
}

func BenchmarkFileOpen(b *testing.B) {
	dir := openBenchLog(b)
	fi, _ := os.Stat(filepath.Join(dir, LogFileName))
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := OpenFile(dir)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

func BenchmarkFloorReadFile(b *testing.B) {
	dir := openBenchLog(b)
	p := filepath.Join(dir, LogFileName)
	fi, _ := os.Stat(p)
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := os.ReadFile(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFileGet(b *testing.B) {
	f := mustOpen(b, b.TempDir())
	value := []byte(pattern(200, 1))
	for i := 0; i < 100; i++ {
		mustWrite(b, f, benchBatch(i, value))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.Get(bg, "channel/07/state"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMemoryWrite(b *testing.B) {
	m := NewMemory()
	value := []byte(pattern(200, 1))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := m.Write(bg, benchBatch(i, value)); err != nil {
			b.Fatal(err)
		}
	}
}
