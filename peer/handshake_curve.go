package peer

import "github.com/btcsuite/btcd/btcec/v2"

// toAffinePair converts two points from Jacobian to affine coordinates
// with one field inversion instead of the two that calling ToAffine on
// each costs (Montgomery's simultaneous inversion): with i = 1/(Za·Zb),
// 1/Za = i·Zb and 1/Zb = i·Za. An inversion costs as much as about 250
// multiplications; this spends three. Like ToAffine, it leaves X and Y
// normalized and Z = 1. Neither point may be the point at infinity (Z = 0),
// which the handshake never produces: its scalars are nonzero and below
// the group order and its points are valid points of prime order.
func toAffinePair(a, b *btcec.JacobianPoint) {
	var inv, invA, invB btcec.FieldVal
	inv.Mul2(&a.Z, &b.Z).Inverse()
	invA.Mul2(&inv, &b.Z)
	invB.Mul2(&inv, &a.Z)
	setAffine(a, &invA)
	setAffine(b, &invB)
}

// setAffine sets p to (X/Z², Y/Z³, 1) given zInv = 1/Z, normalized.
func setAffine(p *btcec.JacobianPoint, zInv *btcec.FieldVal) {
	var z2, z3 btcec.FieldVal
	z2.SquareVal(zInv)
	z3.Mul2(&z2, zInv)
	p.X.Mul(&z2).Normalize()
	p.Y.Mul(&z3).Normalize()
	p.Z.SetInt(1)
}
