package wtclient

import (
	"errors"
	"fmt"
)

var (
	// ErrMalformed is wrapped by every decoder of this package when its
	// input breaks the format: a truncated field, a length prefix longer
	// than what is left, a non-canonical CompactSize, a value out of
	// range.
	ErrMalformed = errors.New("wtclient: malformed input")

	// ErrUnknownMessage is wrapped by DecodeMessage for a message type
	// lnd's watchtower protocol does not define.
	ErrUnknownMessage = errors.New("wtclient: unknown watchtower message type")

	// ErrMessageTooLarge is wrapped when an encoded message would not fit
	// in one BOLT 8 frame (65535 bytes), or a field passes the limit lnd
	// puts on it.
	ErrMessageTooLarge = errors.New("wtclient: message too large")

	// ErrDecrypt is wrapped when an encrypted justice kit does not
	// authenticate under the key of the given breach transaction.
	ErrDecrypt = errors.New("wtclient: justice kit does not decrypt")

	// ErrUnknownBlobType is wrapped for a blob type this package cannot
	// build or read (only the altruist commit and altruist anchor commit
	// types are supported).
	ErrUnknownBlobType = errors.New("wtclient: unsupported blob type")

	// ErrSweepScript is wrapped when a sweep script is not P2WPKH, P2WSH
	// or P2TR, the outputs lnd's tower can weigh, or is longer than the 42
	// bytes a justice kit holds.
	ErrSweepScript = errors.New("wtclient: unsupported sweep script")

	// ErrNotEligible is wrapped when a revoked state cannot be backed up
	// under the session policy: the revoked commitment has no to_local
	// output (lnd's tower only builds justice transactions that spend
	// one), or the fee leaves the sweep output below dust.
	ErrNotEligible = errors.New("wtclient: revoked state not eligible for a tower")

	// ErrTowerInit is wrapped when a tower's Init is refused: another
	// chain, or a required feature bit this client does not know.
	ErrTowerInit = errors.New("wtclient: tower init refused")

	// ErrTowerReply is wrapped when a tower answers with the wrong message
	// or with values the protocol does not allow (an acknowledgement of a
	// sequence number not sent, a last-applied that goes backwards).
	// The session's updates stay queued and are sent again.
	ErrTowerReply = errors.New("wtclient: malformed tower reply")

	// ErrTowerRejected is wrapped by *RejectError: the tower answered with
	// a non-zero code.
	ErrTowerRejected = errors.New("wtclient: tower rejected the request")

	// ErrNoTower is wrapped when updates wait for a session and no tower
	// accepted one (or none was added).
	ErrNoTower = errors.New("wtclient: no tower available")

	// ErrUnknownChannel is wrapped when BackupState names a channel that
	// was not registered.
	ErrUnknownChannel = errors.New("wtclient: channel not registered")

	// ErrInvalidConfig is wrapped for a missing or out-of-range setting.
	ErrInvalidConfig = errors.New("wtclient: invalid configuration")

	// ErrCorruptStore is wrapped when a record this package wrote cannot
	// be read back.
	ErrCorruptStore = errors.New("wtclient: corrupt stored record")
)

// RejectError is a tower's refusal: the code of a CreateSessionReply or
// StateUpdateReply that is not CodeOK, or an Error message. It matches
// ErrTowerRejected with errors.Is.
type RejectError struct {
	// Msg is the type of the reply that carried the code.
	Msg MessageType
	// Code is the tower's error code.
	Code ErrorCode
	// LastApplied is the tower's last applied sequence number when the
	// reply carries one.
	LastApplied uint16
}

// Error implements error.
func (e *RejectError) Error() string {
	return fmt.Sprintf("%v: %v code %v (last applied %d)", ErrTowerRejected, e.Msg, e.Code, e.LastApplied)
}

// Unwrap returns ErrTowerRejected.
func (e *RejectError) Unwrap() error { return ErrTowerRejected }

// malformed returns an error wrapping ErrMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}
