package htlc

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
)

// PaymentHash is the SHA256 of a payment preimage; an HTLC pays out against
// the preimage that hashes to it.
type PaymentHash [32]byte

// Preimage is a 32-byte payment preimage. Its String method does not reveal
// it.
type Preimage [32]byte

// PreimageSize is the length of a Preimage and of a PaymentHash.
const PreimageSize = 32

// Hash returns SHA256(p), the payment hash the preimage unlocks.
func (p Preimage) Hash() PaymentHash { return sha256.Sum256(p[:]) }

// Matches reports whether p is the preimage of h. The comparison of the
// hashes runs in constant time.
func (p Preimage) Matches(h PaymentHash) bool {
	got := p.Hash()
	return subtle.ConstantTimeCompare(got[:], h[:]) == 1
}

// Equal reports whether two preimages are equal, in constant time.
func (p Preimage) Equal(o Preimage) bool { return subtle.ConstantTimeCompare(p[:], o[:]) == 1 }

// String implements fmt.Stringer without printing the preimage.
func (p Preimage) String() string { return "htlc.Preimage(redacted)" }

// Hex returns the preimage in hex; use it only where it is meant to be
// revealed.
func (p Preimage) Hex() string { return hex.EncodeToString(p[:]) }

// String returns the payment hash in hex.
func (h PaymentHash) String() string { return hex.EncodeToString(h[:]) }

// NewPreimage draws a random preimage from r, or from crypto/rand when r is
// nil.
func NewPreimage(r io.Reader) (Preimage, error) {
	if r == nil {
		r = rand.Reader
	}
	var p Preimage
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return Preimage{}, fmt.Errorf("htlc: reading random preimage: %w", err)
	}
	return p, nil
}

// ParsePaymentHash parses 64 hex digits.
func ParsePaymentHash(s string) (PaymentHash, error) {
	var h PaymentHash
	err := parseHex32(s, (*[32]byte)(&h))
	return h, err
}

// ParsePreimage parses 64 hex digits.
func ParsePreimage(s string) (Preimage, error) {
	var p Preimage
	err := parseHex32(s, (*[32]byte)(&p))
	return p, err
}

func parseHex32(s string, out *[32]byte) error {
	if len(s) != 2*PreimageSize {
		return fmt.Errorf("%w: got %d characters", ErrInvalidHex, len(s))
	}
	if _, err := hex.Decode(out[:], []byte(s)); err != nil {
		*out = [32]byte{}
		return fmt.Errorf("%w: %v", ErrInvalidHex, err)
	}
	return nil
}
