package script

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
)

// TweakPoint computes basepoint + SHA256(per_commitment_point ||
// basepoint)·G like TweakPubKey, but leaves the result in Jacobian
// coordinates so that several results can share one field inversion in
// ToPublicKeys.
func TweakPoint(basepoint, perCommitmentPoint *btcec.PublicKey, result *btcec.JacobianPoint) {
	tweak := SingleTweak(perCommitmentPoint, basepoint)
	var k btcec.ModNScalar
	k.SetBytes(&tweak)
	var tG, bp btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&k, &tG)
	basepoint.AsJacobian(&bp)
	btcec.AddNonConst(&bp, &tG, result)
}

// ToPublicKeys converts Jacobian points to public keys with a single field
// inversion for all of them (Montgomery's trick: one inversion and three
// multiplications per point instead of one inversion per point). It fails
// with ErrInfinity if any point is the point at infinity. pts is not
// modified.
func ToPublicKeys(pts []btcec.JacobianPoint) ([]*btcec.PublicKey, error) {
	n := len(pts)
	if n == 0 {
		return nil, nil
	}
	zs := make([]btcec.FieldVal, n)
	prefix := make([]btcec.FieldVal, n) // prefix[i] = Z_0 ... Z_i
	for i := range pts {
		zs[i].Set(&pts[i].Z).Normalize()
		if zs[i].IsZero() {
			return nil, fmt.Errorf("point %d: %w", i, ErrInfinity)
		}
		if i == 0 {
			prefix[0].Set(&zs[0])
		} else {
			prefix[i].Mul2(&prefix[i-1], &zs[i])
		}
	}
	var inv btcec.FieldVal // (Z_0 ... Z_i)^-1 while walking back
	inv.Set(&prefix[n-1]).Inverse()
	out := make([]*btcec.PublicKey, n)
	for i := n - 1; i >= 0; i-- {
		var zInv, zInv2, x, y btcec.FieldVal
		if i > 0 {
			zInv.Mul2(&inv, &prefix[i-1]) // Z_i^-1
			inv.Mul(&zs[i])
		} else {
			zInv.Set(&inv)
		}
		zInv2.SquareVal(&zInv)
		x.Mul2(&pts[i].X, &zInv2).Normalize()
		y.Mul2(&pts[i].Y, zInv2.Mul(&zInv)).Normalize()
		out[i] = btcec.NewPublicKey(&x, &y)
	}
	return out, nil
}

// TweakPubKeys derives several keys of one commitment at once, for example
// localpubkey, local_htlcpubkey, remote_htlcpubkey and
// local_delayedpubkey: out[i] = TweakPubKey(basepoints[i],
// perCommitmentPoint). It costs one base-point multiplication and one
// point addition per key and a single field inversion in all.
func TweakPubKeys(perCommitmentPoint *btcec.PublicKey, basepoints ...*btcec.PublicKey) ([]*btcec.PublicKey, error) {
	pts := make([]btcec.JacobianPoint, len(basepoints))
	for i, bp := range basepoints {
		if bp == nil || perCommitmentPoint == nil {
			return nil, fmt.Errorf("tweak key %d: %w", i, ErrNilKey)
		}
		TweakPoint(bp, perCommitmentPoint, &pts[i])
	}
	return ToPublicKeys(pts)
}
