package ecmult

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// TestNoAllocs guards the stack placement of the tables: a pointer to a
// Table stored through a pointer moves every Table (4 KiB) to the heap.
func TestNoAllocs(t *testing.T) {
	k1, k2, p, q := benchInputs()
	var out btcec.JacobianPoint
	if n := testing.AllocsPerRun(5, func() { MultiplyTwo(&k1, &p, &k2, &q, &out) }); n != 0 {
		t.Errorf("MultiplyTwo allocates %v times", n)
	}
	if n := testing.AllocsPerRun(5, func() {
		var tab Table
		tab.Init(&p)
		tab.Mul(&k1, &out)
		tab.Mul(&k2, &out)
	}); n != 0 {
		t.Errorf("Table Init and Mul allocate %v times", n)
	}
}
