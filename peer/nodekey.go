package peer

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
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
	return fastcrypto.HashPoint(&r)
}
