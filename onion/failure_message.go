package onion

import (
	"fmt"

	"github.com/lnkit/lnkit/wire"
)

// FailureMessage is a decoded failuremsg (BOLT 4 "Failure Messages"): a
// failure code, the data its code defines, and whatever follows (an
// optional TLV stream). Only the fields of Code's data are meaningful; the
// table below says which.
//
//	BADONION codes (4, 5, 6, 24)          OnionHash
//	temporary_channel_failure, expiry_too_soon  ChannelUpdate
//	amount_below_minimum, fee_insufficient      HTLCAmount, ChannelUpdate
//	incorrect_cltv_expiry                       CLTVExpiry, ChannelUpdate
//	channel_disabled                            DisabledFlags, ChannelUpdate
//	incorrect_or_unknown_payment_details        HTLCAmount, Height
//	final_incorrect_cltv_expiry                 CLTVExpiry
//	final_incorrect_htlc_amount                 HTLCAmount (incoming_htlc_amt)
//	invalid_onion_payload                       PayloadType, PayloadOffset
type FailureMessage struct {
	// Code is the failure_code.
	Code FailureCode
	// OnionHash is sha256_of_onion.
	OnionHash [32]byte
	// HTLCAmount is htlc_msat (or incoming_htlc_amt).
	HTLCAmount wire.MilliSatoshi
	// CLTVExpiry is cltv_expiry.
	CLTVExpiry uint32
	// Height is the final node's block height.
	Height uint32
	// DisabledFlags is disabled_flags of channel_disabled.
	DisabledFlags uint16
	// PayloadType and PayloadOffset locate the bad record of
	// invalid_onion_payload.
	PayloadType   uint64
	PayloadOffset uint16
	// ChannelUpdate is the raw channel_update, including its 0x0102
	// message type prefix as BOLT 4 requires (older nodes omitted it).
	// The bytes are kept as they came so the message re-encodes exactly;
	// DecodeChannelUpdate parses them.
	ChannelUpdate []byte
	// Rest holds the bytes after the code's fields: the optional TLV
	// extension, or, for a code this package does not know, all of its
	// data. The origin must ignore what it does not understand here.
	Rest []byte
}

// String describes the failure.
func (m *FailureMessage) String() string { return m.Code.String() }

// Encode appends the encoded failuremsg to b.
func (m *FailureMessage) Encode(b []byte) ([]byte, error) {
	b = wire.AppendU16(b, uint16(m.Code))
	var err error
	switch m.Code {
	case CodeInvalidOnionVersion, CodeInvalidOnionHMAC, CodeInvalidOnionKey, CodeInvalidOnionBlinding:
		b = append(b, m.OnionHash[:]...)
	case CodeTemporaryChannelFailure, CodeExpiryTooSoon:
		b, err = wire.AppendVarBytes16(b, m.ChannelUpdate)
	case CodeAmountBelowMinimum, CodeFeeInsufficient:
		b = wire.AppendU64(b, uint64(m.HTLCAmount))
		b, err = wire.AppendVarBytes16(b, m.ChannelUpdate)
	case CodeIncorrectCLTVExpiry:
		b = wire.AppendU32(b, m.CLTVExpiry)
		b, err = wire.AppendVarBytes16(b, m.ChannelUpdate)
	case CodeChannelDisabled:
		b = wire.AppendU16(b, m.DisabledFlags)
		b, err = wire.AppendVarBytes16(b, m.ChannelUpdate)
	case CodeIncorrectOrUnknownPaymentDetails:
		b = wire.AppendU64(b, uint64(m.HTLCAmount))
		b = wire.AppendU32(b, m.Height)
	case CodeFinalIncorrectCLTVExpiry:
		b = wire.AppendU32(b, m.CLTVExpiry)
	case CodeFinalIncorrectHTLCAmount:
		b = wire.AppendU64(b, uint64(m.HTLCAmount))
	case CodeInvalidOnionPayload:
		b = wire.AppendBigSize(b, m.PayloadType)
		b = wire.AppendU16(b, m.PayloadOffset)
	}
	if err != nil {
		return b, fmt.Errorf("%w: channel_update: %v", ErrFailureMessage, err)
	}
	return append(b, m.Rest...), nil
}

// DecodeFailureMessage decodes a failuremsg. Fields a known code requires
// must be present; bytes after them are kept in Rest.
func DecodeFailureMessage(b []byte) (*FailureMessage, error) {
	r := wire.NewReader(b)
	m := &FailureMessage{Code: FailureCode(r.U16("failure_code"))}
	switch m.Code {
	case CodeInvalidOnionVersion, CodeInvalidOnionHMAC, CodeInvalidOnionKey, CodeInvalidOnionBlinding:
		r.Copy(m.OnionHash[:], "sha256_of_onion")
	case CodeTemporaryChannelFailure, CodeExpiryTooSoon:
		m.ChannelUpdate = r.VarBytes16("channel_update")
	case CodeAmountBelowMinimum, CodeFeeInsufficient:
		m.HTLCAmount = wire.MilliSatoshi(r.U64("htlc_msat"))
		m.ChannelUpdate = r.VarBytes16("channel_update")
	case CodeIncorrectCLTVExpiry:
		m.CLTVExpiry = r.U32("cltv_expiry")
		m.ChannelUpdate = r.VarBytes16("channel_update")
	case CodeChannelDisabled:
		m.DisabledFlags = r.U16("disabled_flags")
		m.ChannelUpdate = r.VarBytes16("channel_update")
	case CodeIncorrectOrUnknownPaymentDetails:
		m.HTLCAmount = wire.MilliSatoshi(r.U64("htlc_msat"))
		m.Height = r.U32("height")
	case CodeFinalIncorrectCLTVExpiry:
		m.CLTVExpiry = r.U32("cltv_expiry")
	case CodeFinalIncorrectHTLCAmount:
		m.HTLCAmount = wire.MilliSatoshi(r.U64("incoming_htlc_amt"))
	case CodeInvalidOnionPayload:
		m.PayloadType = r.BigSize("type")
		m.PayloadOffset = r.U16("offset")
	}
	if rest := r.Rest(); len(rest) > 0 {
		m.Rest = append([]byte(nil), rest...)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrFailureMessage, m.Code, err)
	}
	return m, nil
}

// DecodeChannelUpdate parses ChannelUpdate as a wire.ChannelUpdate. It
// accepts the form BOLT 4 requires (with the 0x0102 type prefix) and the
// historical form without it.
func (m *FailureMessage) DecodeChannelUpdate() (*wire.ChannelUpdate, error) {
	b := m.ChannelUpdate
	if len(b) >= 2 && wire.MessageType(uint16(b[0])<<8|uint16(b[1])) == wire.MsgChannelUpdate {
		b = b[2:]
	}
	cu := &wire.ChannelUpdate{}
	if err := cu.DecodePayload(b); err != nil {
		return nil, fmt.Errorf("%w: channel_update: %v", ErrFailureMessage, err)
	}
	return cu, nil
}

// SetChannelUpdate encodes cu, with its message type prefix, into
// ChannelUpdate.
func (m *FailureMessage) SetChannelUpdate(cu *wire.ChannelUpdate) error {
	b, err := wire.EncodeMessage(cu)
	if err != nil {
		return fmt.Errorf("%w: channel_update: %v", ErrFailureMessage, err)
	}
	m.ChannelUpdate = b
	return nil
}
