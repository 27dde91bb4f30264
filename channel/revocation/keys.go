package revocation

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
)

// DerivePubKey returns revocationpubkey for one commitment (BOLT 3,
// "revocationpubkey Derivation"):
//
//	revocation_basepoint · SHA256(revocation_basepoint || per_commitment_point)
//	+ per_commitment_point · SHA256(per_commitment_point || revocation_basepoint)
//
// Both points are hashed in their 33-byte compressed form and the hashes are
// reduced mod n. The two products are computed together as one
// TwoTermMultiply.
func DerivePubKey(revocationBasepoint, perCommitmentPoint *btcec.PublicKey) (*btcec.PublicKey, error) {
	rb := revocationBasepoint.SerializeCompressed()
	pcp := perCommitmentPoint.SerializeCompressed()
	h1, h2 := revocationTweaks(rb, pcp)

	var p, q, sum btcec.JacobianPoint
	revocationBasepoint.AsJacobian(&p)
	perCommitmentPoint.AsJacobian(&q)
	TwoTermMultiply(&h1, &p, &h2, &q, &sum)
	if (sum.X.IsZero() && sum.Y.IsZero()) || sum.Z.IsZero() {
		return nil, fmt.Errorf("%w: revocationpubkey is the point at infinity", ErrInvalidKey)
	}
	sum.ToAffine()
	return btcec.NewPublicKey(&sum.X, &sum.Y), nil
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
	rb := revocationBasepointSecret.PubKey().SerializeCompressed()
	pcp := perCommitmentSecret.PubKey().SerializeCompressed()
	h1, h2 := revocationTweaks(rb, pcp)

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
	var buf [66]byte
	copy(buf[:33], rb)
	copy(buf[33:], pcp)
	d1 := sha256.Sum256(buf[:])
	copy(buf[:33], pcp)
	copy(buf[33:], rb)
	d2 := sha256.Sum256(buf[:])
	h1.SetBytes(&d1)
	h2.SetBytes(&d2)
	return h1, h2
}
