package wire

func init() {
	register(MsgUpdateFee, "update_fee", func() Message { return new(UpdateFee) })
}

// UpdateFee is update_fee: the channel's fee payer sets a new commitment
// feerate (BOLT 2, "Updating Fees: update_fee").
type UpdateFee struct {
	ChannelID ChannelID
	// FeeRate is feerate_per_kw.
	FeeRate SatPerKWeight

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*UpdateFee) MsgType() MessageType { return MsgUpdateFee }

// AppendPayload implements Message.
func (m *UpdateFee) AppendPayload(b []byte) ([]byte, error) {
	b = AppendU32(append(b, m.ChannelID[:]...), uint32(m.FeeRate))
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *UpdateFee) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.FeeRate = SatPerKWeight(r.U32("feerate_per_kw"))
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
