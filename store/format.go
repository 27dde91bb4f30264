package store

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
)

// The File format, version 1. All integers are little-endian.
//
//	file header (40 bytes):
//	  0  magic "lnkitkv\n"
//	  8  version u32 (1)
//	 12  reserved u32 (0)
//	 16  base sequence u64: the sequence number of the file's first record
//	 24  snapshot end u64: offset where the snapshot records end
//	 32  reserved u32 (0)
//	 36  CRC-32C of bytes 0..36
//	records, one after the other from offset 40:
//	  0  payload length u32
//	  4  sequence u64: the previous record's plus one
//	 12  flags u32 (bit 0: a full sector of the payload has fewer than two
//	     non-zero bytes; see recover.go)
//	 16  CRC-32C of the payload
//	 20  CRC-32C of bytes 0..20 of this header
//	 24  payload
//	  .  end marker a5 5a c3 3c
//	payload: uvarint op count, then each op:
//	  kind byte (1 put, 2 delete), uvarint key length, key,
//	  and for a put: uvarint value length, value.
const (
	fileMagic      = "lnkitkv\n"
	formatVersion  = 1
	fileHeaderSize = 40

	recHeaderSize  = 24
	recTrailerSize = 4
	recOverhead    = recHeaderSize + recTrailerSize

	// minPayload is the smallest payload: one delete of a one-byte key.
	minPayload = 4
	// minRecordSize is the smallest record on disk.
	minRecordSize = recOverhead + minPayload
	// maxRecordPayload bounds a record's payload: one batch (or a group of
	// batches) of at most MaxBatchSize, plus the op count.
	maxRecordPayload = MaxBatchSize + binary.MaxVarintLen64

	// sectorSize is the unit a disk writes atomically: after a crash each
	// sector of an unfinished append holds either its new bytes or zeros.
	sectorSize = 512

	flagLowSector = 1

	opPut    = 1
	opDelete = 2
)

var endMarker = [recTrailerSize]byte{0xa5, 0x5a, 0xc3, 0x3c}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

type fileHeader struct {
	version uint32
	baseSeq uint64
	snapEnd uint64
}

func appendFileHeader(buf []byte, h fileHeader) []byte {
	start := len(buf)
	buf = append(buf, fileMagic...)
	buf = binary.LittleEndian.AppendUint32(buf, h.version)
	buf = binary.LittleEndian.AppendUint32(buf, 0)
	buf = binary.LittleEndian.AppendUint64(buf, h.baseSeq)
	buf = binary.LittleEndian.AppendUint64(buf, h.snapEnd)
	buf = binary.LittleEndian.AppendUint32(buf, 0)
	return binary.LittleEndian.AppendUint32(buf, crc(buf[start:]))
}

var (
	errBadMagic     = errors.New("not a store file (bad magic)")
	errHeaderCRC    = errors.New("file header checksum mismatch")
	errHeaderFields = errors.New("file header fields out of range")
)

// parseFileHeader checks b (fileHeaderSize bytes). A version other than
// formatVersion is reported through h.version with a nil error only when the
// header's checksum is valid.
func parseFileHeader(b []byte) (fileHeader, error) {
	var h fileHeader
	if string(b[:8]) != fileMagic {
		return h, errBadMagic
	}
	if crc(b[:36]) != binary.LittleEndian.Uint32(b[36:]) {
		return h, errHeaderCRC
	}
	h.version = binary.LittleEndian.Uint32(b[8:])
	h.baseSeq = binary.LittleEndian.Uint64(b[16:])
	h.snapEnd = binary.LittleEndian.Uint64(b[24:])
	if h.version == formatVersion && (binary.LittleEndian.Uint32(b[12:]) != 0 ||
		binary.LittleEndian.Uint32(b[32:]) != 0 || h.baseSeq == 0 || h.snapEnd < fileHeaderSize) {
		return h, errHeaderFields
	}
	return h, nil
}

type recHeader struct {
	length uint32
	seq    uint64
	flags  uint32
	pcrc   uint32
}

// parseRecHeader reports whether b (recHeaderSize bytes) has a valid header
// checksum.
func parseRecHeader(b []byte) (recHeader, bool) {
	h := recHeader{
		length: binary.LittleEndian.Uint32(b[0:]),
		seq:    binary.LittleEndian.Uint64(b[4:]),
		flags:  binary.LittleEndian.Uint32(b[12:]),
		pcrc:   binary.LittleEndian.Uint32(b[16:]),
	}
	return h, crc(b[:20]) == binary.LittleEndian.Uint32(b[20:])
}

