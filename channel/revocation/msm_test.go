package revocation

import (
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// The multiplication itself is tested in internal/ecmult (random and edge
// scalars, the endomorphism constants, the split, the recoding, infinity and
// aliasing). These tests pin TwoTermMultiply's documented contract.

func randScalar(r *rand.Rand) btcec.ModNScalar {
	var b [32]byte
	r.Read(b[:])
	var s btcec.ModNScalar
	s.SetBytes(&b)
	return s
}

func randPoint(r *rand.Rand) btcec.JacobianPoint {
	k := randScalar(r)
	var p btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&k, &p)
	return p
}

func isInfinity(p *btcec.JacobianPoint) bool {
	return (p.X.IsZero() && p.Y.IsZero()) || p.Z.IsZero()
}

// naiveTwoTerm computes a·P + b·Q with two independent scalar
// multiplications, as the reference for TwoTermMultiply.
func naiveTwoTerm(a *btcec.ModNScalar, p *btcec.JacobianPoint, b *btcec.ModNScalar, q *btcec.JacobianPoint) btcec.JacobianPoint {
	var ap, bq, sum btcec.JacobianPoint
	btcec.ScalarMultNonConst(a, p, &ap)
	btcec.ScalarMultNonConst(b, q, &bq)
	btcec.AddNonConst(&ap, &bq, &sum)
	sum.ToAffine()
	return sum
}

func TestTwoTermMultiply(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		a, b := randScalar(r), randScalar(r)
		p, q := randPoint(r), randPoint(r)
		var got btcec.JacobianPoint
		TwoTermMultiply(&a, &p, &b, &q, &got)
		want := naiveTwoTerm(&a, &p, &b, &q)
		if !got.EquivalentNonConst(&want) {
			t.Fatalf("TwoTermMultiply mismatch for a=%v b=%v", a, b)
		}
	}

	a, b := randScalar(r), randScalar(r)
	p, q := randPoint(r), randPoint(r)
	want := naiveTwoTerm(&a, &p, &b, &q)
	// result may alias P or Q.
	pp, qq := p, q
	TwoTermMultiply(&a, &pp, &b, &q, &pp)
	TwoTermMultiply(&a, &p, &b, &qq, &qq)
	if !pp.EquivalentNonConst(&want) || !qq.EquivalentNonConst(&want) {
		t.Fatal("aliasing result with an input broke the product")
	}
	// Either point may be the point at infinity.
	var inf, got btcec.JacobianPoint
	TwoTermMultiply(&a, &inf, &b, &q, &got)
	if want := naiveTwoTerm(&a, &inf, &b, &q); !got.EquivalentNonConst(&want) {
		t.Fatal("∞ as P handled wrongly")
	}
	TwoTermMultiply(&a, &inf, &b, &inf, &got)
	if !isInfinity(&got) {
		t.Fatal("a·∞ + b·∞ is not ∞")
	}
	// Opposite terms cancel to ∞, which DerivePubKey must reject.
	negP := p
	negP.Y.Negate(1).Normalize()
	TwoTermMultiply(&a, &p, &a, &negP, &got)
	if !isInfinity(&got) {
		t.Fatal("a·P + a·(−P) is not ∞")
	}
}
