package keysend

import (
	"fmt"
	"slices"

	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// Receiver validates incoming keysend payments. The zero value rejects
// every keysend payment.
type Receiver struct {
	// Enabled accepts keysend payments; when false every keysend HTLC is
	// failed with incorrect_or_unknown_payment_details.
	Enabled bool
	// MinFinalCLTVExpiryDelta is the least number of blocks the HTLC must
	// have left (BOLT 4 final node rule).
	MinFinalCLTVExpiryDelta uint32
	// KnownRecords lists the even custom record types the application
	// understands; an HTLC with any other even custom record is failed
	// ("it's OK to be odd").
	KnownRecords []uint64
}

// HTLC is the incoming HTLC of a keysend payment.
type HTLC struct {
	// PaymentHash is update_add_htlc's payment_hash.
	PaymentHash wire.PaymentHash
	// Amount is amount_msat.
	Amount wire.MilliSatoshi
	// CLTVExpiry is cltv_expiry.
	CLTVExpiry uint32
	// BlockHeight is the node's current block height.
	BlockHeight uint32
}

// Received is an accepted keysend HTLC.
type Received struct {
	// Preimage settles the HTLC. It never prints (see wire.Preimage), so
	// a Received may be logged.
	Preimage wire.Preimage
	// Amount is this HTLC's amount.
	Amount wire.MilliSatoshi
	// Total is the amount of the whole payment: more than Amount for a
	// multi-part keysend, in which case the host collects the other parts
	// (matched by PaymentSecret) before settling.
	Total wire.MilliSatoshi
	// PaymentSecret is set for a multi-part keysend.
	PaymentSecret *[32]byte
	// CustomRecords are the payload's custom records without the keysend
	// record.
	CustomRecords []wire.TLVRecord
}

// RejectError is a refused keysend HTLC with the failure to return to the
// payer.
type RejectError struct {
	// Failure is the BOLT 4 failure message for update_fail_htlc.
	Failure *onion.FailureMessage
	// Err is the reason; it wraps one of the sentinel errors.
	Err error
}

// Error implements error.
func (e *RejectError) Error() string { return fmt.Sprintf("%v (%s)", e.Err, e.Failure.Code) }

// Unwrap returns the reason.
func (e *RejectError) Unwrap() error { return e.Err }

// IsKeysend reports whether a final hop payload carries a keysend record.
func IsKeysend(p *onion.HopPayload) bool {
	_, ok := p.CustomRecord(RecordType)
	return ok
}

// Accept validates a keysend payment arriving at the final node. payload is
// the decoded final hop payload (already checked with Validate(true, ...)).
// It returns ErrNotKeysend (not a RejectError) when the payload has no
// keysend record, so the host can treat it as an invoice payment; every
// other refusal is a *RejectError.
func (r *Receiver) Accept(payload *onion.HopPayload, htlc HTLC) (*Received, error) {
	pre, ok := payload.CustomRecord(RecordType)
	if !ok {
		return nil, ErrNotKeysend
	}
	unknown := &onion.FailureMessage{Code: onion.CodeIncorrectOrUnknownPaymentDetails, HTLCAmount: htlc.Amount, Height: htlc.BlockHeight}
	if !r.Enabled {
		return nil, &RejectError{Failure: unknown, Err: ErrDisabled}
	}
	if len(pre) != PreimageSize {
		return nil, &RejectError{
			Failure: &onion.FailureMessage{Code: onion.CodeInvalidOnionPayload, PayloadType: RecordType},
			Err:     fmt.Errorf("%w: %d bytes", ErrPreimageLength, len(pre)),
		}
	}
	if typ, bad := payload.UnknownEvenCustomRecord(append([]uint64{RecordType}, r.KnownRecords...)...); bad {
		return nil, &RejectError{
			Failure: &onion.FailureMessage{Code: onion.CodeInvalidOnionPayload, PayloadType: typ},
			Err:     fmt.Errorf("%w: type %d", ErrUnknownEvenRecord, typ),
		}
	}
	preimage := wire.Preimage(pre)
	if !preimage.Matches(htlc.PaymentHash) {
		return nil, &RejectError{Failure: unknown, Err: ErrHashMismatch}
	}
	if f := payload.CheckFinalHTLC(onion.FinalHTLC{
		Amount: htlc.Amount, CLTVExpiry: htlc.CLTVExpiry, BlockHeight: htlc.BlockHeight,
		MinFinalCLTVExpiryDelta: r.MinFinalCLTVExpiryDelta,
	}); f != nil {
		return nil, &RejectError{Failure: f, Err: fmt.Errorf("%w: %s", ErrHTLC, f.Code)}
	}
	rec := &Received{Preimage: preimage, Amount: htlc.Amount, Total: payload.TotalMsat()}
	if payload.PaymentData != nil {
		s := payload.PaymentData.PaymentSecret
		rec.PaymentSecret = &s
	}
	for _, c := range payload.CustomRecords {
		if c.Type != RecordType {
			rec.CustomRecords = append(rec.CustomRecords, wire.TLVRecord{Type: c.Type, Value: slices.Clone(c.Value)})
		}
	}
	return rec, nil
}
