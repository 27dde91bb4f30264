package onion

import (
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
)

// sharedSecret returns SHA256(compressed(k·pub)).
func sharedSecret(k *btcec.ModNScalar, pub *btcec.PublicKey) [32]byte {
	var pt, res btcec.JacobianPoint
	pub.AsJacobian(&pt)
	btcec.ScalarMultNonConst(k, &pt, &res)
	var c [33]byte
	compressInto(&res, &c)
	return sha256.Sum256(c[:])
}

// blindingFactor returns SHA256(compressed(E) || ss) as a scalar (BOLT 4
// "Blinding Ephemeral Keys").
func blindingFactor(ephemeral *[33]byte, ss *[32]byte) btcec.ModNScalar {
	var buf [65]byte
	copy(buf[:33], ephemeral[:])
	copy(buf[33:], ss[:])
	h := sha256.Sum256(buf[:])
	var b btcec.ModNScalar
	b.SetBytes(&h)
	return b
}

// scalarFromHash interprets a 32-byte hash as a scalar mod n.
func scalarFromHash(h *[32]byte) btcec.ModNScalar {
	var s btcec.ModNScalar
	s.SetBytes(h)
	return s
}

// parseScalar reads a private key scalar, rejecting zero and values not
// below the group order.
func parseScalar(b []byte) (btcec.ModNScalar, error) {
	var s btcec.ModNScalar
	if len(b) != 32 {
		return s, fmt.Errorf("%w: %d bytes", ErrInvalidSessionKey, len(b))
	}
	if overflow := s.SetByteSlice(b); overflow || s.IsZero() {
		return s, ErrInvalidSessionKey
	}
	return s, nil
}

// mulPoint returns k·P for a parsed public key, compressed.
func mulPoint(k *btcec.ModNScalar, pub *btcec.PublicKey) [33]byte {
	var pt, res btcec.JacobianPoint
	pub.AsJacobian(&pt)
	btcec.ScalarMultNonConst(k, &pt, &res)
	var c [33]byte
	compressInto(&res, &c)
	return c
}

// baseMul returns k·G compressed.
func baseMul(k *btcec.ModNScalar) [33]byte {
	var res btcec.JacobianPoint
	btcec.ScalarBaseMultNonConst(k, &res)
	var c [33]byte
	compressInto(&res, &c)
	return c
}
