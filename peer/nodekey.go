package peer

import (
	"crypto/sha256"
	"errors"

	"github.com/btcsuite/btcd/btcec/v2"
)

// ECDHKey is the node's static private key as the transport needs it: one
// operation, BOLT 8's ECDH. An HSM or remote signer can implement it and
// keep the key to itself.
//
// ECDH must return SHA-256 of the compressed encoding of k·pub, where k is
// the node's private key (BOLT 8, "Handshake State": ECDH(k, rk)).
type ECDHKey interface {
	ECDH(pub *btcec.PublicKey) ([32]byte, error)
}

// PrivateKey is the default ECDHKey: a private key held in memory.
type PrivateKey struct {
	key *btcec.PrivateKey
	pub *btcec.PublicKey
}

// NewPrivateKey wraps priv as an ECDHKey.
func NewPrivateKey(priv *btcec.PrivateKey) *PrivateKey {
	return &PrivateKey{key: priv, pub: priv.PubKey()}
}

// ECDH implements ECDHKey.
func (k *PrivateKey) ECDH(pub *btcec.PublicKey) ([32]byte, error) {
	if pub == nil {
		return [32]byte{}, errNilPubKey
	}
	return ecdh(&k.key.Key, pub), nil
}

// PubKey returns the public key. The handshake uses it when
// HandshakeConfig.NodePubKey is nil.
func (k *PrivateKey) PubKey() *btcec.PublicKey { return k.pub }

var errNilPubKey = errors.New("peer: nil public key")

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
