package script

import (
	"crypto/sha256"

	"github.com/btcsuite/btcd/btcec/v2"
)

// SingleTweak returns SHA256(per_commitment_point || basepoint), the tweak
// BOLT 3 ("localpubkey, ... Derivation") adds to a basepoint.
func SingleTweak(perCommitmentPoint, basepoint *btcec.PublicKey) [32]byte {
	var buf [66]byte
	copy(buf[:33], perCommitmentPoint.SerializeCompressed())
	copy(buf[33:], basepoint.SerializeCompressed())
	return sha256.Sum256(buf[:])
}

// TweakPubKey derives localpubkey, local_htlcpubkey, remote_htlcpubkey,
// local_delayedpubkey or remote_delayedpubkey from the matching basepoint:
//
//	pubkey = basepoint + SHA256(per_commitment_point || basepoint)·G
//
// It costs one base-point multiplication and one point addition, plus the
// field inversion that turns the sum into affine coordinates; TweakPubKeys
// shares that inversion among several keys of one commitment. Both
// arguments must be non-nil. (The
// result is the point at infinity only if the tweak is the discrete log of
// -basepoint, which nobody can arrange; such a result would not be a valid
// key and is not checked for.)
func TweakPubKey(basepoint, perCommitmentPoint *btcec.PublicKey) *btcec.PublicKey {
	tweak := SingleTweak(perCommitmentPoint, basepoint)
	var k btcec.ModNScalar
	k.SetBytes(&tweak)
	var tG, bp, sum btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(&k, &tG)
	basepoint.AsJacobian(&bp)
	btcec.AddNonConst(&bp, &tG, &sum)
	sum.ToAffine()
	return btcec.NewPublicKey(&sum.X, &sum.Y)
}

// TweakPrivKey derives the private key matching TweakPubKey:
//
//	secret = basepoint_secret + SHA256(per_commitment_point || basepoint)
//
// basepoint is baseSecret's public key; pass nil to have it computed (one
// extra base-point multiplication).
func TweakPrivKey(baseSecret *btcec.PrivateKey, basepoint, perCommitmentPoint *btcec.PublicKey) *btcec.PrivateKey {
	if basepoint == nil {
		basepoint = baseSecret.PubKey()
	}
	tweak := SingleTweak(perCommitmentPoint, basepoint)
	var k btcec.ModNScalar
	k.SetBytes(&tweak)
	k.Add(&baseSecret.Key)
	return btcec.PrivKeyFromScalar(&k)
}
