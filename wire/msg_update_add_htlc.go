package wire

func init() {
	register(MsgUpdateAddHTLC, "update_add_htlc", func() Message { return new(UpdateAddHTLC) })
}

// OnionPacketSize is the size of a payment onion (BOLT 4): version, 33-byte
// ephemeral key, 1300 bytes of routing information and a 32-byte HMAC.
const OnionPacketSize = 1366

// TLV types of the update_add_htlc extension.
const (
	// TLVUpdateAddBlindedPath carries the path_key of a blinded route.
	TLVUpdateAddBlindedPath = 0
)

// UpdateAddHTLC offers an HTLC to the peer (BOLT 2, "Adding an HTLC").
type UpdateAddHTLC struct {
	ChannelID   ChannelID
	ID          uint64
	Amount      MilliSatoshi
	PaymentHash PaymentHash
	// Expiry is cltv_expiry, an absolute block height.
	Expiry uint32
	// OnionPacket is onion_routing_packet.
	OnionPacket [OnionPacketSize]byte

	// PathKey is the blinded_path TLV: the path key a blinded hop needs
	// to decrypt its onion. Nil when the HTLC is not in a blinded route.
	PathKey *Point

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*UpdateAddHTLC) MsgType() MessageType { return MsgUpdateAddHTLC }

// AppendPayload implements Message.
func (m *UpdateAddHTLC) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = AppendU64(b, m.ID)
	b = AppendU64(b, uint64(m.Amount))
	b = append(b, m.PaymentHash[:]...)
	b = AppendU32(b, m.Expiry)
	b = append(b, m.OnionPacket[:]...)
	w := NewTLVWriter(b, m.Extra)
	if m.PathKey != nil {
		w.Bytes(TLVUpdateAddBlindedPath, m.PathKey[:])
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *UpdateAddHTLC) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.ID = r.U64("id")
	m.Amount = MilliSatoshi(r.U64("amount_msat"))
	r.Copy(m.PaymentHash[:], "payment_hash")
	m.Expiry = r.U32("cltv_expiry")
	r.Copy(m.OnionPacket[:], "onion_routing_packet")
	m.PathKey, m.Extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVUpdateAddBlindedPath:
			m.PathKey = tlvPoint(&tr)
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}
