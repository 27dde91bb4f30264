package revocation

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// DerivePubKey returns revocationpubkey for one commitment (BOLT 3,
// "revocationpubkey Derivation"):
//
//	revocation_basepoint · SHA256(revocation_basepoint || per_commitment_point)
//	+ per_commitment_point · SHA256(per_commitment_point || revocation_basepoint)
//
// Both points are hashed in their 33-byte compressed form and the hashes are
// reduced mod n. The two products are computed together as one
// TwoTermMultiply. It is DerivePoint followed by the conversion to affine
// coordinates.
func DerivePubKey(revocationBasepoint, perCommitmentPoint *btcec.PublicKey) (*btcec.PublicKey, error) {
	var sum btcec.JacobianPoint
	if err := DerivePoint(revocationBasepoint, perCommitmentPoint, &sum); err != nil {
		return nil, err
	}
	sum.ToAffine()
	return btcec.NewPublicKey(&sum.X, &sum.Y), nil
}

// DerivePoint computes revocationpubkey as DerivePubKey does but leaves it
// in Jacobian coordinates in result, so that a caller deriving several keys
// of one commitment (channel.DeriveCommitmentKeys) can bring them all to
// affine form with one field inversion (script.ToPublicKeys). It fails with
// ErrInvalidKey if the result is the point at infinity. Both keys must be
// non-nil.
func DerivePoint(revocationBasepoint, perCommitmentPoint *btcec.PublicKey, result *btcec.JacobianPoint) error {
	var rb, pcp [33]byte
	fastcrypto.CompressPubKey(&rb, revocationBasepoint)
	fastcrypto.CompressPubKey(&pcp, perCommitmentPoint)
	h1, h2 := revocationTweaks(rb[:], pcp[:])

	var p, q btcec.JacobianPoint
	revocationBasepoint.AsJacobian(&p)
	perCommitmentPoint.AsJacobian(&q)
	TwoTermMultiply(&h1, &p, &h2, &q, result)
	if fastcrypto.IsInfinity(result) {
		return fmt.Errorf("%w: revocationpubkey is the point at infinity", ErrInvalidKey)
	}
	return nil
}

// DerivePrivKey returns revocationprivkey, the secret of DerivePubKey's key,
// which the counterparty learns once the commitment is revoked (BOLT 3,
// "revocationprivkey Derivation"):
//
//	revocation_basepoint_secret · SHA256(revocation_basepoint || per_commitment_point)
//	+ per_commitment_secret · SHA256(per_commitment_point || revocation_basepoint)  (mod n)
//
// The points in the hashes are computed from the two secrets.
func DerivePrivKey(revocationBasepointSecret, perCommitmentSecret *btcec.PrivateKey) (*btcec.PrivateKey, error) {
	var rb, pcp [33]byte
	fastcrypto.CompressPubKey(&rb, revocationBasepointSecret.PubKey())
	fastcrypto.CompressPubKey(&pcp, perCommitmentSecret.PubKey())
	h1, h2 := revocationTweaks(rb[:], pcp[:])

	var k, t btcec.ModNScalar
	k.Mul2(&revocationBasepointSecret.Key, &h1)
	t.Mul2(&perCommitmentSecret.Key, &h2)
	k.Add(&t)
	if k.IsZero() {
		return nil, fmt.Errorf("%w: revocationprivkey is zero", ErrInvalidKey)
	}
	return btcec.PrivKeyFromScalar(&k), nil
}

// revocationTweaks returns SHA256(rb || pcp) and SHA256(pcp || rb) as scalars
// mod n, given both points in compressed form.
func revocationTweaks(rb, pcp []byte) (h1, h2 btcec.ModNScalar) {
	return fastcrypto.HashToScalar(rb, pcp), fastcrypto.HashToScalar(pcp, rb)
}
