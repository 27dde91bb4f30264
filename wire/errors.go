package wire

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
)

// Sentinel errors returned (usually wrapped) by the decoders in this package.
// Test for them with errors.Is.
var (
	// ErrTruncated means the input ended before a field was complete.
	ErrTruncated = errors.New("wire: input truncated")

	// ErrNonCanonicalBigSize means a BigSize value was not minimally
	// encoded (BOLT 1, "Appendix A").
	ErrNonCanonicalBigSize = errors.New("wire: BigSize not minimally encoded")

	// ErrNonMinimalTruncated means a tu16/tu32/tu64 had a leading zero
	// byte or was longer than its type allows (BOLT 1, "Fundamental
	// Types").
	ErrNonMinimalTruncated = errors.New("wire: truncated integer not minimal")

	// ErrTLVOrder means TLV records were not in strictly increasing type
	// order, which includes a repeated type (BOLT 1, "TLV format").
	ErrTLVOrder = errors.New("wire: TLV types not strictly increasing")

	// ErrTLVLength means a TLV record's length ran past the end of the
	// stream.
	ErrTLVLength = errors.New("wire: TLV length exceeds stream")

	// ErrUnknownEvenTLV means a TLV stream held an even type the decoder
	// does not understand ("it's OK to be odd").
	ErrUnknownEvenTLV = errors.New("wire: unknown even TLV type")

	// ErrTLVValue means a known TLV record had a value of the wrong size
	// or an invalid encoding.
	ErrTLVValue = errors.New("wire: invalid TLV value")

	// ErrUnknownEvenMessage means a message type is unknown and even, so
	// BOLT 1 requires the connection to be failed.
	ErrUnknownEvenMessage = errors.New("wire: unknown even message type")

	// ErrMessageTooLarge means an encoded message would exceed the 65535
	// byte limit of the BOLT 8 transport.
	ErrMessageTooLarge = errors.New("wire: message exceeds 65535 bytes")

	// ErrFieldTooLong means a variable-length field does not fit in its
	// length prefix.
	ErrFieldTooLong = errors.New("wire: field too long for its length prefix")

	// ErrInvalidPoint means a 33-byte point is not a valid compressed
	// secp256k1 public key.
	ErrInvalidPoint = errors.New("wire: invalid point")

	// ErrInvalidSignature means a 64-byte signature has r or s outside
	// [1, n-1] and so has no canonical ECDSA meaning.
	ErrInvalidSignature = errors.New("wire: non-canonical signature")

	// ErrInvalidField means a field held a value its message forbids.
	ErrInvalidField = errors.New("wire: invalid field value")

	// ErrAmountRange means a satoshi amount lies outside the bitcoin
	// supply: above btcutil.MaxSatoshi (21 million BTC), or negative in a
	// field the spec types as u64. No valid transaction can carry such an
	// amount, and reading it into a btcutil.Amount (an int64) would make a
	// u64 above 2^63-1 negative. The error is always an *AmountError.
	ErrAmountRange = errors.New("wire: satoshi amount outside the bitcoin supply")
)

// AmountError reports a satoshi field whose value is outside the bitcoin
// supply, on decode or on encode. errors.Is(err, ErrAmountRange) holds for
// it.
//
// A u64 field must lie in [0, btcutil.MaxSatoshi]; an s64 field (a splice
// or RBF contribution, which may be negative) in [-btcutil.MaxSatoshi,
// btcutil.MaxSatoshi]. The fields checked are every satoshi amount of BOLT
// 2: funding_satoshis, dust_limit_satoshis and channel_reserve_satoshis of
// open_channel, accept_channel, open_channel2 and accept_channel2; sats of
// tx_add_output; fee_satoshis of closing_signed, closing_complete and
// closing_sig, and closing_signed's fee_range (min_fee_satoshis,
// max_fee_satoshis); the s64 funding_contribution_satoshis of splice_init
// and splice_ack and funding_output_contribution of tx_init_rbf and
// tx_ack_rbf. Millisatoshi fields are unsigned (MilliSatoshi) and are not
// checked.
type AmountError struct {
	// Field is the spec's name of the field, such as "fee_satoshis".
	Field string
	// Value is the field's 8 bytes as a u64: the value as read from the
	// wire, or the two's complement of the btcutil.Amount an encoder
	// was given.
	Value uint64
	// Signed reports whether the field is an s64, so that Value is to
	// be read as an int64.
	Signed bool
}

// Error implements the error interface.
func (e *AmountError) Error() string {
	if e.Signed {
		return fmt.Sprintf("%s: %d sat is outside [-%d, %d]: %v",
			e.Field, int64(e.Value), int64(btcutil.MaxSatoshi), int64(btcutil.MaxSatoshi), ErrAmountRange)
	}
	if int64(e.Value) < 0 {
		// Above 2^63-1 as a u64: also show what an int64 would make
		// of it, which is what an encoder given a negative amount saw.
		return fmt.Sprintf("%s: %d sat (%d as an int64) is outside [0, %d]: %v",
			e.Field, e.Value, int64(e.Value), int64(btcutil.MaxSatoshi), ErrAmountRange)
	}
	return fmt.Sprintf("%s: %d sat is outside [0, %d]: %v",
		e.Field, e.Value, int64(btcutil.MaxSatoshi), ErrAmountRange)
}

// Unwrap returns ErrAmountRange.
func (e *AmountError) Unwrap() error { return ErrAmountRange }

// MessageError reports a failure to encode or decode a particular message
// type. It wraps one of the sentinel errors above so that callers can use
// errors.Is on it.
type MessageError struct {
	// Type is the message type that failed.
	Type MessageType
	// Err is the underlying cause.
	Err error
}

// Error implements the error interface.
func (e *MessageError) Error() string {
	return fmt.Sprintf("wire: %s: %v", e.Type, e.Err)
}

// Unwrap returns the underlying cause.
func (e *MessageError) Unwrap() error { return e.Err }
