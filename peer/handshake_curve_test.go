package peer

import (
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// TestToAffinePair checks the shared inversion against ToAffine on pairs
// of Jacobian points with unrelated Z, as the handshake produces them (a
// base-point product and a variable-base product), and on a pair whose
// second point is already affine (Z = 1).
func TestToAffinePair(t *testing.T) {
	for i := range 50 {
		ha := sha256.Sum256([]byte{byte(i), 'a'})
		hb := sha256.Sum256([]byte{byte(i), 'b'})
		var ka, kb btcec.ModNScalar
		ka.SetBytes(&ha)
		kb.SetBytes(&hb)

		var a, b, q btcec.JacobianPoint
		btcec.ScalarBaseMultNonConst(&ka, &a)
		testKey(string(rune('A' + i))).PubKey().AsJacobian(&q)
		btcec.ScalarMultNonConst(&kb, &q, &b)
		if i%10 == 9 {
			b.ToAffine()
		}
		if a.Z.IsOneBit() == 1 && b.Z.IsOneBit() == 1 {
			t.Fatal("test points are already affine")
		}

		wantA, wantB := a, b
		wantA.ToAffine()
		wantB.ToAffine()
		toAffinePair(&a, &b)
		for _, c := range []struct {
			name      string
			got, want *btcec.JacobianPoint
		}{{"first", &a, &wantA}, {"second", &b, &wantB}} {
			// Equals needs normalized values, checked below.
			if !c.got.X.Equals(&c.want.X) || !c.got.Y.Equals(&c.want.Y) || c.got.Z.IsOneBit() != 1 {
				t.Fatalf("pair %d, %s point: toAffinePair differs from ToAffine", i, c.name)
			}
			x, y := c.got.X, c.got.Y
			if *x.Normalize() != c.got.X || *y.Normalize() != c.got.Y {
				t.Fatalf("pair %d, %s point: not normalized", i, c.name)
			}
		}
	}
}
