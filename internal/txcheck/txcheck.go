// Package txcheck walks serialized Bitcoin transactions and blocks and
// refuses any count that the bytes after it cannot hold, before btcd's
// decoders allocate for it.
//
// btcd v0.25's MsgTx.Deserialize allocates for the declared number of
// inputs (up to ~800k) and witness items before reading them, so a
// 54-byte record can cost ~90 MB. Every count is bounded here by the
// smallest encoding of what it counts: an input takes at least 41 bytes,
// an output 9, a witness item 1.
package txcheck

import (
	"errors"
	"fmt"
)

// ErrCount reports a count or length larger than the bytes left.
var ErrCount = errors.New("txcheck: count exceeds the bytes left")

// walker reads a serialization front to back.
type walker struct {
	b   []byte
	off int
}

func (w *walker) left() int { return len(w.b) - w.off }

func (w *walker) skip(n uint64, what string) error {
	if n > uint64(w.left()) {
		return fmt.Errorf("%w: %s of %d bytes, %d left", ErrCount, what, n, w.left())
	}
	w.off += int(n)
	return nil
}

// varint reads a CompactSize and checks it against max.
func (w *walker) varint(max uint64, what string) (uint64, error) {
	if w.left() < 1 {
		return 0, fmt.Errorf("%w: %s missing", ErrCount, what)
	}
	p := w.b[w.off]
	w.off++
	size := map[byte]int{0xfd: 2, 0xfe: 4, 0xff: 8}[p]
	v := uint64(p)
	if size > 0 {
		if w.left() < size {
			return 0, fmt.Errorf("%w: %s truncated", ErrCount, what)
		}
		v = 0
		for i := size - 1; i >= 0; i-- {
			v = v<<8 | uint64(w.b[w.off+i])
		}
		w.off += size
	}
	if v > max {
		return 0, fmt.Errorf("%w: %s %d, at most %d fit", ErrCount, what, v, max)
	}
	return v, nil
}

// Tx checks the transaction at the start of b, in the witness encoding
// when witness is set (as MsgTx.Deserialize reads it) or without it (as
// DeserializeNoWitness does), and returns its length.
func Tx(b []byte, witness bool) (int, error) {
	w := &walker{b: b}
	if err := w.skip(4, "version"); err != nil {
		return 0, err
	}
	segwit := witness && w.left() >= 2 && b[w.off] == 0 && b[w.off+1] == 1
	if segwit {
		w.off += 2
	}
	nIn, err := w.varint(uint64(w.left())/41, "input count")
	if err != nil {
		return 0, err
	}
	for i := uint64(0); i < nIn; i++ {
		if err := w.skip(36, "outpoint"); err != nil {
			return 0, err
		}
		l, err := w.varint(uint64(w.left()), "signature script length")
		if err != nil {
			return 0, err
		}
		if err := w.skip(l+4, "signature script and sequence"); err != nil {
			return 0, err
		}
	}
	nOut, err := w.varint(uint64(w.left())/9, "output count")
	if err != nil {
		return 0, err
	}
	for i := uint64(0); i < nOut; i++ {
		if err := w.skip(8, "value"); err != nil {
			return 0, err
		}
		l, err := w.varint(uint64(w.left()), "output script length")
		if err != nil {
			return 0, err
		}
		if err := w.skip(l, "output script"); err != nil {
			return 0, err
		}
	}
	if segwit {
		for i := uint64(0); i < nIn; i++ {
			items, err := w.varint(uint64(w.left()), "witness item count")
			if err != nil {
				return 0, err
			}
			for j := uint64(0); j < items; j++ {
				l, err := w.varint(uint64(w.left()), "witness item length")
				if err != nil {
					return 0, err
				}
				if err := w.skip(l, "witness item"); err != nil {
					return 0, err
				}
			}
		}
	}
	if err := w.skip(4, "lock time"); err != nil {
		return 0, err
	}
	return w.off, nil
}

// Block checks a serialized block: its header and each transaction.
func Block(b []byte) error {
	w := &walker{b: b}
	if err := w.skip(80, "header"); err != nil {
		return err
	}
	// The smallest transaction is 10 bytes.
	n, err := w.varint(uint64(w.left())/10, "transaction count")
	if err != nil {
		return err
	}
	for i := uint64(0); i < n; i++ {
		l, err := Tx(b[w.off:], true)
		if err != nil {
			return fmt.Errorf("transaction %d: %w", i, err)
		}
		w.off += l
	}
	return nil
}
