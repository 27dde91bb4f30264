package wire

import (
	"fmt"
	"slices"
)

// TLVRecord is one raw type-length-value record.
type TLVRecord struct {
	Type  uint64
	Value []byte
}

// TLVReader walks a TLV stream (BOLT 1, "Type-Length-Value Format") record
// by record without allocating. It enforces the rules that hold for every
// stream: canonical BigSize types and lengths, strictly increasing types (so
// no duplicates), and lengths that stay within the stream. The parity rule
// for unknown types belongs to the caller, which alone knows which types it
// understands; ExtraTLVs.Keep applies it.
//
//	tr := wire.NewTLVReader(stream)
//	for tr.Next() {
//		switch tr.Type() {
//		case 1:
//			amount, err = wire.DecodeTruncated(tr.Value(), 8)
//		default:
//			err = extra.Keep(tr.Type(), tr.Value())
//		}
//	}
//	if err := tr.Err(); err != nil { ... }
type TLVReader struct {
	buf  []byte
	typ  uint64
	val  []byte
	seen bool
	err  error
}

// NewTLVReader returns a TLVReader over the whole of stream.
func NewTLVReader(stream []byte) TLVReader { return TLVReader{buf: stream} }

// Next advances to the next record. It returns false at the end of the
// stream or at the first error; Err tells which.
func (t *TLVReader) Next() bool {
	if t.err != nil || len(t.buf) == 0 {
		return false
	}
	typ, n, err := DecodeBigSize(t.buf)
	if err != nil {
		t.err = fmt.Errorf("tlv type: %w", err)
		return false
	}
	if t.seen && typ <= t.typ {
		t.err = fmt.Errorf("%w: type %d after %d", ErrTLVOrder, typ, t.typ)
		return false
	}
	rest := t.buf[n:]
	length, n, err := DecodeBigSize(rest)
	if err != nil {
		t.err = fmt.Errorf("tlv length of type %d: %w", typ, err)
		return false
	}
	rest = rest[n:]
	if length > uint64(len(rest)) {
		t.err = fmt.Errorf("%w: type %d wants %d bytes, %d left", ErrTLVLength, typ, length, len(rest))
		return false
	}
	t.typ, t.seen = typ, true
	t.val = rest[:length:length]
	t.buf = rest[length:]
	return true
}

// Type returns the current record's type.
func (t *TLVReader) Type() uint64 { return t.typ }

// Value returns the current record's value, a sub-slice of the stream.
func (t *TLVReader) Value() []byte { return t.val }

// Err returns the error that stopped iteration, or nil at a clean end.
func (t *TLVReader) Err() error { return t.err }

// Fail stops iteration with err unless an error is already recorded. Callers
// use it when a known record's value is invalid.
func (t *TLVReader) Fail(err error) {
	if t.err == nil {
		t.err = err
		t.buf = nil
	}
}

// FailValue stops iteration with an ErrTLVValue for the current record.
func (t *TLVReader) FailValue(reason string) {
	t.Fail(fmt.Errorf("%w: type %d: %s", ErrTLVValue, t.typ, reason))
}

// ExtraTLVs holds the records of a TLV stream that the decoder did not
// understand. Only odd types can be here after decoding; they are kept in
// type order so that encoding the message again reproduces its bytes.
type ExtraTLVs []TLVRecord

// Keep applies BOLT 1's parity rule to a record of unknown type: an even
// type is an error (ErrUnknownEvenTLV), an odd type is appended (its value
// copied) to e.
func (e *ExtraTLVs) Keep(typ uint64, value []byte) error {
	if typ%2 == 0 {
		return fmt.Errorf("%w: %d", ErrUnknownEvenTLV, typ)
	}
	var v []byte
	if len(value) > 0 {
		v = slices.Clone(value)
	}
	*e = append(*e, TLVRecord{Type: typ, Value: v})
	return nil
}

