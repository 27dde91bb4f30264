package ecmult

import "github.com/btcsuite/btcd/btcec/v2"

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
	if !a.IsZero() && !isInfinity(p) {
		t1, p1, k1 = &tp, p, a
	}
	if !b.IsZero() && !isInfinity(q) {
		if t1 == nil {
			t1, p1, k1 = &tq, q, b
		} else {
			t2, p2, k2 = &tq, q, b
		}
	}
	var terms [4]term
	switch {
	case t2 != nil:
		initTables(t1, p1, t2, p2)
		n1 := t1.terms(k1, (*[2]term)(terms[0:2]))
		n2 := t2.terms(k2, (*[2]term)(terms[2:4]))
		accumulate(terms[:], max(n1, n2), result)
	case t1 != nil:
		initTables(t1, p1, nil, nil)
		n := t1.terms(k1, (*[2]term)(terms[0:2]))
		accumulate(terms[:2], n, result)
	default:
		accumulate(nil, 0, result)
	}
}

// term is one half-length product of a multiplication: a wNAF digit string
// and the table entries its positive and negative digits add.
type term struct {
	digits   wnafDigits
	pos, neg *[tableSize]btcec.JacobianPoint
}

// terms splits k into the two half-length products k1·P + k2·φ(P) for the
// table's point and returns the number of digits of the longer one. The
// table must be finite; out must be zero on entry.
func (t *Table) terms(k *btcec.ModNScalar, out *[2]term) int {
	k1, k2 := splitScalar(k)
	out[0].pos, out[0].neg = &t.p, &t.pNeg
	out[1].pos, out[1].neg = &t.phi, &t.phiNeg
	// A half may be "negative", that is close to n: recode its negation
	// and swap the roles of the table and its negation.
	if k1.IsOverHalfOrder() {
		k1.Negate()
		out[0].pos, out[0].neg = out[0].neg, out[0].pos
	}
	if k2.IsOverHalfOrder() {
		k2.Negate()
		out[1].pos, out[1].neg = out[1].neg, out[1].pos
	}
	return max(recode(&k1, &out[0].digits), recode(&k2, &out[1].digits))
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
