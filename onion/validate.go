package onion

import (
	"github.com/lnkit/lnkit/wire"
)

// Validate applies BOLT 4's reader rules on which records a payload must
// and must not carry ("payload format", Requirements). final is whether
// the packet ended at this hop; htlcPathKey is whether the incoming
// update_add_htlc carried a path key (blinded_path). A failure is a
// *PayloadError. Inside a blinded route (EncryptedRecipientData set or
// htlcPathKey) a forwarding hop must return invalid_onion_blinding rather
// than the invalid_onion_payload of PayloadError.FailureMessage.
func (p *HopPayload) Validate(final, htlcPathKey bool) error {
	if p.EncryptedRecipientData != nil || htlcPathKey {
		return p.validateBlinded(final, htlcPathKey)
	}
	if p.CurrentPathKey != nil {
		return payloadErr(TypeCurrentPathKey, 0, "current_path_key outside a blinded route")
	}
	if p.AmountToForward == nil {
		return payloadErr(TypeAmountToForward, 0, "amt_to_forward missing")
	}
	if p.OutgoingCLTV == nil {
		return payloadErr(TypeOutgoingCLTV, 0, "outgoing_cltv_value missing")
	}
	if final {
		if p.ShortChannelID != nil {
			return payloadErr(TypeShortChannelID, 0, "final hop has a short_channel_id")
		}
		if p.TotalAmount != nil {
			return payloadErr(TypeTotalAmount, 0, "total_amount_msat outside a blinded route")
		}
		return nil
	}
	if p.ShortChannelID == nil {
		return payloadErr(TypeShortChannelID, 0, "forwarding hop without short_channel_id")
	}
	if p.PaymentData != nil {
		return payloadErr(TypePaymentData, 0, "forwarding hop with payment_data")
	}
	if p.PaymentMetadata != nil {
		return payloadErr(TypePaymentMetadata, 0, "forwarding hop with payment_metadata")
	}
	if p.TotalAmount != nil {
		return payloadErr(TypeTotalAmount, 0, "forwarding hop with total_amount_msat")
	}
	return nil
}

func (p *HopPayload) validateBlinded(final, htlcPathKey bool) error {
	if p.EncryptedRecipientData == nil {
		return payloadErr(TypeEncryptedRecipientData, 0, "path key without encrypted_recipient_data")
	}
	if htlcPathKey && p.CurrentPathKey != nil {
		return payloadErr(TypeCurrentPathKey, 0, "current_path_key while update_add_htlc has a path key")
	}
	if !htlcPathKey && p.CurrentPathKey == nil {
		return payloadErr(TypeCurrentPathKey, 0, "blinded hop without a path key")
	}
	// Only these records may appear: encrypted_recipient_data and
	// current_path_key, plus amt_to_forward, outgoing_cltv_value and
	// total_amount_msat at the final node, which must have all three.
	if p.ShortChannelID != nil {
		return payloadErr(TypeShortChannelID, 0, "short_channel_id in a blinded payload")
	}
	if p.PaymentData != nil {
		return payloadErr(TypePaymentData, 0, "payment_data in a blinded payload")
	}
	if p.PaymentMetadata != nil {
		return payloadErr(TypePaymentMetadata, 0, "payment_metadata in a blinded payload")
	}
	if len(p.CustomRecords) > 0 {
		return payloadErr(p.CustomRecords[0].Type, 0, "custom record in a blinded payload")
	}
	if len(p.Extra) > 0 {
		return payloadErr(p.Extra[0].Type, 0, "unknown record in a blinded payload")
	}
	if !final {
		switch {
		case p.AmountToForward != nil:
			return payloadErr(TypeAmountToForward, 0, "amt_to_forward at a blinded forwarding hop")
		case p.OutgoingCLTV != nil:
			return payloadErr(TypeOutgoingCLTV, 0, "outgoing_cltv_value at a blinded forwarding hop")
		case p.TotalAmount != nil:
			return payloadErr(TypeTotalAmount, 0, "total_amount_msat at a blinded forwarding hop")
		}
		return nil
	}
	switch {
	case p.AmountToForward == nil:
		return payloadErr(TypeAmountToForward, 0, "amt_to_forward missing at the blinded final hop")
	case p.OutgoingCLTV == nil:
		return payloadErr(TypeOutgoingCLTV, 0, "outgoing_cltv_value missing at the blinded final hop")
	case p.TotalAmount == nil:
		return payloadErr(TypeTotalAmount, 0, "total_amount_msat missing at the blinded final hop")
	}
	return nil
}

// IsBlinded reports whether the payload belongs to a blinded route hop.
func (p *HopPayload) IsBlinded() bool { return p.EncryptedRecipientData != nil }

// TotalMsat returns the total amount of the payment as the final node must
// take it: total_msat of payment_data, else total_amount_msat, else
// amt_to_forward (BOLT 4: "MUST treat total_msat as if it were equal to
// amt_to_forward if it is not present").
func (p *HopPayload) TotalMsat() wire.MilliSatoshi {
	switch {
	case p.PaymentData != nil:
		return p.PaymentData.TotalMsat
	case p.TotalAmount != nil:
		return *p.TotalAmount
	case p.AmountToForward != nil:
		return *p.AmountToForward
	}
	return 0
}

// FinalHTLC is the incoming HTLC at the final node, as CheckFinalHTLC needs
// it.
type FinalHTLC struct {
	// Amount is the HTLC's amount_msat.
	Amount wire.MilliSatoshi
	// CLTVExpiry is the HTLC's cltv_expiry.
	CLTVExpiry uint32
	// BlockHeight is the node's current block height.
	BlockHeight uint32
	// MinFinalCLTVExpiryDelta is the delta the node requires (the
	// invoice's min_final_cltv_expiry_delta).
	MinFinalCLTVExpiryDelta uint32
}

// CheckFinalHTLC applies the final node's checks of an HTLC against its
// (validated) payload, in BOLT 4's order, and returns the failure to send
// or nil:
//   - cltv_expiry below current height + min_final_cltv_expiry_delta:
//     incorrect_or_unknown_payment_details;
//   - cltv_expiry below outgoing_cltv_value: final_incorrect_cltv_expiry;
//   - amount_msat below amt_to_forward: final_incorrect_htlc_amount.
func (p *HopPayload) CheckFinalHTLC(h FinalHTLC) *FailureMessage {
	if uint64(h.CLTVExpiry) < uint64(h.BlockHeight)+uint64(h.MinFinalCLTVExpiryDelta) {
		return &FailureMessage{Code: CodeIncorrectOrUnknownPaymentDetails, HTLCAmount: h.Amount, Height: h.BlockHeight}
	}
	if p.OutgoingCLTV != nil && h.CLTVExpiry < *p.OutgoingCLTV {
		return &FailureMessage{Code: CodeFinalIncorrectCLTVExpiry, CLTVExpiry: h.CLTVExpiry}
	}
	if p.AmountToForward != nil && h.Amount < *p.AmountToForward {
		return &FailureMessage{Code: CodeFinalIncorrectHTLCAmount, HTLCAmount: h.Amount}
	}
	return nil
}
