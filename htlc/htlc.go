package htlc

import (
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Direction says whether an HTLC was offered or received by the holder of
// the commitment transaction being considered. The same HTLC is offered in
// one side's commitment and received in the other's. It is the script
// package's HTLCKind, so values pass between the packages unchanged.
type Direction = script.HTLCKind

const (
	// Offered is an HTLC the commitment holder offered (sent). On the
	// holder's commitment it is resolved by an HTLC-timeout transaction.
	Offered = script.Offered

	// Received is an HTLC the commitment holder received. On the holder's
	// commitment it is resolved by an HTLC-success transaction.
	Received = script.Received
)

// HTLC describes one HTLC as a commitment transaction sees it.
type HTLC struct {
	// ID is the id of update_add_htlc, unique per direction in a channel.
	ID uint64
	// Direction is offered or received, from the commitment holder's view.
	Direction Direction
	// Amount is amount_msat. The commitment output and the second-stage
	// transactions use its value rounded down to whole satoshis.
	Amount wire.MilliSatoshi
	// CLTVExpiry is cltv_expiry, the block height after which the offerer
	// may time the HTLC out.
	CLTVExpiry uint32
	// PaymentHash is payment_hash.
	PaymentHash PaymentHash
}

// Flip returns the same HTLC as seen from the other side's commitment:
// offered becomes received and vice versa.
func (h HTLC) Flip() HTLC {
	switch h.Direction {
	case Offered:
		h.Direction = Received
	case Received:
		h.Direction = Offered
	}
	return h
}
