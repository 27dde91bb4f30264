package ecmult

import (
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

func TestRecode(t *testing.T) {
	r := newRand(4)
	ks := edgeScalars()
	for i := 0; i < 3000; i++ {
		k := randScalar(r)
		if i%3 == 1 { // half-length values, as the split produces
			k1, _ := splitScalar(&k)
			if k1.IsOverHalfOrder() {
				k1.Negate()
			}
			k = k1
		}
		ks = append(ks, k)
	}
	for _, k := range ks {
		var d wnafDigits
		n := recode(&k, &d)
		if k.IsZero() != (n == 0) {
			t.Fatalf("%x: length %d", scalarBig(&k), n)
		}
		if n > 0 && d[n-1] == 0 {
			t.Fatalf("%x: top digit %d is zero", scalarBig(&k), n-1)
		}
		// Rebuild Σ d_i·2^i as an integer (not mod n).
		acc := new(big.Int)
		for i := len(d) - 1; i >= 0; i-- {
			acc.Lsh(acc, 1).Add(acc, big.NewInt(int64(d[i])))
			if i >= n && d[i] != 0 {
				t.Fatalf("%x: digit past the length at %d", scalarBig(&k), i)
			}
			if v := d[i]; v != 0 && (v%2 == 0 || v >= 1<<(window-1) || v <= -(1<<(window-1))) {
				t.Fatalf("%x: digit %d at %d out of range", scalarBig(&k), v, i)
			}
		}
		if acc.Cmp(scalarBig(&k)) != 0 {
			t.Fatalf("wNAF of %x rebuilds %x", scalarBig(&k), acc)
		}
		for i := 0; i+window <= len(d); i++ {
			nz := 0
			for _, v := range d[i : i+window] {
				if v != 0 {
					nz++
				}
			}
			if nz > 1 {
				t.Fatalf("%x: window at %d has %d non-zero digits", scalarBig(&k), i, nz)
			}
		}
	}
}

// TestRecodeTopDigit covers a scalar whose recoding carries into digit 256,
// the last one a scalar below 2^256 can need.
func TestRecodeTopDigit(t *testing.T) {
	var k btcec.ModNScalar
	k.SetInt(1).Negate() // n − 1 = 0xffff...4140: its top window is negative
	var d wnafDigits
	if n := recode(&k, &d); n != 257 || d[256] != 1 {
		t.Fatalf("n−1: length %d, top digit %d", n, d[n-1])
	}
}
