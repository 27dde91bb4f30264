package wire

import "encoding/binary"

func init() {
	register(MsgUpdateFulfillHTLC, "update_fulfill_htlc", func() Message { return new(UpdateFulfillHTLC) })
	register(MsgUpdateFailHTLC, "update_fail_htlc", func() Message { return new(UpdateFailHTLC) })
	register(MsgUpdateFailMalformedHTLC, "update_fail_malformed_htlc", func() Message { return new(UpdateFailMalformedHTLC) })
}

// TLV types of the update_fulfill_htlc and update_fail_htlc extensions.
const (
	// TLVAttributionData is attribution_data.
	TLVAttributionData = 1
)

// Sizes of the attribution_data TLV (BOLT 4 attributable failures): 20
// hold times (u32) followed by 210 HMACs truncated to 4 bytes.
const (
	AttributionHoldTimes = 20
	AttributionHMACs     = 210
	AttributionHMACSize  = 4
	AttributionDataSize  = AttributionHoldTimes*4 + AttributionHMACs*AttributionHMACSize
)

// AttributionData is the value of the attribution_data TLV of
// update_fulfill_htlc and update_fail_htlc: htlc_hold_times (20 u32) then
// truncated_hmacs (210 times 4 bytes), 920 bytes in all. It is kept as the
// raw bytes the BOLT 4 processing shifts and authenticates; HoldTime and
// HMAC read its parts.
type AttributionData [AttributionDataSize]byte

// HoldTime returns the i-th htlc_hold_times entry (0 <= i < 20).
func (a *AttributionData) HoldTime(i int) uint32 {
	return binary.BigEndian.Uint32(a[4*i:])
}

// SetHoldTime sets the i-th htlc_hold_times entry.
func (a *AttributionData) SetHoldTime(i int, v uint32) {
	binary.BigEndian.PutUint32(a[4*i:], v)
}

// HMAC returns the i-th truncated HMAC (0 <= i < 210) as a sub-slice.
func (a *AttributionData) HMAC(i int) []byte {
	off := AttributionHoldTimes*4 + AttributionHMACSize*i
	return a[off : off+AttributionHMACSize : off+AttributionHMACSize]
}

// appendAttribution writes the extension of update_fulfill_htlc and
// update_fail_htlc.
func appendAttribution(b []byte, a *AttributionData, extra ExtraTLVs) ([]byte, error) {
	w := NewTLVWriter(b, extra)
	if a != nil {
		w.Bytes(TLVAttributionData, a[:])
	}
	return w.Finish()
}

// decodeAttribution decodes the rest of r as the extension of
// update_fulfill_htlc and update_fail_htlc.
func decodeAttribution(r *Reader, a **AttributionData, extra *ExtraTLVs) error {
	*a, *extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVAttributionData:
			if v := tlvFixed(&tr, AttributionDataSize, "920 bytes of attribution data"); v != nil {
				*a = new(AttributionData)
				copy((*a)[:], v)
			}
		default:
			extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, r)
}

// UpdateFulfillHTLC is update_fulfill_htlc: the sender removes an HTLC the
// peer offered by revealing its preimage (BOLT 2, "Removing an HTLC").
type UpdateFulfillHTLC struct {
	ChannelID ChannelID
	// ID is the id of the HTLC in the peer's update_add_htlc.
	ID uint64
	// PaymentPreimage is payment_preimage. It never prints (see
	// Preimage).
	PaymentPreimage Preimage

	// AttributionData is the attribution_data TLV (type 1); nil when
	// absent.
	AttributionData *AttributionData

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*UpdateFulfillHTLC) MsgType() MessageType { return MsgUpdateFulfillHTLC }

// AppendPayload implements Message.
func (m *UpdateFulfillHTLC) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = AppendU64(b, m.ID)
	b = append(b, m.PaymentPreimage[:]...)
	return appendAttribution(b, m.AttributionData, m.Extra)
}

// DecodePayload implements Message.
func (m *UpdateFulfillHTLC) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.ID = r.U64("id")
	r.Copy(m.PaymentPreimage[:], "payment_preimage")
	return decodeAttribution(&r, &m.AttributionData, &m.Extra)
}

// UpdateFailHTLC is update_fail_htlc: the sender removes an HTLC the peer
// offered, returning an encrypted failure for the payment's origin
// (BOLT 2, "Removing an HTLC"; the reason is BOLT 4's).
type UpdateFailHTLC struct {
	ChannelID ChannelID
	// ID is the id of the HTLC in the peer's update_add_htlc.
	ID uint64
	// Reason is the opaque, encrypted failure.
	Reason []byte

	// AttributionData is the attribution_data TLV (type 1); nil when
	// absent.
	AttributionData *AttributionData

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*UpdateFailHTLC) MsgType() MessageType { return MsgUpdateFailHTLC }

// AppendPayload implements Message.
func (m *UpdateFailHTLC) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = AppendU64(b, m.ID)
	b, err := AppendVarBytes16(b, m.Reason)
	if err != nil {
		return b, err
	}
	return appendAttribution(b, m.AttributionData, m.Extra)
}

// DecodePayload implements Message.
func (m *UpdateFailHTLC) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.ID = r.U64("id")
	m.Reason = r.VarBytes16("reason")
	return decodeAttribution(&r, &m.AttributionData, &m.Extra)
}

// UpdateFailMalformedHTLC is update_fail_malformed_htlc: the sender could
// not parse the onion of an HTLC the peer offered (BOLT 2, "Removing an
// HTLC"). The receiver must check that FailureCode has the BADONION bit;
// this package does not, as that is a rule of the channel.
type UpdateFailMalformedHTLC struct {
	ChannelID ChannelID
	// ID is the id of the HTLC in the peer's update_add_htlc.
	ID uint64
	// OnionSHA256 is sha256_of_onion, the hash of the onion received.
	OnionSHA256 [32]byte
	// FailureCode is a BOLT 4 failure code.
	FailureCode uint16

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*UpdateFailMalformedHTLC) MsgType() MessageType { return MsgUpdateFailMalformedHTLC }

// AppendPayload implements Message.
func (m *UpdateFailMalformedHTLC) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = AppendU64(b, m.ID)
	b = append(b, m.OnionSHA256[:]...)
	b = AppendU16(b, m.FailureCode)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *UpdateFailMalformedHTLC) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.ID = r.U64("id")
	r.Copy(m.OnionSHA256[:], "sha256_of_onion")
	m.FailureCode = r.U16("failure_code")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
