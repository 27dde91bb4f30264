package onion

import (
	"errors"
	"fmt"
)

// Sentinel errors. Errors returned by this package wrap one of them (test
// with errors.Is); errors from processing a packet are also a
// *ProcessError that carries the BOLT 4 failure code to return.
var (
	// ErrPacketSize means a serialized packet had the wrong length.
	ErrPacketSize = errors.New("onion: wrong packet size")

	// ErrHopPayloadsTooShort means an onion_message_packet's
	// onionmsg_payloads are shorter than MinMessagePayloadsSize, too short
	// to hold even an empty payload's length and the next HMAC (BOLT 4
	// "Onion Messages": the payloads have the hop_payloads format). The
	// error also wraps ErrPacketSize.
	ErrHopPayloadsTooShort = errors.New("onion: hop payloads too short for a length and an HMAC")

	// ErrInvalidVersion means the packet version is not 0 (BOLT 4
	// "Packet Forwarding": invalid_onion_version).
	ErrInvalidVersion = errors.New("onion: unknown packet version")

	// ErrInvalidKey means the packet's ephemeral public key is not a
	// point on the curve (invalid_onion_key).
	ErrInvalidKey = errors.New("onion: ephemeral key not on the curve")

	// ErrInvalidHMAC means the packet's HMAC does not match
	// (invalid_onion_hmac).
	ErrInvalidHMAC = errors.New("onion: HMAC mismatch")

	// ErrReplayedPacket means the ReplayChecker has seen the packet's
	// shared secret before (BOLT 4 "Packet Forwarding": a packet with
	// duplicate routing information must not be processed again).
	ErrReplayedPacket = errors.New("onion: replayed packet")

	// ErrInvalidPayload means the decrypted hop payload is malformed or
	// breaks a payload rule (invalid_onion_payload).
	ErrInvalidPayload = errors.New("onion: invalid hop payload")

	// ErrRouteTooLong means the hop payloads do not fit in the packet.
	ErrRouteTooLong = errors.New("onion: route does not fit in the packet")

	// ErrEmptyRoute means a route has no hops.
	ErrEmptyRoute = errors.New("onion: route has no hops")

	// ErrInvalidBlinding means a blinded hop could not be processed
	// (invalid_onion_blinding).
	ErrInvalidBlinding = errors.New("onion: invalid route blinding data")

	// ErrFailureGarbled means no hop's HMAC matched a returned failure:
	// some hop corrupted it, and which one cannot be told.
	ErrFailureGarbled = errors.New("onion: failure message garbled")

	// ErrFailureMessage means a failure message is malformed.
	ErrFailureMessage = errors.New("onion: malformed failure message")

	// ErrInvalidSessionKey means the session key read from the random
	// source is zero or not below the group order.
	ErrInvalidSessionKey = errors.New("onion: invalid session key")
)

// ProcessError reports why a hop rejected a packet, with the failure the hop
// must return. For the BADONION codes (invalid_onion_version,
// invalid_onion_hmac, invalid_onion_key, invalid_onion_blinding) the hop
// returns update_fail_malformed_htlc with Code and OnionHash; for the others
// it builds a failure with NewFailure.
type ProcessError struct {
	// Code is the BOLT 4 failure code to return.
	Code FailureCode
	// OnionHash is SHA256 of the whole onion packet (sha256_of_onion).
	OnionHash [32]byte
	// Err is the cause; it wraps one of the sentinel errors.
	Err error
	// SharedSecret is the secret shared with the packet's origin, when
	// the failure was found after the HMAC check (HasSharedSecret): the
	// hop encrypts its failure message with it (NewFailure). Without it
	// only update_fail_malformed_htlc can report the failure.
	SharedSecret    [32]byte
	HasSharedSecret bool
}

// Error implements error.
func (e *ProcessError) Error() string {
	return fmt.Sprintf("%v (%s)", e.Err, e.Code)
}

// Unwrap returns the cause.
func (e *ProcessError) Unwrap() error { return e.Err }

// Malformed reports whether the failure is one of the BADONION codes, which
// are returned with update_fail_malformed_htlc.
func (e *ProcessError) Malformed() bool { return e.Code.IsBadOnion() }

// FailureMessage returns the failure message a hop sends back for this
// error when it is not malformed (or when the hop chooses to wrap a
// BADONION code itself, as a hop does for the failure it receives in
// update_fail_malformed_htlc).
func (e *ProcessError) FailureMessage() *FailureMessage {
	return &FailureMessage{Code: e.Code, OnionHash: e.OnionHash}
}
