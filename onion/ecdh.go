package onion

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
)

// sharedSecret returns SHA256(compressed(k·pub)).
func sharedSecret(k *btcec.ModNScalar, pub *btcec.PublicKey) [32]byte {
	var pt, res btcec.JacobianPoint
	pub.AsJacobian(&pt)
	btcec.ScalarMultNonConst(k, &pt, &res)
	res.ToAffine()
	return fastcrypto.HashPoint(&res)
}

// blindingFactor returns SHA256(compressed(E) || ss) as a scalar (BOLT 4
// "Blinding Ephemeral Keys").
func blindingFactor(ephemeral *[33]byte, ss *[32]byte) btcec.ModNScalar {
	return fastcrypto.HashToScalar(ephemeral[:], ss[:])
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
