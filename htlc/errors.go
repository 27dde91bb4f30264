package htlc

import (
	"errors"

	"github.com/lnkit/lnkit/wire"
)

var (
	// ErrInvalidHex is wire.ErrInvalidHex (the same value, so errors.Is
	// matches either name): a payment hash or preimage is not 64 hex
	// digits.
	ErrInvalidHex = wire.ErrInvalidHex

	// ErrBelowFee is returned when an HTLC output cannot pay its
	// second-stage transaction's fee. BOLT 3 ("Trimmed Outputs") trims such
	// an HTLC from the commitment, so no second-stage transaction exists.
	ErrBelowFee = errors.New("htlc: HTLC amount does not cover the HTLC transaction fee (BOLT 3, \"Trimmed Outputs\")")

	// ErrWrongDirection is returned when an HTLC-timeout transaction is
	// requested for a received HTLC or an HTLC-success transaction for an
	// offered one (BOLT 3, "HTLC-Timeout and HTLC-Success Transactions").
	ErrWrongDirection = errors.New("htlc: HTLC direction does not match the transaction type")

	// ErrInvalidParams is returned for missing keys, an unknown channel type
	// or an unknown direction.
	ErrInvalidParams = errors.New("htlc: invalid parameters")
)
