package wire

func init() {
	register(MsgShutdown, "shutdown", func() Message { return new(Shutdown) })
}

// Shutdown is shutdown: the sender starts a mutual close and names where
// its funds go (BOLT 2, "Closing Initiation: shutdown").
type Shutdown struct {
	ChannelID ChannelID
	// ScriptPubKey is the sender's output script. Which forms are
	// acceptable depends on negotiated features, so this package does
	// not check it.
	ScriptPubKey []byte

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*Shutdown) MsgType() MessageType { return MsgShutdown }

// AppendPayload implements Message.
func (m *Shutdown) AppendPayload(b []byte) ([]byte, error) {
	b, err := AppendVarBytes16(append(b, m.ChannelID[:]...), m.ScriptPubKey)
	if err != nil {
		return b, err
	}
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *Shutdown) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.ScriptPubKey = r.VarBytes16("scriptpubkey")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
