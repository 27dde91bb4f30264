package wire

import "fmt"

// decodeExtension decodes the rest of r as a TLV extension that has no known
// records: every record goes through the parity rule into extra. It returns
// r's error if the fixed fields failed.
func decodeExtension(r *Reader, extra *ExtraTLVs) error {
	if err := r.Err(); err != nil {
		return err
	}
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		extra.KeepOrFail(&tr)
	}
	if err := tr.Err(); err != nil {
		return fmt.Errorf("tlv extension: %w", err)
	}
	return nil
}

// finishTLV wraps a TLV error from a message's extension.
func finishTLV(tr *TLVReader, r *Reader) error {
	if err := r.Err(); err != nil {
		return err
	}
	if err := tr.Err(); err != nil {
		return fmt.Errorf("tlv extension: %w", err)
	}
	return nil
}

// tlvPoint decodes the current record as a single valid point, failing tr
// otherwise.
func tlvPoint(tr *TLVReader) *Point {
	v := tr.Value()
	if len(v) != len(Point{}) {
		tr.FailValue("want a 33-byte point")
		return nil
	}
	p := new(Point)
	copy(p[:], v)
	if err := p.Validate(); err != nil {
		tr.Fail(err)
		return nil
	}
	return p
}
