package wire

func init() {
	register(MsgStfu, "stfu", func() Message { return new(Stfu) })
}

// Stfu is stfu ("SomeThing Fundamental is Underway"): the sender asks to
// quiesce the channel, or agrees to (BOLT 2, "Channel Quiescence").
type Stfu struct {
	ChannelID ChannelID
	// Initiator is 1 when the sender starts quiescence and 0 when it
	// replies to the peer's stfu. It is a byte on the wire; other values
	// are kept as received so that the message re-encodes exactly.
	Initiator uint8

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// IsInitiator reports whether the initiator byte is non-zero.
func (m *Stfu) IsInitiator() bool { return m.Initiator != 0 }

// MsgType implements Message.
func (*Stfu) MsgType() MessageType { return MsgStfu }

// AppendPayload implements Message.
func (m *Stfu) AppendPayload(b []byte) ([]byte, error) {
	b = append(append(b, m.ChannelID[:]...), m.Initiator)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *Stfu) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.Initiator = r.U8("initiator")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
