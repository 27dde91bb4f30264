package peer

import (
	"crypto/sha256"

	"github.com/btcsuite/btcd/btcec/v2"
)

// The node's static key is a wire.NodeKey (HandshakeConfig.NodeKey): the
// same interface package onion takes, so one HSM or remote signer serves
// both, and wire.NewPrivateNodeKey is the in-memory default. The handshake
// uses it for the two ECDHs with the static key (se and, at the
// responder, es) and for the public key it sends (act three) or expects
// (act one). The helpers below are the handshake's own curve operations,
// with its ephemeral keys.

// ecdh computes BOLT 8's ECDH(k, pub) = SHA-256(compressed(k·pub)).
func ecdh(k *btcec.ModNScalar, pub *btcec.PublicKey) [32]byte {
	var p, r btcec.JacobianPoint
	pub.AsJacobian(&p)
	btcec.ScalarMultNonConst(k, &p, &r)
	r.ToAffine()
	return hashPoint(&r)
}

// hashPoint returns SHA-256 of the compressed encoding of the affine point
// p: the output of BOLT 8's ECDH once p = k·pub.
func hashPoint(p *btcec.JacobianPoint) [32]byte {
	var buf [33]byte
	compress(&buf, p)
	return sha256.Sum256(buf[:])
}

// serializePub writes the compressed encoding of pub (as
// pub.SerializeCompressed, without allocating).
func serializePub(dst *[33]byte, pub *btcec.PublicKey) {
	var p btcec.JacobianPoint
	pub.AsJacobian(&p) // affine already: Z = 1
	compress(dst, &p)
}

// compress writes the compressed encoding of the affine point p.
func compress(dst *[33]byte, p *btcec.JacobianPoint) {
	dst[0] = 0x02
	if p.Y.IsOdd() {
		dst[0] = 0x03
	}
	p.X.PutBytesUnchecked(dst[1:])
}
