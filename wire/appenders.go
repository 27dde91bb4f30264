package wire

import "encoding/binary"

// The Append helpers below write fixed-size BOLT 1 types. They exist so that
// message encoders read like their spec tables.

// AppendU16 appends v big-endian.
func AppendU16(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }

// AppendU32 appends v big-endian.
func AppendU32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// AppendU64 appends v big-endian.
func AppendU64(b []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(b, v) }

// AppendVarBytes16 appends a u16 length and v. It fails when v is longer
// than 65535 bytes.
func AppendVarBytes16(b []byte, v []byte) ([]byte, error) {
	if len(v) > 0xffff {
		return b, ErrFieldTooLong
	}
	return append(AppendU16(b, uint16(len(v))), v...), nil
}

// AppendS8 appends a BOLT 1 s8 (two's complement).
func AppendS8(b []byte, v int8) []byte { return append(b, byte(v)) }

// AppendS16 appends a BOLT 1 s16 (big-endian two's complement).
func AppendS16(b []byte, v int16) []byte { return AppendU16(b, uint16(v)) }

// AppendS32 appends a BOLT 1 s32 (big-endian two's complement).
func AppendS32(b []byte, v int32) []byte { return AppendU32(b, uint32(v)) }

// AppendS64 appends a BOLT 1 s64 (big-endian two's complement).
func AppendS64(b []byte, v int64) []byte { return AppendU64(b, uint64(v)) }

// S8 reads a BOLT 1 s8.
func (r *Reader) S8(field string) int8 { return int8(r.U8(field)) }

// S16 reads a BOLT 1 s16.
func (r *Reader) S16(field string) int16 { return int16(r.U16(field)) }

// S32 reads a BOLT 1 s32.
func (r *Reader) S32(field string) int32 { return int32(r.U32(field)) }

// S64 reads a BOLT 1 s64.
func (r *Reader) S64(field string) int64 { return int64(r.U64(field)) }
