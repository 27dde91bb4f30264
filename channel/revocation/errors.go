package revocation

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidKey is returned when a derived key would be the point at
	// infinity or the zero scalar. With honestly generated inputs this has
	// negligible probability; it is reported rather than panicking.
	ErrInvalidKey = errors.New("revocation: derived key is invalid (BOLT 3, \"Key Derivation\")")

	// ErrIndexOutOfRange is returned for a shachain index above 2^48-1 or a
	// commitment number that does not map to one.
	ErrIndexOutOfRange = errors.New("revocation: index out of the 48-bit range (BOLT 3, \"Per-commitment Secret Requirements\")")

	// ErrUnexpectedIndex is returned by Store.Insert when a secret does not
	// come at the next index: the first secret must have index 2^48-1 and
	// every later one the index just below the previous one.
	ErrUnexpectedIndex = errors.New("revocation: secret is not for the next commitment (BOLT 2, revoke_and_ack)")

	// ErrInconsistentSecret is matched (errors.Is) by every
	// *InconsistentSecretError.
	ErrInconsistentSecret = errors.New("revocation: secret does not derive an earlier secret (BOLT 3, \"Efficient Per-commitment Secret Storage\")")

	// ErrUnknownSecret is returned when looking up a secret that has not been
	// received yet, or cannot be derived from the secrets received.
	ErrUnknownSecret = errors.New("revocation: secret not received yet")

	// ErrMalformedStore is returned by DecodeStore for input that is not a
	// valid encoding.
	ErrMalformedStore = errors.New("revocation: malformed secret store encoding")
)

// InconsistentSecretError reports a secret refused by Store.Insert because it
// does not derive a secret received earlier. The peer sent an incorrect
// per_commitment_secret: BOLT 2 says to fail the channel.
type InconsistentSecretError struct {
	// Index is the shachain index of the refused secret.
	Index uint64
	// Conflict is the index of the stored secret that it fails to derive.
	Conflict uint64
}

// Error implements error.
func (e *InconsistentSecretError) Error() string {
	return fmt.Sprintf("%v: secret at index %d does not derive stored secret at index %d",
		ErrInconsistentSecret, e.Index, e.Conflict)
}

// Is makes errors.Is(err, ErrInconsistentSecret) true.
func (e *InconsistentSecretError) Is(target error) bool { return target == ErrInconsistentSecret }
