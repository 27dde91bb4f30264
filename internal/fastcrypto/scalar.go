package fastcrypto

import (
	"crypto/sha256"

	"github.com/btcsuite/btcd/btcec/v2"
)

// hashBuffer is the longest a || b that Hash2 hashes from a stack buffer;
// every tweak of BOLT 3 (two compressed points, 66 bytes) and BOLT 4 (a
// point and a secret, 65 bytes) fits.
const hashBuffer = 128

// Hash2 returns SHA256(a || b) without allocating.
func Hash2(a, b []byte) [32]byte {
	if len(a)+len(b) > hashBuffer {
		h := sha256.New()
		h.Write(a)
		h.Write(b)
		var out [32]byte
		h.Sum(out[:0])
		return out
	}
	var buf [hashBuffer]byte
	copy(buf[:], a)
	copy(buf[len(a):], b)
	return sha256.Sum256(buf[:len(a)+len(b)])
}

// HashToScalar returns SHA256(a || b) as a scalar mod n: the tweaks of BOLT
// 3 key derivation (SHA256(per_commitment_point || basepoint), and both
// hashes of revocationpubkey) and BOLT 4's blinding factor
// (SHA256(E || ss)).
func HashToScalar(a, b []byte) btcec.ModNScalar {
	h := Hash2(a, b)
	return ScalarFromHash(&h)
}

// ScalarFromHash interprets a 32-byte hash as a big-endian integer reduced
// mod n.
func ScalarFromHash(h *[32]byte) btcec.ModNScalar {
	var s btcec.ModNScalar
	s.SetBytes(h)
	return s
}
