package wire

func init() {
	register(MsgGossipTimestampFilter, "gossip_timestamp_filter", func() Message { return new(GossipTimestampFilter) })
}

// GossipTimestampFilter asks a peer to send only gossip whose timestamp is
// in [FirstTimestamp, FirstTimestamp+TimestampRange) (BOLT 7, "The
// gossip_timestamp_filter Message"). A node that sends none receives no
// relayed gossip.
type GossipTimestampFilter struct {
	ChainHash      ChainHash
	FirstTimestamp uint32
	TimestampRange uint32
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*GossipTimestampFilter) MsgType() MessageType { return MsgGossipTimestampFilter }

// AppendPayload implements Message.
func (m *GossipTimestampFilter) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChainHash[:]...)
	b = AppendU32(b, m.FirstTimestamp)
	b = AppendU32(b, m.TimestampRange)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *GossipTimestampFilter) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChainHash[:], "chain_hash")
	m.FirstTimestamp = r.U32("first_timestamp")
	m.TimestampRange = r.U32("timestamp_range")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}

// Contains reports whether ts falls inside the filter's window, computing
// the end without overflow.
func (m *GossipTimestampFilter) Contains(ts uint32) bool {
	return ts >= m.FirstTimestamp && uint64(ts) < uint64(m.FirstTimestamp)+uint64(m.TimestampRange)
}
