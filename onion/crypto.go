package onion

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"

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
	hmacSHA256Into(&out, keyType, secret[:], nil)
	return out
}

// hmacSHA256Into computes HMAC-SHA256(key, a || b) into out. The key is at
// most 64 bytes in every use here, so the ipad/opad blocks live on the stack
// and the computation does not allocate beyond the hash state.
func hmacSHA256Into(out *[32]byte, key, a, b []byte) {
	if len(key) > sha256.BlockSize {
		k := sha256.Sum256(key)
		key = k[:]
	}
	var pad [sha256.BlockSize]byte
	copy(pad[:], key)
	for i := range pad {
		pad[i] ^= 0x36
	}
	h := sha256.New()
	h.Write(pad[:])
	h.Write(a)
	h.Write(b)
	var inner [32]byte
	h.Sum(inner[:0])
	for i := range pad {
		pad[i] ^= 0x36 ^ 0x5c
	}
	h.Reset()
	h.Write(pad[:])
	h.Write(inner[:])
	h.Sum(out[:0])
}

// hmacEqual compares two MACs in constant time, as BOLT 4 "Packet
// Forwarding" requires.
func hmacEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// hmacSHA256 is the stdlib construction, used where speed does not matter.
func hmacSHA256(key, msg []byte) [32]byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	var out [32]byte
	m.Sum(out[:0])
	return out
}

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
