package channel

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidParams reports channel parameters that are missing or out
	// of range (BOLT 2 open_channel/accept_channel requirements).
	ErrInvalidParams = errors.New("channel: invalid channel parameters")

	// ErrBalanceMismatch reports balances and HTLCs that do not add up to
	// the funding amount: every commitment must account for the whole
	// funding output (BOLT 3 "Commitment Transaction Construction").
	ErrBalanceMismatch = errors.New("channel: balances and HTLCs do not add up to the funding amount")

	// ErrTooManyHTLCs reports more HTLCs in one direction than BOLT 2
	// allows (max_accepted_htlcs is at most 483).
	ErrTooManyHTLCs = errors.New("channel: more than 483 HTLCs in one direction")

	// ErrInvalidHTLC reports an HTLC that cannot be committed (zero
	// amount, bad direction).
	ErrInvalidHTLC = errors.New("channel: invalid HTLC")

	// ErrHTLCExpiry reports an HTLC whose cltv_expiry is not below
	// MaxCLTVExpiry (500000000), which BOLT 2 update_add_htlc forbids:
	// the sender MUST set it lower and the receiver MUST fail the channel
	// otherwise. Errors that wrap it also wrap ErrInvalidHTLC.
	ErrHTLCExpiry = errors.New("channel: HTLC cltv_expiry is not a block height below 500000000")

	// ErrInvalidCommitSig reports a commitment_signed signature that does
	// not verify against the local commitment transaction (BOLT 2: the
	// receiver MUST fail the channel).
	ErrInvalidCommitSig = errors.New("channel: invalid commitment signature")

	// ErrInvalidHTLCSig reports an htlc_signature that does not verify
	// against its HTLC transaction (BOLT 2: the receiver MUST fail the
	// channel).
	ErrInvalidHTLCSig = errors.New("channel: invalid HTLC signature")

	// ErrHTLCSigCount reports a num_htlcs that differs from the number of
	// untrimmed HTLC outputs in the local commitment (BOLT 2: the
	// receiver MUST fail the channel).
	ErrHTLCSigCount = errors.New("channel: wrong number of HTLC signatures")

	// ErrInvalidClosingSig reports a closing_signed, closing_complete or
	// closing_sig signature that does not verify against the closing
	// transaction it claims to sign (BOLT 2: the receiver MUST fail the
	// channel or send a warning).
	ErrInvalidClosingSig = errors.New("channel: invalid closing signature")

	// ErrInvalidClose reports a closing transaction that cannot be built
	// as asked (BOLT 2 closing negotiation / BOLT 3 "Closing Transaction").
	ErrInvalidClose = errors.New("channel: invalid closing transaction request")

	// ErrInvalidSweep reports a sweep request that does not match the
	// commitment it spends.
	ErrInvalidSweep = errors.New("channel: invalid sweep request")
)

// SignatureError identifies which signature of a commitment_signed failed.
// It wraps ErrInvalidCommitSig or ErrInvalidHTLCSig.
type SignatureError struct {
	// HTLCIndex is the position in htlc_signature, or -1 for the
	// commitment signature itself.
	HTLCIndex int
	// HTLCID is the id of the HTLC whose signature failed (when
	// HTLCIndex >= 0).
	HTLCID uint64
	// Err is the sentinel.
	Err error
}

// Error describes the failed signature.
func (e *SignatureError) Error() string {
	if e.HTLCIndex < 0 {
		return e.Err.Error()
	}
	return fmt.Sprintf("%v: htlc_signature %d (HTLC id %d)", e.Err, e.HTLCIndex, e.HTLCID)
}

// Unwrap returns the sentinel.
func (e *SignatureError) Unwrap() error { return e.Err }
