package script

import (
	"bytes"
	"fmt"
	"sort"

	btcwire "github.com/btcsuite/btcd/wire"
)

// SortOutputs orders outs in place as BOLT 3 "Transaction Input and Output
// Ordering" requires: by amount, then by scriptPubKey compared
// lexicographically (BIP 69), and, for HTLC outputs that are identical in
// both, by cltv_expiry. cltvs is parallel to outs and gives each output's
// cltv_expiry (0 for outputs that are not HTLCs); pass nil if there are
// no HTLC outputs. Outputs equal in all three keep their relative order.
//
// It returns newIndex, where newIndex[i] is the position the output that
// was at index i now has, so that a caller can find each HTLC's output
// index in the sorted transaction. cltvs is not reordered.
func SortOutputs(outs []*btcwire.TxOut, cltvs []uint32) (newIndex []int, err error) {
	if cltvs != nil && len(cltvs) != len(outs) {
		return nil, fmt.Errorf("sort outputs: %d outputs, %d cltv values: %w", len(outs), len(cltvs), ErrLengthMismatch)
	}
	s := outputSorter{outs: outs, cltvs: cltvs, orig: make([]int, len(outs))}
	for i := range s.orig {
		s.orig[i] = i
	}
	sort.Stable(&s)
	newIndex = make([]int, len(outs))
	for pos, i := range s.orig {
		newIndex[i] = pos
	}
	return newIndex, nil
}

// OutputLess reports whether output a (with cltv_expiry cltvA) sorts
// before output b under the rule of SortOutputs.
func OutputLess(a *btcwire.TxOut, cltvA uint32, b *btcwire.TxOut, cltvB uint32) bool {
	if a.Value != b.Value {
		return a.Value < b.Value
	}
	if c := bytes.Compare(a.PkScript, b.PkScript); c != 0 {
		return c < 0
	}
	return cltvA < cltvB
}

type outputSorter struct {
	outs  []*btcwire.TxOut
	cltvs []uint32
	orig  []int
}

func (s *outputSorter) Len() int { return len(s.outs) }

func (s *outputSorter) cltv(i int) uint32 {
	if s.cltvs == nil {
		return 0
	}
	return s.cltvs[s.orig[i]]
}

func (s *outputSorter) Less(i, j int) bool {
	return OutputLess(s.outs[i], s.cltv(i), s.outs[j], s.cltv(j))
}

func (s *outputSorter) Swap(i, j int) {
	s.outs[i], s.outs[j] = s.outs[j], s.outs[i]
	s.orig[i], s.orig[j] = s.orig[j], s.orig[i]
}
