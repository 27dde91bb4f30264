package wire

import (
	"errors"
	"fmt"
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
)

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
