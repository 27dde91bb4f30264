package invoice

import (
	"errors"
	"fmt"
)

// Sentinel errors. Decode and the encoders wrap them with the detail of what
// was wrong, so test for them with errors.Is. Each names the BOLT 11 (or
// BIP 173) rule that was broken.
var (
	// ErrInvalidCharacter means a character outside the bech32 alphabet.
	ErrInvalidCharacter = errors.New("invoice: invalid bech32 character")

	// ErrMixedCase means the string mixes upper and lower case, which
	// BIP 173 forbids.
	ErrMixedCase = errors.New("invoice: mixed-case bech32 string")

	// ErrMissingSeparator means there is no '1' between a non-empty
	// human-readable part and the data part.
	ErrMissingSeparator = errors.New("invoice: missing bech32 separator")

	// ErrInvalidChecksum means the bech32 checksum does not verify; BOLT 11
	// says the reader MUST fail the payment.
	ErrInvalidChecksum = errors.New("invoice: invalid bech32 checksum")

	// ErrTooShort means the data part cannot hold the timestamp and the
	// 520-bit signature.
	ErrTooShort = errors.New("invoice: too short")

	// ErrUnknownPrefix means the human-readable part does not start with
	// "ln" and a currency prefix this package understands; BOLT 11 says the
	// reader MUST fail the payment.
	ErrUnknownPrefix = errors.New("invoice: unknown prefix")

	// ErrUnknownNetwork means an invoice to be encoded names a network that
	// has no BOLT 11 currency prefix.
	ErrUnknownNetwork = errors.New("invoice: network has no BOLT 11 prefix")

	// ErrInvalidAmount means the amount in the human-readable part is not a
	// positive decimal integer without leading zeros that fits in 64 bits of
	// millisatoshi. ErrInvalidMultiplier and ErrSubMillisatoshi wrap it.
	ErrInvalidAmount = errors.New("invoice: invalid amount")

	// ErrInvalidMultiplier means the amount is followed by something other
	// than one of the multipliers m, u, n, p.
	ErrInvalidMultiplier = fmt.Errorf("%w: unknown multiplier", ErrInvalidAmount)

	// ErrSubMillisatoshi means a p-multiplied amount whose last decimal is
	// not 0, which would be a fraction of a millisatoshi.
	ErrSubMillisatoshi = fmt.Errorf("%w: sub-millisatoshi precision", ErrInvalidAmount)

	// ErrTruncatedField means a tagged field's data_length runs into the
	// signature.
	ErrTruncatedField = errors.New("invoice: tagged field truncated")

	// ErrInvalidPadding means a field's data did not end with fewer than
	// five zero bits of padding ("MUST pad field data to a multiple of 5
	// bits, using 0s"); such a field has no exact byte value.
	ErrInvalidPadding = errors.New("invoice: invalid field padding")

	// ErrInvalidField means a known field holds a value that cannot be
	// represented: an expiry or CLTV delta too large for its type, a
	// timestamp beyond 35 bits, and the like.
	ErrInvalidField = errors.New("invoice: invalid field value")

	// ErrInvalidDescription means the d field is not valid UTF-8.
	ErrInvalidDescription = errors.New("invoice: description is not valid UTF-8")

	// ErrInvalidNodeID means an n field or a route hint holds bytes that
	// are not a valid compressed secp256k1 public key.
	ErrInvalidNodeID = errors.New("invoice: invalid node id")

	// ErrInvalidRouteHint means an r field is empty or not a whole number of
	// 51-byte hops.
	ErrInvalidRouteHint = errors.New("invoice: invalid route hint")

	// ErrInvalidFallback means an f field of a known version (0, 1 with 32
	// bytes, 17, 18) holds a program or hash of the wrong size, or a
	// fallback address cannot be encoded.
	ErrInvalidFallback = errors.New("invoice: invalid fallback address")

	// ErrMissingPaymentHash means there is no valid p field ("MUST include
	// exactly one p field").
	ErrMissingPaymentHash = errors.New("invoice: missing payment hash (p)")

	// ErrMissingPaymentSecret means there is no valid s field.
	ErrMissingPaymentSecret = errors.New("invoice: missing payment secret (s)")

	// ErrMissingDescription means there is neither a d nor an h field; the
	// reader MUST fail the payment.
	ErrMissingDescription = errors.New("invoice: missing description (d or h)")

	// ErrDescriptionAndHash means both a d and an h field are present; the
	// reader MUST fail the payment.
	ErrDescriptionAndHash = errors.New("invoice: both description (d) and description hash (h)")

	// ErrUnknownRequiredFeature means the 9 field sets an even feature bit
	// this package does not know; the reader MUST fail the payment. The
	// wrapped message names the bit.
	ErrUnknownRequiredFeature = errors.New("invoice: unknown required feature")

	// ErrMissingFeatureDependency means the 9 field sets a feature without
	// a feature it depends on (BOLT 9); the reader MUST NOT attempt the
	// payment.
	ErrMissingFeatureDependency = errors.New("invoice: feature set without its dependency")

	// ErrInvalidSignature means the signature does not verify against the n
	// field, or no public key can be recovered from it. ErrHighS,
	// ErrNotRecoverable and ErrInvalidRecoveryID wrap it.
	ErrInvalidSignature = errors.New("invoice: invalid signature")

	// ErrHighS means an invoice with an n field carries a signature whose s
	// is above half the group order; verification against n requires the
	// low-S form.
	ErrHighS = fmt.Errorf("%w: high-S signature with n field", ErrInvalidSignature)

	// ErrNotRecoverable means no public key can be recovered from the
	// signature (for example because r is not the x coordinate of a curve
	// point for the recovery id given).
	ErrNotRecoverable = fmt.Errorf("%w: no public key recoverable", ErrInvalidSignature)

	// ErrInvalidRecoveryID means the recovery id byte is not 0, 1, 2 or 3.
	ErrInvalidRecoveryID = fmt.Errorf("%w: recovery id not in 0..3", ErrInvalidSignature)

	// ErrSignerMismatch means a Signer's public key differs from the
	// invoice's Destination, or its signature does not have the expected
	// form.
	ErrSignerMismatch = errors.New("invoice: signer does not match destination")
)

// errf wraps a sentinel with a formatted detail.
func errf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}
