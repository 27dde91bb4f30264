package wire

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// PreimageSize is the length of a Preimage and of a PaymentHash: 32 bytes.
const PreimageSize = 32

// ErrInvalidHex is returned (wrapped) by ParsePaymentHash and ParsePreimage
// when the input is not 64 hex digits.
var ErrInvalidHex = errors.New("wire: want 32 bytes as 64 hex digits")

// PaymentHash is the SHA256 of a payment preimage: the payment_hash of
// update_add_htlc (BOLT 2), the p field of an invoice (BOLT 11) and the
// hash lock of an HTLC output (BOLT 3). An HTLC pays out against the
// preimage that hashes to it.
//
// It prints as 64 lowercase hex digits under %v, %s and %x (%X for upper
// case), and as its bytes under the other verbs.
type PaymentHash [32]byte

// Preimage is a 32-byte payment preimage: the payment_preimage of
// update_fulfill_htlc, and the secret that settles an HTLC. Whoever learns
// it before the HTLC is settled can claim the payment, so it never prints:
// String, GoString, Format (every fmt verb, including %x and %#v, also
// when the preimage is an exported field of a struct, slice or map being
// printed) and LogValue (log/slog) all give "wire.Preimage(redacted)".
// Use Hex where the value is meant to be revealed.
//
// fmt cannot call a method where it reflects without one: a Preimage held
// in an unexported struct field and printed with the struct, or a
// Preimage value printed with %p (which go vet reports), shows its bytes.
// encoding/json marshals it as an array of numbers. Keep preimages in
// exported fields or behind a pointer (which fmt prints as an address),
// and out of JSON meant for logs.
type Preimage [32]byte

// redactedPreimage is what every printing method of Preimage returns.
const redactedPreimage = "wire.Preimage(redacted)"

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

// String implements fmt.Stringer without revealing the preimage.
func (p Preimage) String() string { return redactedPreimage }

// GoString implements fmt.GoStringer without revealing the preimage.
func (p Preimage) GoString() string { return redactedPreimage }

// Format implements fmt.Formatter: every verb, with any flags, width or
// precision, prints "wire.Preimage(redacted)". Without it, %x, %d and %#v
// would print the bytes, since fmt consults String only for some verbs
// and GoString only for %#v.
func (p Preimage) Format(f fmt.State, _ rune) { io.WriteString(f, redactedPreimage) }

// LogValue implements slog.LogValuer without revealing the preimage.
func (p Preimage) LogValue() slog.Value { return slog.StringValue(redactedPreimage) }

// Hex returns the preimage in hex; use it only where it is meant to be
// revealed.
func (p Preimage) Hex() string { return hex.EncodeToString(p[:]) }

// String returns the payment hash in hex.
func (h PaymentHash) String() string { return hex.EncodeToString(h[:]) }

// Format implements fmt.Formatter. %v, %s and %x print the hash in
// lowercase hex, %X in uppercase and %q the hex quoted, honouring flags and
// width (so "% x" spaces the bytes and "%#x" prefixes 0x, as for a byte
// slice); %#v and any other verb format the 32 bytes as an array. Without it, %x
// would hex-encode the result of String, giving 128 digits.
func (h PaymentHash) Format(f fmt.State, verb rune) {
	switch verb {
	case 'x', 'X':
		fmt.Fprintf(f, fmt.FormatString(f, verb), h[:])
	case 's', 'q':
		fmt.Fprintf(f, fmt.FormatString(f, verb), h.String())
	case 'v':
		if !f.Flag('#') {
			fmt.Fprintf(f, fmt.FormatString(f, 's'), h.String())
			return
		}
		fallthrough // %#v: Go syntax, [32]uint8{0x66, ...}
	default:
		fmt.Fprintf(f, fmt.FormatString(f, verb), [32]byte(h))
	}
}

// NewPreimage draws a random preimage from r, or from crypto/rand when r is
// nil.
func NewPreimage(r io.Reader) (Preimage, error) {
	if r == nil {
		r = rand.Reader
	}
	var p Preimage
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return Preimage{}, fmt.Errorf("wire: reading random preimage: %w", err)
	}
	return p, nil
}

// ParsePaymentHash parses 64 hex digits (either case). Any other input
// gives an error wrapping ErrInvalidHex.
func ParsePaymentHash(s string) (PaymentHash, error) {
	var h PaymentHash
	err := parseHex32(s, (*[32]byte)(&h))
	return h, err
}

// ParsePreimage parses 64 hex digits (either case). Any other input gives
// an error wrapping ErrInvalidHex.
func ParsePreimage(s string) (Preimage, error) {
	var p Preimage
	err := parseHex32(s, (*[32]byte)(&p))
	return p, err
}

// parseHex32 decodes exactly 64 hex digits into out, leaving out zero on
// failure.
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
