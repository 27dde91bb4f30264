package script

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// SingleTweak returns SHA256(per_commitment_point || basepoint), the tweak
// BOLT 3 ("localpubkey, ... Derivation") adds to a basepoint.
func SingleTweak(perCommitmentPoint, basepoint *btcec.PublicKey) [32]byte {
	var pcp, bp [33]byte
	fastcrypto.CompressPubKey(&pcp, perCommitmentPoint)
	fastcrypto.CompressPubKey(&bp, basepoint)
	return fastcrypto.Hash2(pcp[:], bp[:])
}

// singleTweakScalar is SingleTweak reduced mod n, the scalar that
// multiplies G.
func singleTweakScalar(perCommitmentPoint, basepoint *btcec.PublicKey) btcec.ModNScalar {
	t := SingleTweak(perCommitmentPoint, basepoint)
	return fastcrypto.ScalarFromHash(&t)
}

// TweakPubKey derives localpubkey, local_htlcpubkey, remote_htlcpubkey,
// local_delayedpubkey or remote_delayedpubkey from the matching basepoint:
//
//	pubkey = basepoint + SHA256(per_commitment_point || basepoint)·G
//
// It is TweakPoint (one base-point multiplication and one point addition)
// followed by the field inversion that turns the sum into affine
// coordinates; TweakPubKeys shares that inversion among several keys of
// one commitment. Both arguments must be non-nil. (The result is the point
// at infinity only if the tweak is the discrete log of -basepoint, which
// nobody can arrange; such a result would not be a valid key and is not
// checked for.)
func TweakPubKey(basepoint, perCommitmentPoint *btcec.PublicKey) *btcec.PublicKey {
	var sum btcec.JacobianPoint
	TweakPoint(basepoint, perCommitmentPoint, &sum)
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
	k := singleTweakScalar(perCommitmentPoint, basepoint)
	k.Add(&baseSecret.Key)
	return btcec.PrivKeyFromScalar(&k)
}
