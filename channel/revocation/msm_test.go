package revocation

import (
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

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

func TestTwoTermMultiplyMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	check := func(a, b btcec.ModNScalar, p, q btcec.JacobianPoint) {
		t.Helper()
		var got btcec.JacobianPoint
		TwoTermMultiply(&a, &p, &b, &q, &got)
		want := naiveTwoTerm(&a, &p, &b, &q)
		if !got.EquivalentNonConst(&want) {
			t.Fatalf("TwoTermMultiply mismatch for a=%v b=%v", a, b)
		}
	}
	for i := 0; i < 200; i++ {
		check(randScalar(r), randScalar(r), randPoint(r), randPoint(r))
	}

	// Edge scalars: 0, 1, 2, 15, 16, 31, n-1, 2^255 and all-ones patterns
	// exercise the wNAF carry into digit 256 and the zero paths.
	var nMinus1 btcec.ModNScalar
	nMinus1.SetInt(1).Negate()
	edges := []btcec.ModNScalar{nMinus1}
	for _, v := range []uint32{0, 1, 2, 15, 16, 31, 0xffffffff} {
		var s btcec.ModNScalar
		s.SetInt(v)
		edges = append(edges, s)
	}
	var hi [32]byte
	hi[0] = 0x80
	var s btcec.ModNScalar
	s.SetBytes(&hi)
	edges = append(edges, s)
	for i := range hi {
		hi[i] = 0x7f
	}
	s.SetBytes(&hi)
	edges = append(edges, s)
	p, q := randPoint(r), randPoint(r)
	for _, a := range edges {
		for _, b := range edges {
			if a.IsZero() && b.IsZero() {
				var got btcec.JacobianPoint
				TwoTermMultiply(&a, &p, &b, &q, &got)
				if !(got.Z.IsZero() || (got.X.IsZero() && got.Y.IsZero())) {
					t.Fatal("0·P + 0·Q is not the point at infinity")
				}
				continue
			}
			check(a, b, p, q)
		}
	}
	// Same point on both sides (doubling inside the addition).
	a := randScalar(r)
	check(a, a, p, p)
	// Opposite points with equal scalars cancel.
	negP := p
	negP.Y.Negate(1).Normalize()
	var got btcec.JacobianPoint
	TwoTermMultiply(&a, &p, &a, &negP, &got)
	if !isInfinity(&got) {
		t.Fatal("a·P + a·(−P) is not the point at infinity")
	}
	// A point at infinity on either side contributes nothing.
	var inf btcec.JacobianPoint
	b := randScalar(r)
	for _, tc := range []struct{ p, q btcec.JacobianPoint }{{inf, q}, {p, inf}} {
		TwoTermMultiply(&a, &tc.p, &b, &tc.q, &got)
		want := naiveTwoTerm(&a, &tc.p, &b, &tc.q)
		if !got.EquivalentNonConst(&want) {
			t.Fatal("infinity input handled wrongly")
		}
	}
	TwoTermMultiply(&a, &inf, &b, &inf, &got)
	if !isInfinity(&got) {
		t.Fatal("a·∞ + b·∞ is not ∞")
	}
	// result may alias an input.
	pp := p
	TwoTermMultiply(&a, &pp, &b, &q, &pp)
	want := naiveTwoTerm(&a, &p, &b, &q)
	if !pp.EquivalentNonConst(&want) {
		t.Fatal("aliasing result and P broke the product")
	}
}

func TestWNAFReconstructs(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 500; i++ {
		k := randScalar(r)
		var d wnafDigits
		top := wnaf(&k, &d, false)
		// Rebuild sum d_i·2^i mod n with ModNScalar arithmetic.
		var acc, two btcec.ModNScalar
		two.SetInt(2)
		for j := top; j >= 0; j-- {
			acc.Mul(&two)
			var digit btcec.ModNScalar
			if d[j] >= 0 {
				digit.SetInt(uint32(d[j]))
			} else {
				digit.SetInt(uint32(-d[j])).Negate()
			}
			acc.Add(&digit)
			if d[j] != 0 && (d[j]%2 == 0 || d[j] >= 1<<(msmWindow-1) || d[j] <= -(1<<(msmWindow-1))) {
				t.Fatalf("digit %d at %d out of range", d[j], j)
			}
		}
		if !acc.Equals(&k) {
			t.Fatalf("wNAF does not reconstruct scalar %v", k)
		}
		for j := 0; j+msmWindow <= len(d); j++ {
			nz := 0
			for _, v := range d[j : j+msmWindow] {
				if v != 0 {
					nz++
				}
			}
			if nz > 1 {
				t.Fatalf("window at %d has %d non-zero digits", j, nz)
			}
		}
	}
}
