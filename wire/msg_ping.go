package wire

func init() {
	register(MsgPing, "ping", func() Message { return new(Ping) })
	register(MsgPong, "pong", func() Message { return new(Pong) })
}

// MaxPongBytes is the bound on num_pong_bytes above which BOLT 1 says a
// ping must be ignored rather than answered.
const MaxPongBytes = 65531

// Ping is the BOLT 1 ping message, used to keep a connection alive and to
// hide traffic patterns.
type Ping struct {
	// NumPongBytes is how many bytes of padding the pong should carry.
	NumPongBytes uint16
	// Padding is ignored by the receiver; its length is byteslen.
	Padding []byte
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*Ping) MsgType() MessageType { return MsgPing }

// AppendPayload implements Message.
func (m *Ping) AppendPayload(b []byte) ([]byte, error) {
	b = AppendU16(b, m.NumPongBytes)
	b, err := AppendVarBytes16(b, m.Padding)
	if err != nil {
		return b, err
	}
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *Ping) DecodePayload(p []byte) error {
	r := NewReader(p)
	m.NumPongBytes = r.U16("num_pong_bytes")
	m.Padding = r.VarBytes16("ignored")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}

// Pong is the BOLT 1 reply to a ping.
type Pong struct {
	// Padding must be NumPongBytes long.
	Padding []byte
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*Pong) MsgType() MessageType { return MsgPong }

// AppendPayload implements Message.
func (m *Pong) AppendPayload(b []byte) ([]byte, error) {
	b, err := AppendVarBytes16(b, m.Padding)
	if err != nil {
		return b, err
	}
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *Pong) DecodePayload(p []byte) error {
	r := NewReader(p)
	m.Padding = r.VarBytes16("ignored")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
