package channel

import (
	"crypto/sha256"

	"github.com/btcsuite/btcd/btcec/v2"
)

// nonceRFC6979 returns the nonce btcec.NonceRFC6979(privKey, hash, nil,
// nil, extraIterations) returns, without allocating: the RFC 6979
// HMAC-SHA256 generator keyed with the 32-byte private key followed by the
// 32-byte hash as given (btcec, like decred's secp256k1, does not reduce
// the hash mod n first; the signatures must match btcec's), skipping
// extraIterations valid candidates.
func nonceRFC6979(privKey, hash *[32]byte, extraIterations uint32) btcec.ModNScalar {
	// Step B and C: V = 0x01...01, K = 0x00...00.
	var k, v [32]byte
	for i := range v {
		v[i] = 0x01
	}
	// Step D to G:
	//   K = HMAC_K(V || 0x00 || x || h), V = HMAC_K(V),
	//   K = HMAC_K(V || 0x01 || x || h), V = HMAC_K(V).
	var msg [32 + 1 + 64]byte
	copy(msg[33:65], privKey[:])
	copy(msg[65:], hash[:])
	for _, sep := range []byte{0x00, 0x01} {
		copy(msg[:32], v[:])
		msg[32] = sep
		k = hmacSHA256(&k, msg[:])
		v = hmacSHA256(&k, v[:])
	}
	// Step H: V = HMAC_K(V) until V is a valid scalar; otherwise
	// K = HMAC_K(V || 0x00), V = HMAC_K(V).
	var generated uint32
	for {
		v = hmacSHA256(&k, v[:])
		var secret btcec.ModNScalar
		if overflow := secret.SetBytes(&v); overflow == 0 && !secret.IsZero() {
			generated++
			if generated > extraIterations {
				clear(k[:])
				clear(v[:])
				clear(msg[:])
				return secret
			}
		}
		copy(msg[:32], v[:])
		msg[32] = 0x00
		k = hmacSHA256(&k, msg[:33])
		v = hmacSHA256(&k, v[:])
	}
}

// hmacSHA256 returns HMAC-SHA256 of msg (at most 97 bytes) under the
// 32-byte key, computed on the stack.
func hmacSHA256(key *[32]byte, msg []byte) [32]byte {
	var inner [sha256.BlockSize + 97]byte
	var outer [sha256.BlockSize + sha256.Size]byte
	for i := 0; i < sha256.BlockSize; i++ {
		var b byte
		if i < len(key) {
			b = key[i]
		}
		inner[i] = b ^ 0x36
		outer[i] = b ^ 0x5c
	}
	n := copy(inner[sha256.BlockSize:], msg)
	ih := sha256.Sum256(inner[:sha256.BlockSize+n])
	copy(outer[sha256.BlockSize:], ih[:])
	out := sha256.Sum256(outer[:])
	clear(inner[:])
	clear(outer[:])
	return out
}