// opsPayloadSize returns the payload size of a record holding ops.
func opsPayloadSize(batches [][]Op) int {
	n, count := 0, 0
	for _, ops := range batches {
		for _, op := range ops {
			count++
			n += 1 + uvarintLen(uint64(len(op.Key))) + len(op.Key)
			if !op.Delete {
				n += uvarintLen(uint64(len(op.Value))) + len(op.Value)
			}
		}
	}
	return n + uvarintLen(uint64(count))
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// appendRecord appends one record holding the ops of batches, in order, to
// buf. off is the file offset the record will be written at (it decides
// which bytes share a disk sector).
func appendRecord(buf []byte, off int64, seq uint64, batches [][]Op) []byte {
	buf = slices.Grow(buf, recOverhead+opsPayloadSize(batches))
	start := len(buf)
	buf = append(buf, make([]byte, recHeaderSize)...)
	count := 0
	for _, ops := range batches {
		count += len(ops)
	}
	buf = binary.AppendUvarint(buf, uint64(count))
	for _, ops := range batches {
		for _, op := range ops {
			if op.Delete {
				buf = append(buf, opDelete)
				buf = binary.AppendUvarint(buf, uint64(len(op.Key)))
				buf = append(buf, op.Key...)
				continue
			}
			buf = append(buf, opPut)
			buf = binary.AppendUvarint(buf, uint64(len(op.Key)))
			buf = append(buf, op.Key...)
			buf = binary.AppendUvarint(buf, uint64(len(op.Value)))
			buf = append(buf, op.Value...)
		}
	}
	payload := buf[start+recHeaderSize:]
	buf = append(buf, endMarker[:]...)
	var flags uint32
	if hasLowSector(payload, off+recHeaderSize) {
		flags |= flagLowSector
	}
	h := buf[start : start+recHeaderSize]
	binary.LittleEndian.PutUint32(h[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint64(h[4:], seq)
	binary.LittleEndian.PutUint32(h[12:], flags)
	binary.LittleEndian.PutUint32(h[16:], crc(payload))
	binary.LittleEndian.PutUint32(h[20:], crc(h[:20]))
	return buf
}

// fullSectors calls fn for each disk sector that lies entirely inside b,
// which starts at file offset off.
func fullSectors(b []byte, off int64, fn func(s []byte) bool) bool {
	first := (off + sectorSize - 1) / sectorSize * sectorSize
	for s := first; s+sectorSize <= off+int64(len(b)); s += sectorSize {
		if fn(b[s-off : s-off+sectorSize]) {
			return true
		}
	}
	return false
}

// hasLowSector reports whether a full sector of b (at file offset off) has
// fewer than two non-zero bytes: one flipped bit could make it all zeros.
func hasLowSector(b []byte, off int64) bool {
	return fullSectors(b, off, func(s []byte) bool {
		nz := 0
		for _, c := range s {
			if c != 0 {
				if nz++; nz == 2 {
					return false
				}
			}
		}
		return true
	})
}

// hasZeroSector reports whether a full sector of b (at file offset off) is
// all zeros.
func hasZeroSector(b []byte, off int64) bool {
	return fullSectors(b, off, func(s []byte) bool { return allZero(s) })
}

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

var errPayload = errors.New("malformed record payload")

// decodePayload checks p and calls fn for each op in order. It allocates
// nothing itself; fn gets slices of p.
func decodePayload(p []byte, fn func(key, value []byte, del bool)) error {
	count, n := binary.Uvarint(p)
	if n <= 0 || count == 0 || count > uint64(len(p))/3 {
		return errPayload
	}
	p = p[n:]
	for i := uint64(0); i < count; i++ {
		if len(p) < 1 {
			return errPayload
		}
		kind := p[0]
		p = p[1:]
		if kind != opPut && kind != opDelete {
			return errPayload
		}
		klen, n := binary.Uvarint(p)
		if n <= 0 || klen == 0 || klen > MaxKeySize || klen > uint64(len(p)-n) {
			return errPayload
		}
		key := p[n : n+int(klen)]
		p = p[n+int(klen):]
		if kind == opDelete {
			fn(key, nil, true)
			continue
		}
		vlen, n := binary.Uvarint(p)
		if n <= 0 || vlen > MaxValueSize || vlen > uint64(len(p)-n) {
			return errPayload
		}
		fn(key, p[n:n+int(vlen)], false)
		p = p[n+int(vlen):]
	}
	if len(p) != 0 {
		return errPayload
	}
	return nil
}
