package ecmult

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// naiveTwo computes a·P + b·Q with two independent btcec multiplications,
// the reference for MultiplyTwo.
func naiveTwo(a *btcec.ModNScalar, p *btcec.JacobianPoint, b *btcec.ModNScalar, q *btcec.JacobianPoint) btcec.JacobianPoint {
	var ap, bq, sum btcec.JacobianPoint
	btcec.ScalarMultNonConst(a, p, &ap)
	btcec.ScalarMultNonConst(b, q, &bq)
	btcec.AddNonConst(&ap, &bq, &sum)
	return sum
}

func checkTwo(t *testing.T, a btcec.ModNScalar, p btcec.JacobianPoint, b btcec.ModNScalar, q btcec.JacobianPoint) {
	t.Helper()
	var got btcec.JacobianPoint
	MultiplyTwo(&a, &p, &b, &q, &got)
	want := naiveTwo(&a, &p, &b, &q)
	if !equalPoints(&got, &want) {
		t.Fatalf("MultiplyTwo(%x, %x) differs from two multiplications", scalarBig(&a), scalarBig(&b))
	}
}

func TestMultiplyTwoRandom(t *testing.T) {
	r := newRand(8)
	for i := 0; i < 300; i++ {
		checkTwo(t, randScalar(r), randPoint(r), randScalar(r), randPoint(r))
	}
	// Non-affine inputs.
	p, q := randPoint(r), randPoint(r)
	var pp, qq btcec.JacobianPoint
	btcec.DoubleNonConst(&p, &pp)
	btcec.AddNonConst(&p, &q, &qq)
	checkTwo(t, randScalar(r), pp, randScalar(r), qq)
}

func TestMultiplyTwoEdges(t *testing.T) {
	r := newRand(9)
	p, q := randPoint(r), randPoint(r)
	edges := edgeScalars()
	for _, a := range edges {
		for _, b := range edges {
			checkTwo(t, a, p, b, q)
		}
	}
}

func TestMultiplyTwoSpecialPoints(t *testing.T) {
	r := newRand(10)
	p, q := randPoint(r), randPoint(r)
	a, b := randScalar(r), randScalar(r)
	var inf btcec.JacobianPoint

	// The same point on both sides, and a + b ≡ 0 on it.
	checkTwo(t, a, p, b, p)
	checkTwo(t, a, p, a, p)
	negA := a
	negA.Negate()
	var got btcec.JacobianPoint
	MultiplyTwo(&a, &p, &negA, &p, &got)
	if !fastcrypto.IsInfinity(&got) {
		t.Fatal("a·P − a·P is not ∞")
	}
	// Opposite points with equal scalars cancel.
	negP := p
	negP.Y.Negate(1).Normalize()
	MultiplyTwo(&a, &p, &a, &negP, &got)
	if !fastcrypto.IsInfinity(&got) {
		t.Fatal("a·P + a·(−P) is not ∞")
	}
	// Q = λ·P: the φ table of P equals the table of Q.
	var lp btcec.JacobianPoint
	btcec.ScalarMultNonConst(&endoLambda, &p, &lp)
	lp.ToAffine()
	checkTwo(t, a, p, b, lp)

	// A point at infinity on either side contributes nothing.
	checkTwo(t, a, inf, b, q)
	checkTwo(t, a, p, b, inf)
	MultiplyTwo(&a, &inf, &b, &inf, &got)
	if !fastcrypto.IsInfinity(&got) {
		t.Fatal("a·∞ + b·∞ is not ∞")
	}
	// Zero scalars.
	var zero btcec.ModNScalar
	got = p
	MultiplyTwo(&zero, &p, &zero, &q, &got)
	if !fastcrypto.IsInfinity(&got) {
		t.Fatal("0·P + 0·Q is not ∞")
	}
	checkTwo(t, zero, p, b, q)
	checkTwo(t, a, p, zero, q)
}

func TestMultiplyTwoAlias(t *testing.T) {
	r := newRand(11)
	p, q := randPoint(r), randPoint(r)
	a, b := randScalar(r), randScalar(r)
	want := naiveTwo(&a, &p, &b, &q)

	pp := p
	MultiplyTwo(&a, &pp, &b, &q, &pp)
	if !equalPoints(&pp, &want) {
		t.Fatal("result aliasing P is wrong")
	}
	qq := q
	MultiplyTwo(&a, &p, &b, &qq, &qq)
	if !equalPoints(&qq, &want) {
		t.Fatal("result aliasing Q is wrong")
	}
	// One variable for P, Q and the result: a·P + b·P.
	same := p
	MultiplyTwo(&a, &same, &b, &same, &same)
	want = naiveTwo(&a, &p, &b, &p)
	if !equalPoints(&same, &want) {
		t.Fatal("result aliasing both P and Q is wrong")
	}
}
