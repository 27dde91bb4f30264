package script

import "errors"

// Sentinel errors returned (usually wrapped with more detail) by this
// package. Test for them with errors.Is.
var (
	// ErrNilKey means a required public key was nil.
	ErrNilKey = errors.New("script: nil public key")

	// ErrUnknownScript means a witness script is not byte for byte one of
	// the BOLT 3 templates this package knows.
	ErrUnknownScript = errors.New("script: not a BOLT 3 witness script")

	// ErrUnknownChannelType means a ChannelType value is not one of the
	// constants of this package.
	ErrUnknownChannelType = errors.New("script: unknown channel type")

	// ErrCommitmentNumber means a commitment number does not fit in the
	// 48 bits BOLT 3 ("Commitment Transaction") allows.
	ErrCommitmentNumber = errors.New("script: commitment number exceeds 48 bits")

	// ErrNotCommitment means a transaction's locktime or sequence do not
	// carry the 0x20 / 0x80 markers BOLT 3 ("Commitment Transaction")
	// puts in the upper 8 bits, so it is not a commitment transaction.
	ErrNotCommitment = errors.New("script: locktime/sequence lack the BOLT 3 commitment markers")

	// ErrLengthMismatch means two slices that must be parallel have
	// different lengths.
	ErrLengthMismatch = errors.New("script: parallel slices differ in length")

	// ErrUnknownHTLCKind means an HTLCKind value is neither Offered nor
	// Received.
	ErrUnknownHTLCKind = errors.New("script: unknown HTLC kind")

	// ErrInfinity means a derived point is the point at infinity, which is
	// not a public key. It cannot happen for honestly derived keys.
	ErrInfinity = errors.New("script: derived point at infinity")

	// ErrUnknownWitness means a witness stack matches no spend path of
	// the given witness script.
	ErrUnknownWitness = errors.New("script: witness matches no spend path")
)
