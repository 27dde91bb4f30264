package script

import (
	"errors"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
)

func TestSortOutputs(t *testing.T) {
	a := btcwire.NewTxOut(1000, []byte{0x00, 0x02})
	b := btcwire.NewTxOut(1000, []byte{0x00, 0x01})
	c := btcwire.NewTxOut(999, []byte{0xff})
	d1 := btcwire.NewTxOut(5000, []byte{0x00, 0x20, 0x01}) // two identical HTLC outputs,
	d2 := btcwire.NewTxOut(5000, []byte{0x00, 0x20, 0x01}) // told apart by cltv_expiry
	e := btcwire.NewTxOut(1000, []byte{0x00, 0x01, 0x00})  // longer script, same prefix
	outs := []*btcwire.TxOut{a, d1, b, d2, c, e}
	cltvs := []uint32{0, 506, 0, 505, 0, 0}
	idx, err := SortOutputs(outs, cltvs)
	if err != nil {
		t.Fatal(err)
	}
	want := []*btcwire.TxOut{c, b, e, a, d2, d1}
	for i := range want {
		if outs[i] != want[i] {
			t.Fatalf("position %d: got %v", i, outs[i])
		}
	}
	wantIdx := []int{3, 5, 1, 4, 0, 2}
	for i := range wantIdx {
		if idx[i] != wantIdx[i] {
			t.Fatalf("newIndex %v, want %v", idx, wantIdx)
		}
	}
	if cltvs[1] != 506 {
		t.Fatal("cltvs reordered")
	}
	// Without cltvs equal outputs keep their order (stable).
	outs = []*btcwire.TxOut{d1, d2}
	if idx, _ := SortOutputs(outs, nil); idx[0] != 0 || outs[0] != d1 {
		t.Fatal("not stable")
	}
	if _, err := SortOutputs(outs, []uint32{1}); !errors.Is(err, ErrLengthMismatch) {
		t.Fatalf("length mismatch: %v", err)
	}
	if !OutputLess(c, 0, a, 0) || OutputLess(d1, 506, d2, 505) {
		t.Fatal("OutputLess")
	}
}
