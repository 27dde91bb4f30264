package wire

import (
	"encoding/binary"
	"math/bits"
)

// MaxBigSizeLen is the longest possible BigSize encoding.
const MaxBigSizeLen = 9

// BigSizeLen returns the number of bytes the BigSize encoding of v uses.
func BigSizeLen(v uint64) int {
	switch {
	case v < 0xfd:
		return 1
	case v <= 0xffff:
		return 3
	case v <= 0xffffffff:
		return 5
	default:
		return 9
	}
}

// AppendBigSize appends the BigSize encoding of v (BOLT 1, "Appendix A") to
// b.
func AppendBigSize(b []byte, v uint64) []byte {
	switch {
	case v < 0xfd:
		return append(b, byte(v))
	case v <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, 0xfd), uint16(v))
	case v <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, 0xfe), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, 0xff), v)
	}
}

// DecodeBigSize decodes one BigSize value from the start of b and returns it
// with the number of bytes consumed. It fails with ErrTruncated when b is too
// short and with ErrNonCanonicalBigSize when the value would have fitted a
// shorter encoding.
func DecodeBigSize(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, ErrTruncated
	}
	switch b[0] {
	case 0xfd:
		if len(b) < 3 {
			return 0, 0, ErrTruncated
		}
		v := uint64(binary.BigEndian.Uint16(b[1:]))
		if v < 0xfd {
			return 0, 0, ErrNonCanonicalBigSize
		}
		return v, 3, nil
	case 0xfe:
		if len(b) < 5 {
			return 0, 0, ErrTruncated
		}
		v := uint64(binary.BigEndian.Uint32(b[1:]))
		if v <= 0xffff {
			return 0, 0, ErrNonCanonicalBigSize
		}
		return v, 5, nil
	case 0xff:
		if len(b) < 9 {
			return 0, 0, ErrTruncated
		}
		v := binary.BigEndian.Uint64(b[1:])
		if v <= 0xffffffff {
			return 0, 0, ErrNonCanonicalBigSize
		}
		return v, 9, nil
	default:
		return uint64(b[0]), 1, nil
	}
}

// truncatedLen returns the minimal number of bytes of v's big-endian form.
func truncatedLen(v uint64) int {
	return (bits.Len64(v) + 7) / 8
}

// AppendTruncated appends the minimal big-endian encoding of v (the BOLT 1
// tu16/tu32/tu64 types): no leading zero bytes, and zero bytes for v == 0.
func AppendTruncated(b []byte, v uint64) []byte {
	for i := truncatedLen(v) - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*uint(i))))
	}
	return b
}

// DecodeTruncated decodes a whole tu16, tu32 or tu64 value. maxLen is 2, 4 or
// 8. It fails with ErrNonMinimalTruncated when b is longer than maxLen or has
// a leading zero byte.
func DecodeTruncated(b []byte, maxLen int) (uint64, error) {
	if len(b) > maxLen {
		return 0, ErrNonMinimalTruncated
	}
	if len(b) > 0 && b[0] == 0 {
		return 0, ErrNonMinimalTruncated
	}
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v, nil
}
