package revocation

import (
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// TestDerivePoint checks that DerivePoint, brought to affine form, is
// DerivePubKey's key, and both are the sum of the two products computed
// separately with btcec.
func TestDerivePoint(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for i := 0; i < 20; i++ {
		var a, b [32]byte
		r.Read(a[:])
		r.Read(b[:])
		_, rb := btcec.PrivKeyFromBytes(a[:])
		_, pcp := btcec.PrivKeyFromBytes(b[:])

		var j btcec.JacobianPoint
		if err := DerivePoint(rb, pcp, &j); err != nil {
			t.Fatal(err)
		}
		j.ToAffine()
		pub, err := DerivePubKey(rb, pcp)
		if err != nil {
			t.Fatal(err)
		}
		h1, h2 := revocationTweaks(rb.SerializeCompressed(), pcp.SerializeCompressed())
		var p, q, want btcec.JacobianPoint
		rb.AsJacobian(&p)
		pcp.AsJacobian(&q)
		btcec.ScalarMultNonConst(&h1, &p, &p)
		btcec.ScalarMultNonConst(&h2, &q, &q)
		btcec.AddNonConst(&p, &q, &want)
		want.ToAffine()
		if !btcec.NewPublicKey(&j.X, &j.Y).IsEqual(pub) || !pub.IsEqual(btcec.NewPublicKey(&want.X, &want.Y)) {
			t.Fatalf("case %d: DerivePoint, DerivePubKey and the two products disagree", i)
		}
	}
}
