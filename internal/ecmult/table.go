package ecmult

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// Table holds the multiples of one point that a multiplication adds: the odd
// multiples P, 3P, ..., 15P in affine form (Z = 1, so that each addition is
// btcec's cheaper mixed addition), their negations, and the images of both
// under the endomorphism φ. Build it once with Init and call Mul for every
// scalar that multiplies the same point.
//
// The zero Table stands for the point at infinity. A Table is about 4 KiB;
// keep it on the stack or reuse it. After Init it is only read, so Mul may be
// called from several goroutines at once.
type Table struct {
	p, pNeg, phi, phiNeg [tableSize]btcec.JacobianPoint
	finite               bool
}

// Init fills the table for p, which must be normalized (as produced by
// btcec's PublicKey.AsJacobian or by any btcec point operation) and may be
// the point at infinity. It costs one doubling, seven additions, one field
// inversion and a few dozen field multiplications.
func (t *Table) Init(p *btcec.JacobianPoint) {
	initTables(t, p, nil, nil)
}

// Mul sets result = k·P for the table's point P. The result is normalized
// but, in general, not affine: call ToAffine before reading X and Y. It runs
// in variable time.
func (t *Table) Mul(k *btcec.ModNScalar, result *btcec.JacobianPoint) {
	if !t.finite {
		accumulate(nil, 0, result)
		return
	}
	var d [2]wnafDigits
	n, neg := splitRecode(k, &d)
	terms := [2]term{t.term(&d[0], false, neg[0]), t.term(&d[1], true, neg[1])}
	accumulate(terms[:], n, result)
}

// initTables fills t1 for p1 and, if t2 is not nil, t2 for p2, sharing one
// field inversion between them.
func initTables(t1 *Table, p1 *btcec.JacobianPoint, t2 *Table, p2 *btcec.JacobianPoint) {
	// Every finite table's entries go to affine form with one field
	// inversion (Montgomery's trick, fastcrypto.BatchToAffine).
	var pts [2 * tableSize]*btcec.JacobianPoint
	n := 0
	for _, tp := range [2]struct {
		t *Table
		p *btcec.JacobianPoint
	}{{t1, p1}, {t2, p2}} {
		if tp.t == nil {
			continue
		}
		tp.t.finite = !fastcrypto.IsInfinity(tp.p)
		if !tp.t.finite {
			continue
		}
		oddMultiples(tp.p, &tp.t.p)
		for i := range tp.t.p {
			pts[n] = &tp.t.p[i]
			n++
		}
	}
	if n == 0 {
		return
	}
	// The odd multiples of a finite point of prime order are never the
	// point at infinity, so the conversion cannot fail.
	var scratch [2 * tableSize]btcec.FieldVal
	fastcrypto.BatchToAffine(pts[:n], scratch[:])

	for _, t := range [2]*Table{t1, t2} {
		if t != nil && t.finite {
			t.fillImages()
		}
	}
}

// oddMultiples sets out to P, 3P, 5P, ..., 15P in Jacobian form.
func oddMultiples(p *btcec.JacobianPoint, out *[tableSize]btcec.JacobianPoint) {
	var twoP btcec.JacobianPoint
	btcec.DoubleNonConst(p, &twoP)
	out[0].Set(p)
	for i := 1; i < tableSize; i++ {
		btcec.AddNonConst(&out[i-1], &twoP, &out[i])
	}
}

// fillImages derives the negations and the φ images from the affine odd
// multiples. φ(x, y) = (β·x, y) is λ times the point, and −(x, y) = (x, −y).
func (t *Table) fillImages() {
	for i := range t.p {
		t.pNeg[i].Set(&t.p[i])
		t.pNeg[i].Y.Negate(1).Normalize()
		t.phi[i].Set(&t.p[i])
		t.phi[i].X.Mul(&endoBeta).Normalize()
		t.phiNeg[i].X.Set(&t.phi[i].X)
		t.phiNeg[i].Y.Set(&t.pNeg[i].Y)
		t.phiNeg[i].Z.SetInt(1)
	}
}
