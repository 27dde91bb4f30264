package script

import (
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// TweakPoint computes basepoint + SHA256(per_commitment_point ||
// basepoint)·G like TweakPubKey, but leaves the result in Jacobian
// coordinates so that several results can share one field inversion in
// ToPublicKeys. It is the one implementation of the BOLT 3 single tweak:
// TweakPubKey, TweakPubKeys and channel.DeriveCommitmentKeys all call it.
func TweakPoint(basepoint, perCommitmentPoint *btcec.PublicKey, result *btcec.JacobianPoint) {
	k := singleTweakScalar(perCommitmentPoint, basepoint)
	var tG, bp btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&k, &tG)
	basepoint.AsJacobian(&bp)
	btcec.AddNonConst(&bp, &tG, result)
}

// stackPoints is how many points ToPublicKeys converts without allocating
// working space; a commitment derives at most four keys at once.
const stackPoints = 8

// ToPublicKeys converts Jacobian points to public keys with a single field
// inversion for all of them (Montgomery's trick, in
// internal/fastcrypto.BatchToAffine: one inversion and three
// multiplications per point instead of one inversion per point). It fails
// with ErrInfinity if any point is the point at infinity. pts is not
// modified.
func ToPublicKeys(pts []btcec.JacobianPoint) ([]*btcec.PublicKey, error) {
	n := len(pts)
	if n == 0 {
		return nil, nil
	}
	if n > stackPoints {
		work := slices.Clone(pts)
		ptrs := make([]*btcec.JacobianPoint, n)
		for i := range work {
			ptrs[i] = &work[i]
		}
		return affineKeys(ptrs, nil)
	}
	// The same with the working copies on the stack: fixed arrays, so that
	// storing the pointers does not move them to the heap.
	var work [stackPoints]btcec.JacobianPoint
	var ptrs [stackPoints]*btcec.JacobianPoint
	var scratch [stackPoints]btcec.FieldVal
	copy(work[:], pts)
	for i := range n {
		ptrs[i] = &work[i]
	}
	return affineKeys(ptrs[:n], scratch[:])
}

// affineKeys converts the points to affine form in place with one
// inversion and returns them as public keys.
func affineKeys(ptrs []*btcec.JacobianPoint, scratch []btcec.FieldVal) ([]*btcec.PublicKey, error) {
	if i := fastcrypto.BatchToAffine(ptrs, scratch); i >= 0 {
		return nil, fmt.Errorf("point %d: %w", i, ErrInfinity)
	}
	out := make([]*btcec.PublicKey, len(ptrs))
	for i, p := range ptrs {
		out[i] = btcec.NewPublicKey(&p.X, &p.Y)
	}
	return out, nil
}

// TweakPubKeys derives several keys of one commitment at once, for example
// localpubkey, local_htlcpubkey, remote_htlcpubkey and
// local_delayedpubkey: out[i] = TweakPubKey(basepoints[i],
// perCommitmentPoint). It costs one base-point multiplication and one
// point addition per key and a single field inversion in all.
func TweakPubKeys(perCommitmentPoint *btcec.PublicKey, basepoints ...*btcec.PublicKey) ([]*btcec.PublicKey, error) {
	var buf [stackPoints]btcec.JacobianPoint
	pts := buf[:]
	if len(basepoints) > stackPoints {
		pts = make([]btcec.JacobianPoint, len(basepoints))
	}
	pts = pts[:len(basepoints)]
	for i, bp := range basepoints {
		if bp == nil || perCommitmentPoint == nil {
			return nil, fmt.Errorf("tweak key %d: %w", i, ErrNilKey)
		}
		TweakPoint(bp, perCommitmentPoint, &pts[i])
	}
	return ToPublicKeys(pts)
}
