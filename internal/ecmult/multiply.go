package ecmult

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// MultiplyTwo sets result = a·P + b·Q as one multi-scalar multiplication.
//
// Both scalars are split with the endomorphism, so the sum becomes four
// half-length products k1·P + k2·φ(P) + k3·Q + k4·φ(Q) that share one chain of
// about 128 doublings; the tables of P and Q share one field inversion. The
// cost is close to that of one variable-base multiplication, where computing
// the two products separately costs two.
//
// P and Q must be normalized (as produced by btcec's PublicKey.AsJacobian or
// by any btcec point operation); either may be the point at infinity, and P
// may equal Q or −Q. The result is normalized but, in general, not affine:
// call ToAffine before reading X and Y. result may alias P or Q. It runs in
// variable time.
func MultiplyTwo(a *btcec.ModNScalar, p *btcec.JacobianPoint, b *btcec.ModNScalar, q *btcec.JacobianPoint, result *btcec.JacobianPoint) {
	// A term with a zero scalar or a point at infinity contributes
	// nothing; skipping it also saves its table.
	var tp, tq Table
	var t1, t2 *Table
	var p1, p2 *btcec.JacobianPoint
	var k1, k2 *btcec.ModNScalar
	if !a.IsZero() && !fastcrypto.IsInfinity(p) {
		t1, p1, k1 = &tp, p, a
	}
	if !b.IsZero() && !fastcrypto.IsInfinity(q) {
		if t1 == nil {
			t1, p1, k1 = &tq, q, b
		} else {
			t2, p2, k2 = &tq, q, b
		}
	}
	switch {
	case t2 != nil:
		initTables(t1, p1, t2, p2)
		var d [4]wnafDigits
		n1, neg1 := splitRecode(k1, (*[2]wnafDigits)(d[0:2]))
		n2, neg2 := splitRecode(k2, (*[2]wnafDigits)(d[2:4]))
		terms := [4]term{
			t1.term(&d[0], false, neg1[0]), t1.term(&d[1], true, neg1[1]),
			t2.term(&d[2], false, neg2[0]), t2.term(&d[3], true, neg2[1]),
		}
		accumulate(terms[:], max(n1, n2), result)
	case t1 != nil:
		initTables(t1, p1, nil, nil)
		t1.Mul(k1, result)
	default:
		accumulate(nil, 0, result)
	}
}

// term is one half-length product of a multiplication: a wNAF digit string
// and the table entries its positive and negative digits add.
type term struct {
	digits   *wnafDigits
	pos, neg *[tableSize]btcec.JacobianPoint
}

// splitRecode splits k into k1 + k2·λ and recodes both halves into d, which
// must be zero on entry. A half may be "negative", that is close to n: its
// negation is recoded instead and neg reports it. n is the number of digits
// of the longer half.
func splitRecode(k *btcec.ModNScalar, d *[2]wnafDigits) (n int, neg [2]bool) {
	k1, k2 := splitScalar(k)
	if neg[0] = k1.IsOverHalfOrder(); neg[0] {
		k1.Negate()
	}
	if neg[1] = k2.IsOverHalfOrder(); neg[1] {
		k2.Negate()
	}
	return max(recode(&k1, &d[0]), recode(&k2, &d[1])), neg
}

// term pairs the digits d with the table's multiples of P, or of φ(P) when
// endo is set, swapping the positive and negative entries when the half was
// negated. It returns the term by value (storing the table's address through
// a pointer would move every Table to the heap).
func (t *Table) term(d *wnafDigits, endo, negated bool) term {
	pos, neg := &t.p, &t.pNeg
	if endo {
		pos, neg = &t.phi, &t.phiNeg
	}
	if negated {
		pos, neg = neg, pos
	}
	return term{digits: d, pos: pos, neg: neg}
}

// accumulate sets result = Σ terms, reading n digits of each, most
// significant first: one doubling per digit and one mixed addition per
// non-zero digit.
func accumulate(terms []term, n int, result *btcec.JacobianPoint) {
	var acc btcec.JacobianPoint // the point at infinity
	for i := n - 1; i >= 0; i-- {
		// btcec's addition and doubling accept a result aliasing their
		// first operand, as its own ScalarMultNonConst does.
		btcec.DoubleNonConst(&acc, &acc)
		for j := range terms {
			switch d := terms[j].digits[i]; {
			case d > 0:
				btcec.AddNonConst(&acc, &terms[j].pos[d>>1], &acc)
			case d < 0:
				btcec.AddNonConst(&acc, &terms[j].neg[(-d)>>1], &acc)
			}
		}
	}
	result.Set(&acc)
}
