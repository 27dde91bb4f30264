package wire

func init() {
	register(MsgOnionMessage, "onion_message", func() Message { return new(OnionMessage) })
}

// OnionMessage carries an onion-routed message between nodes that offer
// option_onion_messages (BOLT 4, "The onion_message Message"). This package
// only frames it: building and peeling the packet is the onion layer's job.
type OnionMessage struct {
	// PathKey is path_key (formerly blinding): the route-blinding point
	// the receiving hop needs to decrypt its part of the packet.
	PathKey Point
	// Packet is onion_message_packet: version, public key, the variable
	// length onionmsg_payloads and an HMAC.
	Packet []byte
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*OnionMessage) MsgType() MessageType { return MsgOnionMessage }

// AppendPayload implements Message.
func (m *OnionMessage) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.PathKey[:]...)
	b, err := AppendVarBytes16(b, m.Packet)
	if err != nil {
		return b, err
	}
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *OnionMessage) DecodePayload(p []byte) error {
	r := NewReader(p)
	m.PathKey = r.Point("path_key")
	m.Packet = r.VarBytes16("onion_message_packet")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
