package onion

import (
	"crypto/subtle"

	"github.com/lnkit/lnkit/internal/fastcrypto"
	"golang.org/x/crypto/chacha20"
)

// Key types of BOLT 4 "Key Generation" and "Returning Errors". Each is used
// as the HMAC key, with the 32-byte shared secret as the message.
var (
	keyTypeRho   = []byte("rho")
	keyTypeMu    = []byte("mu")
	keyTypeUm    = []byte("um")
	keyTypePad   = []byte("pad")
	keyTypeAmmag = []byte("ammag")
)

// generateKey derives a 32-byte key of the given type from a secret (BOLT 4
// "Key Generation").
func generateKey(keyType []byte, secret *[32]byte) [32]byte {
	var out [32]byte
	fastcrypto.HMACSHA256(&out, keyType, secret[:], nil)
	return out
}

// hmacEqual compares two MACs in constant time, as BOLT 4 "Packet
// Forwarding" requires.
func hmacEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

var zeroNonce [chacha20.NonceSize]byte

// xorKeyStream XORs src with the ChaCha20 stream of key (all-zero nonce,
// counter 0) into dst, skipping the first offset bytes of the stream. dst
// and src may be the same slice.
func xorKeyStream(key *[32]byte, dst, src []byte, offset int) {
	c, err := chacha20.NewUnauthenticatedCipher(key[:], zeroNonce[:])
	if err != nil {
		panic("onion: chacha20: " + err.Error()) // sizes are constant
	}
	if offset > 0 {
		// Seek to the block, then discard the remainder within it.
		c.SetCounter(uint32(offset / 64))
		if r := offset % 64; r > 0 {
			var skip [64]byte
			c.XORKeyStream(skip[:r], skip[:r])
		}
	}
	c.XORKeyStream(dst, src)
}

// keyStream fills dst with the ChaCha20 stream of key.
func keyStream(key *[32]byte, dst []byte) {
	clear(dst)
	xorKeyStream(key, dst, dst, 0)
}

// xorBytes sets dst[i] = a[i] ^ b[i] for the length of dst.
func xorBytes(dst, a, b []byte) {
	subtle.XORBytes(dst, a, b)
}
