package wire

func init() {
	register(MsgAnnouncementSignatures, "announcement_signatures", func() Message { return new(AnnouncementSignatures) })
}

// AnnouncementSignatures gives the channel peer the sender's two signatures
// for the channel_announcement of their channel (BOLT 7, "The
// announcement_signatures Message"). They sign
// ChannelAnnouncement.SignatureDigest.
type AnnouncementSignatures struct {
	ChannelID      ChannelID
	ShortChannelID ShortChannelID
	// NodeSignature is made with the sender's node key.
	NodeSignature Signature
	// BitcoinSignature is made with the sender's funding key.
	BitcoinSignature Signature
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*AnnouncementSignatures) MsgType() MessageType { return MsgAnnouncementSignatures }

// AppendPayload implements Message.
func (m *AnnouncementSignatures) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = AppendShortChannelID(b, m.ShortChannelID)
	b = append(b, m.NodeSignature[:]...)
	b = append(b, m.BitcoinSignature[:]...)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *AnnouncementSignatures) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.ShortChannelID = r.ShortChannelID("short_channel_id")
	m.NodeSignature = r.Signature("node_signature")
	m.BitcoinSignature = r.Signature("bitcoin_signature")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
