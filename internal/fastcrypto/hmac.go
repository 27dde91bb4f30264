package fastcrypto

import (
	"crypto/sha256"
	"crypto/subtle"
)

// shortMessage is the longest message HMACKey.Sum hashes from a stack
// buffer with sha256.Sum256; longer ones are streamed through a SHA-256
// state. Every BOLT 8 HKDF step and BOLT 4 key generation is far below it.
const shortMessage = 128

// HMACKey is an HMAC-SHA256 key prepared for use: its inner and outer
// padded blocks. Prepare it once with Init and call Sum for each message.
// After Init it is only read, so it may be used from several goroutines at
// once. The zero value is the empty key.
type HMACKey struct {
	ipad, opad [sha256.BlockSize]byte
}

// Init prepares key. A key longer than SHA-256's 64-byte block is hashed
// first, as RFC 2104 requires.
func (k *HMACKey) Init(key []byte) {
	var short [sha256.Size]byte
	if len(key) > sha256.BlockSize {
		short = sha256.Sum256(key)
		key = short[:]
	}
	var padded [sha256.BlockSize]byte
	copy(padded[:], key)
	subtle.XORBytes(k.ipad[:], padded[:], ipadBytes[:])
	subtle.XORBytes(k.opad[:], padded[:], opadBytes[:])
}

// ipadBytes and opadBytes are RFC 2104's ipad and opad blocks.
var ipadBytes, opadBytes = func() (i, o [sha256.BlockSize]byte) {
	for n := range i {
		i[n], o[n] = 0x36, 0x5c
	}
	return i, o
}()

// Sum sets out = HMAC-SHA256(key, a || b). Messages of up to 128 bytes
// are hashed from one stack buffer; longer ones through a SHA-256 state
// that does not escape. Neither allocates.
func (k *HMACKey) Sum(out *[32]byte, a, b []byte) {
	var inner [sha256.Size]byte
	if n := len(a) + len(b); n <= shortMessage {
		var buf [sha256.BlockSize + shortMessage]byte
		copy(buf[:], k.ipad[:])
		copy(buf[sha256.BlockSize:], a)
		copy(buf[sha256.BlockSize+len(a):], b)
		inner = sha256.Sum256(buf[:sha256.BlockSize+n])
	} else {
		h := sha256.New()
		h.Write(k.ipad[:])
		h.Write(a)
		h.Write(b)
		h.Sum(inner[:0])
	}
	k.Finish(out, &inner)
}

// InnerPad returns the inner padded key block, (key ^ ipad), to be written
// first to a SHA-256 state (sha256.New) that the caller keeps: write the
// message after it, take the sum and pass it to Finish, and the result is
// HMAC-SHA256(key, message). This is for callers that save or copy the
// inner state, such as one that computes the HMACs of several messages
// sharing a prefix. The block must not be modified.
func (k *HMACKey) InnerPad() []byte { return k.ipad[:] }

// Finish sets out to the outer hash SHA256((key ^ opad) || inner), given
// the inner hash SHA256((key ^ ipad) || message). out may be inner.
func (k *HMACKey) Finish(out, inner *[32]byte) {
	var buf [sha256.BlockSize + sha256.Size]byte
	copy(buf[:], k.opad[:])
	copy(buf[sha256.BlockSize:], inner[:])
	*out = sha256.Sum256(buf[:])
}

// HMACSHA256 sets out = HMAC-SHA256(key, a || b) without allocating. a or b
// may be nil.
func HMACSHA256(out *[32]byte, key, a, b []byte) {
	var k HMACKey
	k.Init(key)
	k.Sum(out, a, b)
}
