package ecmult

import (
	"encoding/binary"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Lattice basis of the split (libsecp256k1's values); b1 is negative and
// b2 = a1. Only −b1, −b2 and the ratios derived from them appear in the
// code, so the test rebuilds them from this basis.
var (
	testA1      = hexBig("3086d221a7d46bcde86c90e49284eb15")
	testMinusB1 = hexBig("e4437ed6010e88286f547fa90abfe4c3")
	testA2      = hexBig("114ca50f7a8e2f3f657c1108d9d44cfd8")
	testB2      = testA1
)

func limbsBig(l *limbs) *big.Int {
	var b [32]byte
	for i := 0; i < 4; i++ {
		binary.BigEndian.PutUint64(b[24-8*i:], l[i])
	}
	return new(big.Int).SetBytes(b[:])
}

// TestEndomorphismConstants checks every relation the split relies on, so
// that a typo in a constant cannot go unnoticed.
func TestEndomorphismConstants(t *testing.T) {
	n := curveN
	p := btcec.S256().P
	lambda := scalarBig(&endoLambda)
	var betaBytes [32]byte
	endoBeta.PutBytesUnchecked(betaBytes[:])
	beta := new(big.Int).SetBytes(betaBytes[:])

	one := big.NewInt(1)
	three := big.NewInt(3)
	if new(big.Int).Exp(lambda, three, n).Cmp(one) != 0 || lambda.Cmp(one) == 0 {
		t.Fatal("λ is not a non-trivial cube root of unity mod n")
	}
	if new(big.Int).Exp(beta, three, p).Cmp(one) != 0 || beta.Cmp(one) == 0 {
		t.Fatal("β is not a non-trivial cube root of unity mod p")
	}

	// λ·P = (β·x, y) for G and another point.
	var g btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	for _, pt := range []btcec.JacobianPoint{g, randPoint(newRand(1))} {
		var lp btcec.JacobianPoint
		btcec.ScalarMultNonConst(&endoLambda, &pt, &lp)
		lp.ToAffine()
		phi := pt
		phi.X.Mul(&endoBeta).Normalize()
		if !lp.X.Equals(&phi.X) || !lp.Y.Equals(&phi.Y) {
			t.Fatal("λ·P != (β·x, y)")
		}
	}

	// The basis: a_i + b_i·λ ≡ 0 (mod n) and determinant a1·b2 − a2·b1 = n.
	b1 := new(big.Int).Neg(testMinusB1)
	for _, v := range [][2]*big.Int{{testA1, b1}, {testA2, testB2}} {
		r := new(big.Int).Mul(v[1], lambda)
		if r.Add(r, v[0]).Mod(r, n).Sign() != 0 {
			t.Fatalf("(%x, %x) is not in the lattice", v[0], v[1])
		}
	}
	det := new(big.Int).Mul(testA1, testB2)
	det.Sub(det, new(big.Int).Mul(testA2, b1))
	if det.Cmp(n) != 0 {
		t.Fatal("basis determinant is not n")
	}

	// The constants the code uses.
	if scalarBig(&endoMinusB1).Cmp(testMinusB1) != 0 {
		t.Fatal("endoMinusB1 is not −b1")
	}
	if want := new(big.Int).Sub(n, testB2); scalarBig(&endoMinusB2).Cmp(want) != 0 {
		t.Fatal("endoMinusB2 is not −b2 mod n")
	}
	round384 := func(v *big.Int) *big.Int {
		num := new(big.Int).Lsh(v, 384)
		num.Add(num, new(big.Int).Rsh(n, 1))
		return num.Quo(num, n)
	}
	if limbsBig(&endoG1).Cmp(round384(testB2)) != 0 {
		t.Fatal("g1 is not round(2^384·b2/n)")
	}
	if limbsBig(&endoG2).Cmp(round384(testMinusB1)) != 0 {
		t.Fatal("g2 is not round(2^384·(−b1)/n)")
	}
}

func TestMulShift384(t *testing.T) {
	r := newRand(2)
	half := new(big.Int).Lsh(big.NewInt(1), 383)
	for i := 0; i < 2000; i++ {
		var a, b limbs
		for j := range a {
			a[j], b[j] = r.Uint64(), r.Uint64()
		}
		// Keep the product's high part below n so that the scalar holds
		// it exactly; the code only uses the ratios, whose results are
		// below 2^129.
		if i%2 == 0 {
			b[3] >>= 4
		} else {
			a[3], a[2] = 0, a[2]>>1
		}
		got := mulShift384(&a, &b)
		want := new(big.Int).Mul(limbsBig(&a), limbsBig(&b))
		want.Add(want, half).Rsh(want, 384)
		if want.Cmp(curveN) >= 0 {
			continue
		}
		if scalarBig(&got).Cmp(want) != 0 {
			t.Fatalf("mulShift384 = %x, want %x", scalarBig(&got), want)
		}
	}
	// All-ones inputs: the rounding carry ripples into the top limb.
	ones := limbs{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0) >> 4}
	got := mulShift384(&ones, &ones)
	want := new(big.Int).Mul(limbsBig(&ones), limbsBig(&ones))
	want.Add(want, half).Rsh(want, 384)
	if scalarBig(&got).Cmp(want) != 0 {
		t.Fatal("mulShift384 wrong for all-ones input")
	}
}

func TestSplitScalar(t *testing.T) {
	half := new(big.Int).Rsh(curveN, 1)
	limit := new(big.Int).Lsh(big.NewInt(1), 129)
	magnitude := func(s *btcec.ModNScalar) *big.Int {
		v := scalarBig(s)
		if v.Cmp(half) > 0 {
			v.Sub(curveN, v)
		}
		return v
	}
	r := newRand(3)
	ks := edgeScalars()
	for i := 0; i < 5000; i++ {
		ks = append(ks, randScalar(r))
	}
	for _, k := range ks {
		k1, k2 := splitScalar(&k)
		var sum btcec.ModNScalar
		sum.Mul2(&k2, &endoLambda).Add(&k1)
		if !sum.Equals(&k) {
			t.Fatalf("k1 + k2·λ != k for %x", scalarBig(&k))
		}
		if magnitude(&k1).Cmp(limit) >= 0 || magnitude(&k2).Cmp(limit) >= 0 {
			t.Fatalf("split of %x is not short: %x %x", scalarBig(&k), scalarBig(&k1), scalarBig(&k2))
		}
	}
}
