package revocation

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

func scalarBig(s *btcec.ModNScalar) *big.Int {
	b := s.Bytes()
	return new(big.Int).SetBytes(b[:])
}

// TestEndomorphismConstants checks every relation the split relies on, so
// that a typo in a constant cannot go unnoticed.
func TestEndomorphismConstants(t *testing.T) {
	n := btcec.S256().N
	lambda := scalarBig(&endoLambda)

	// λ^3 ≡ 1 (mod n), λ ≠ 1.
	l3 := new(big.Int).Exp(lambda, big.NewInt(3), n)
	if l3.Cmp(big.NewInt(1)) != 0 || lambda.Cmp(big.NewInt(1)) == 0 {
		t.Fatal("λ is not a non-trivial cube root of unity mod n")
	}
	// λ·G = (β·Gx, Gy).
	var g, lg btcec.JacobianPoint
	btcec.GeneratorJacobian(&g)
	btcec.ScalarMultNonConst(&endoLambda, &g, &lg)
	lg.ToAffine()
	var phiG btcec.JacobianPoint
	phiG.Set(&g)
	phiG.X.Mul(&endoBeta).Normalize()
	if !lg.X.Equals(&phiG.X) || !lg.Y.Equals(&phiG.Y) {
		t.Fatal("λ·G != (β·x, y)")
	}
	// a1 + b1·λ ≡ 0 and a2 + b2·λ ≡ 0 (mod n).
	b1 := new(big.Int).Neg(endoNegB1)
	for _, pair := range [][2]*big.Int{{endoA1, b1}, {endoA2, endoB2}} {
		v := new(big.Int).Mul(pair[1], lambda)
		v.Add(v, pair[0]).Mod(v, n)
		if v.Sign() != 0 {
			t.Fatalf("lattice vector (%x, %x) is not in the kernel", pair[0], pair[1])
		}
	}
	// Determinant a1·b2 − a2·b1 = n.
	det := new(big.Int).Mul(endoA1, endoB2)
	det.Sub(det, new(big.Int).Mul(endoA2, b1))
	if det.Cmp(n) != 0 {
		t.Fatal("lattice basis determinant is not n")
	}
}

func TestSplitScalar(t *testing.T) {
	n := btcec.S256().N
	half := new(big.Int).Rsh(n, 1)
	limit := new(big.Int).Lsh(big.NewInt(1), 129)
	signed := func(s *btcec.ModNScalar) *big.Int {
		v := scalarBig(s)
		if v.Cmp(half) > 0 {
			v.Sub(v, n)
		}
		return v.Abs(v)
	}
	r := rand.New(rand.NewSource(3))
	var nMinus1 btcec.ModNScalar
	nMinus1.SetInt(1).Negate()
	ks := []btcec.ModNScalar{nMinus1, endoLambda}
	for i := 0; i < 2000; i++ {
		ks = append(ks, randScalar(r))
	}
	for _, k := range ks {
		k1, k2 := splitScalar(&k)
		var sum btcec.ModNScalar
		sum.Set(&k2).Mul(&endoLambda).Add(&k1)
		if !sum.Equals(&k) {
			t.Fatalf("k1 + k2·λ != k for %v", k)
		}
		if signed(&k1).Cmp(limit) >= 0 || signed(&k2).Cmp(limit) >= 0 {
			t.Fatalf("split of %v is not short: %v %v", k, k1, k2)
		}
	}
}
