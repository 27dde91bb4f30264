package peer

import (
	"crypto/cipher"
	"encoding/binary"

	"github.com/lnkit/lnkit/internal/fastcrypto"
	"golang.org/x/crypto/chacha20poly1305"
)

// keyRotationInterval is the nonce value at which BOLT 8 rotates a key:
// after 1000 uses of a key (500 messages, each a length and a body).
const keyRotationInterval = 1000

// macSize is the Poly1305 tag size.
const macSize = chacha20poly1305.Overhead

// hkdf2 is BOLT 8's HKDF: RFC 5869 with SHA-256, salt ck, input ikm, an
// empty info and 64 bytes of output, split in two 32-byte halves. ikm is
// empty or 32 bytes.
//
// The HMACs are internal/fastcrypto's, which hash these short messages from
// stack buffers and so never allocate, unlike crypto/hmac.
func hkdf2(ck *[32]byte, ikm []byte) (a, b [32]byte) {
	var prk [32]byte
	fastcrypto.HMACSHA256(&prk, ck[:], ikm, nil) // extract
	fastcrypto.HMACSHA256(&a, prk[:], []byte{1}, nil)
	fastcrypto.HMACSHA256(&b, prk[:], a[:], []byte{2}) // T(2) = HMAC(prk, T(1) || 0x02)
	return a, b
}

// putNonce writes BOLT 8's 96-bit nonce: 32 zero bits, then n as a 64-bit
// little-endian integer.
func putNonce(dst *[12]byte, n uint64) {
	binary.LittleEndian.PutUint32(dst[:4], 0)
	binary.LittleEndian.PutUint64(dst[4:], n)
}

// newAEAD returns ChaCha20-Poly1305 keyed with k. The key is always 32
// bytes, so it cannot fail.
func newAEAD(k *[32]byte) cipher.AEAD {
	a, err := chacha20poly1305.New(k[:])
	if err != nil {
		panic("peer: chacha20poly1305 with a 32-byte key: " + err.Error())
	}
	return a
}

// cipherState is one direction of an established session: a key, its
// nonce and the chaining key used to rotate it (BOLT 8, "Lightning Message
// Key Rotation"). Each direction rotates on its own.
type cipherState struct {
	aead  cipher.AEAD
	key   [32]byte
	ck    [32]byte
	n     uint64
	nonce [12]byte
	// rotations counts key rotations (for tests and logs).
	rotations uint64
}

func (c *cipherState) init(key, ck [32]byte) {
	c.key, c.ck, c.n = key, ck, 0
	c.aead = newAEAD(&c.key)
}

// advance increments the nonce and rotates the key once it reaches 1000:
// ck', k' = HKDF(ck, k), n = 0.
func (c *cipherState) advance() {
	c.n++
	if c.n == keyRotationInterval {
		c.ck, c.key = hkdf2(&c.ck, c.key[:])
		c.n = 0
		c.aead = newAEAD(&c.key)
		c.rotations++
	}
}

// seal encrypts plaintext, appending to dst (which may be plaintext[:0] to
// work in place), and advances the nonce.
func (c *cipherState) seal(dst, plaintext []byte) []byte {
	putNonce(&c.nonce, c.n)
	out := c.aead.Seal(dst, c.nonce[:], plaintext, nil)
	c.advance()
	return out
}

// open decrypts and authenticates ciphertext, appending to dst (which may
// be ciphertext[:0]), and advances the nonce. The nonce advances even on
// failure; a failure ends the session anyway.
func (c *cipherState) open(dst, ciphertext []byte) ([]byte, error) {
	putNonce(&c.nonce, c.n)
	out, err := c.aead.Open(dst, c.nonce[:], ciphertext, nil)
	c.advance()
	return out, err
}
