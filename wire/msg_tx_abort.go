package wire

func init() {
	register(MsgTxAbort, "tx_abort", func() Message { return new(TxAbort) })
}

// TxAbort is tx_abort: the sender cancels an interactive transaction
// negotiation (or a splice) without failing the channel (BOLT 2, "The
// tx_abort Message").
type TxAbort struct {
	ChannelID ChannelID
	// Data is an optional explanation. BOLT 2 asks receivers not to print
	// it verbatim unless it is printable ASCII.
	Data []byte

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*TxAbort) MsgType() MessageType { return MsgTxAbort }

// AppendPayload implements Message.
func (m *TxAbort) AppendPayload(b []byte) ([]byte, error) {
	b, err := AppendVarBytes16(append(b, m.ChannelID[:]...), m.Data)
	if err != nil {
		return b, err
	}
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *TxAbort) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.Data = r.VarBytes16("data")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