// KeepOrFail is Keep for use inside a TLVReader loop: it records an even
// type's error on tr.
func (e *ExtraTLVs) KeepOrFail(tr *TLVReader) {
	if err := e.Keep(tr.Type(), tr.Value()); err != nil {
		tr.Fail(err)
	}
}

// DecodeTLVStream splits a stream into raw records, checking ordering and
// lengths but not parity. The values alias stream.
func DecodeTLVStream(stream []byte) ([]TLVRecord, error) {
	tr := NewTLVReader(stream)
	var recs []TLVRecord
	for tr.Next() {
		recs = append(recs, TLVRecord{Type: tr.Type(), Value: tr.Value()})
	}
	return recs, tr.Err()
}

// TLVWriter appends a TLV stream. Callers write their known records in
// increasing type order; records from an ExtraTLVs set are merged in at
// their place, so decoded-then-encoded streams come out byte for byte the
// same. Errors are sticky and reported by Finish.
type TLVWriter struct {
	buf   []byte
	extra []TLVRecord
	next  int
	last  uint64
	any   bool
	err   error
}

// NewTLVWriter returns a writer appending to b, merging extra (which must
// be sorted by type; Finish reports it if not).
func NewTLVWriter(b []byte, extra []TLVRecord) TLVWriter {
	return TLVWriter{buf: b, extra: extra}
}

// order checks typ against the previous record.
func (w *TLVWriter) order(typ uint64) bool {
	if w.err != nil {
		return false
	}
	if w.any && typ <= w.last {
		w.err = fmt.Errorf("%w: writing type %d after %d", ErrTLVOrder, typ, w.last)
		return false
	}
	w.last, w.any = typ, true
	return true
}

// flush writes the extra records whose type is below typ.
func (w *TLVWriter) flush(typ uint64, all bool) {
	for w.next < len(w.extra) && (all || w.extra[w.next].Type < typ) {
		r := w.extra[w.next]
		w.next++
		if !w.order(r.Type) {
			return
		}
		w.buf = append(AppendBigSize(AppendBigSize(w.buf, r.Type), uint64(len(r.Value))), r.Value...)
	}
}

// Bytes writes a record with the given value.
func (w *TLVWriter) Bytes(typ uint64, value []byte) {
	w.flush(typ, false)
	if !w.order(typ) {
		return
	}
	w.buf = append(AppendBigSize(AppendBigSize(w.buf, typ), uint64(len(value))), value...)
}

// Truncated writes a record whose value is a tu16, tu32 or tu64.
func (w *TLVWriter) Truncated(typ uint64, v uint64) {
	w.flush(typ, false)
	if !w.order(typ) {
		return
	}
	w.buf = AppendTruncated(append(AppendBigSize(w.buf, typ), byte(truncatedLen(v))), v)
}

// Func writes a record whose value is produced by appendValue. The value is
// appended first and its header moved in front of it afterwards, so nothing
// is allocated beyond growth of the output buffer.
func (w *TLVWriter) Func(typ uint64, appendValue func([]byte) []byte) {
	w.flush(typ, false)
	if !w.order(typ) {
		return
	}
	start := len(w.buf)
	w.buf = appendValue(w.buf)
	n := len(w.buf) - start
	var tmp [2 * MaxBigSizeLen]byte
	hdr := AppendBigSize(AppendBigSize(tmp[:0], typ), uint64(n))
	w.buf = append(w.buf, hdr...)
	copy(w.buf[start+len(hdr):], w.buf[start:start+n])
	copy(w.buf[start:], hdr)
}

// Finish writes the remaining extra records and returns the buffer.
func (w *TLVWriter) Finish() ([]byte, error) {
	w.flush(0, true)
	return w.buf, w.err
}

// AppendTLVStream appends records, which must be in strictly increasing
// type order, as a TLV stream.
func AppendTLVStream(b []byte, records []TLVRecord) ([]byte, error) {
	w := NewTLVWriter(b, records)
	return w.Finish()
}
