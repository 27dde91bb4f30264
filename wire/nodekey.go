package wire

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// NodeKey is a node's static key as the protocols use it: its public key
// (the node id) and one Diffie-Hellman operation with the private key. It
// is the one key interface of lnkit: BOLT 8's transport (package peer)
// and BOLT 4's onion processing (package onion) both take it, so an HSM
// or remote signer that implements it serves both without revealing the
// key. PrivateNodeKey is the in-memory implementation.
//
// Implementations must be safe for concurrent use: a node peels onions
// and runs handshakes at the same time.
type NodeKey interface {
	// PubKey returns the node's public key. It must not change over
	// the key's life.
	PubKey() *btcec.PublicKey
	// ECDH returns SHA256 of the compressed encoding of k·pub, where k
	// is the node's private key: ECDH(k, pub) of BOLT 8 "Handshake
	// State" and the shared secret of BOLT 4 "Shared Secret". pub is a
	// point on the curve.
	ECDH(pub *btcec.PublicKey) ([32]byte, error)
}

// ErrInvalidNodeKey means a PrivateNodeKey was made from a nil or zero
// private key; such a key has no public key and performs no ECDH.
var ErrInvalidNodeKey = errors.New("wire: node key is not a valid private key")

// PrivateNodeKey is the in-memory NodeKey: a private key held in the
// process. It is safe for concurrent use. Package onion recognises it and
// then shares one precomputed table of the packet's ephemeral key between
// its ECDH and the blinding of the next ephemeral key, which an opaque
// NodeKey cannot do.
//
// Its ECDH multiplies in variable time (btcec's ScalarMultNonConst, as
// lnd's in-memory key does too): the time taken depends on the private
// key, so a node exposed to precise remote timing of many ECDHs leaks
// information about it. Keep the key in an HSM behind NodeKey where that
// matters.
type PrivateNodeKey struct {
	key btcec.ModNScalar
	pub *btcec.PublicKey // nil for an invalid key
}

// NewPrivateNodeKey returns an in-memory NodeKey holding a copy of priv's
// scalar: later changes to priv do not affect it. A nil or zero priv gives
// a key whose PubKey is nil and whose ECDH fails with ErrInvalidNodeKey.
func NewPrivateNodeKey(priv *btcec.PrivateKey) *PrivateNodeKey {
	k := &PrivateNodeKey{}
	if priv == nil || priv.Key.IsZero() {
		return k
	}
	k.key = priv.Key
	k.pub = priv.PubKey()
	return k
}

// PubKey implements NodeKey. It is nil for a key made from a nil or zero
// private key.
func (k *PrivateNodeKey) PubKey() *btcec.PublicKey { return k.pub }

// PrivKey returns a copy of the private key (nil for an invalid key). It
// is what lets package onion take its fast path; whoever holds a
// PrivateNodeKey holds the key anyway.
func (k *PrivateNodeKey) PrivKey() *btcec.PrivateKey {
	if k.pub == nil {
		return nil
	}
	return btcec.PrivKeyFromScalar(&k.key)
}

// ECDH implements NodeKey. A nil pub or one off the curve is refused with
// ErrInvalidPoint.
func (k *PrivateNodeKey) ECDH(pub *btcec.PublicKey) ([32]byte, error) {
	if k.pub == nil {
		return [32]byte{}, ErrInvalidNodeKey
	}
	if pub == nil || !pub.IsOnCurve() {
		return [32]byte{}, fmt.Errorf("%w: ECDH with a public key off the curve", ErrInvalidPoint)
	}
	var p, r btcec.JacobianPoint
	pub.AsJacobian(&p)
	btcec.ScalarMultNonConst(&k.key, &p, &r)
	r.ToAffine()
	return fastcrypto.HashPoint(&r), nil
}
