package wire

import (
	"encoding/binary"
	"fmt"
)

// Reader is a cursor over an in-memory payload. Lightning messages always
// arrive whole (a BOLT 8 frame carries at most 65535 bytes), so decoding from
// a byte slice is both simpler and faster than from an io.Reader.
//
// The first failure is sticky: after it every read returns a zero value, and
// Err reports the failure. Decoders therefore read every field and check Err
// once at the end, in the manner of txscript's ScriptBuilder. A Reader never
// allocates; methods that return a slice of the input say so.
type Reader struct {
	buf []byte
	err error
}

// NewReader returns a Reader over b.
func NewReader(b []byte) Reader { return Reader{buf: b} }

// Err returns the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Len returns the number of unread bytes.
func (r *Reader) Len() int { return len(r.buf) }

// Fail records err as the Reader's error unless one is already recorded.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
		r.buf = nil
	}
}

// take returns the next n bytes, or nil after recording ErrTruncated.
func (r *Reader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.buf) {
		r.err = fmt.Errorf("%s: %w", field, ErrTruncated)
		r.buf = nil
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}

// U8 reads a byte.
func (r *Reader) U8(field string) uint8 {
	if b := r.take(1, field); b != nil {
		return b[0]
	}
	return 0
}

// U16 reads a big-endian uint16.
func (r *Reader) U16(field string) uint16 {
	if b := r.take(2, field); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

// U32 reads a big-endian uint32.
func (r *Reader) U32(field string) uint32 {
	if b := r.take(4, field); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

// U64 reads a big-endian uint64.
func (r *Reader) U64(field string) uint64 {
	if b := r.take(8, field); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// BigSize reads a canonical BigSize value.
func (r *Reader) BigSize(field string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n, err := DecodeBigSize(r.buf)
	if err != nil {
		r.Fail(fmt.Errorf("%s: %w", field, err))
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Bytes returns the next n bytes as a sub-slice of the input (no copy). The
// slice's capacity is clipped so that appending to it never writes into the
// input.
func (r *Reader) Bytes(n int, field string) []byte { return r.take(n, field) }

// Copy fills dst from the next len(dst) bytes.
func (r *Reader) Copy(dst []byte, field string) {
	if b := r.take(len(dst), field); b != nil {
		copy(dst, b)
	}
}

// VarBytes16 reads a u16 length followed by that many bytes and returns a
// copy of them, or nil for a zero length. The length is checked against the
// bytes left before anything is allocated.
func (r *Reader) VarBytes16(field string) []byte {
	n := int(r.U16(field))
	b := r.take(n, field)
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// Rest returns all unread bytes as a sub-slice of the input and leaves the
// Reader empty.
func (r *Reader) Rest() []byte {
	if r.err != nil {
		return nil
	}
	b := r.buf[:len(r.buf):len(r.buf)]
	r.buf = r.buf[len(r.buf):]
	return b
}

// Point reads a 33-byte point and checks that it is on the curve.
func (r *Reader) Point(field string) Point {
	var p Point
	r.Copy(p[:], field)
	if r.err == nil {
		if err := p.Validate(); err != nil {
			r.Fail(fmt.Errorf("%s: %w", field, err))
		}
	}
	return p
}

// Signature reads a 64-byte compact signature and checks that r and s are
// both below the group order.
func (r *Reader) Signature(field string) Signature {
	var s Signature
	r.Copy(s[:], field)
	if r.err == nil {
		if err := s.checkRange(); err != nil {
			r.Fail(fmt.Errorf("%s: %w", field, err))
		}
	}
	return s
}

// ShortChannelID reads an 8-byte short_channel_id.
func (r *Reader) ShortChannelID(field string) ShortChannelID {
	return NewShortChannelIDFromUint64(r.U64(field))
}

// Hash32 reads 32 bytes.
func (r *Reader) Hash32(field string) [32]byte {
	var h [32]byte
	r.Copy(h[:], field)
	return h
}
