package htlc

import (
	"io"

	"github.com/lnkit/lnkit/wire"
)

// The payment hash and preimage types live in package wire, so that wire's
// messages, invoice, onion, keysend, script and this package share one pair
// of types. The names below are aliases and thin forwarders kept so that
// code written against package htlc compiles unchanged; new code should
// name the wire identifiers.

// PaymentHash is wire.PaymentHash (an alias): the SHA256 of a payment
// preimage, against which an HTLC pays out.
type PaymentHash = wire.PaymentHash

// Preimage is wire.Preimage (an alias): a 32-byte payment preimage that
// never prints (see wire.Preimage).
type Preimage = wire.Preimage

// PreimageSize is wire.PreimageSize, the length of a Preimage and of a
// PaymentHash.
const PreimageSize = wire.PreimageSize

// NewPreimage forwards to wire.NewPreimage: a random preimage from r, or
// from crypto/rand when r is nil.
func NewPreimage(r io.Reader) (Preimage, error) { return wire.NewPreimage(r) }

// ParsePaymentHash forwards to wire.ParsePaymentHash: 64 hex digits, or an
// error wrapping ErrInvalidHex.
func ParsePaymentHash(s string) (PaymentHash, error) { return wire.ParsePaymentHash(s) }

// ParsePreimage forwards to wire.ParsePreimage: 64 hex digits, or an error
// wrapping ErrInvalidHex.
func ParsePreimage(s string) (Preimage, error) { return wire.ParsePreimage(s) }
