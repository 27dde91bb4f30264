package wire

func init() {
	register(MsgPeerStorage, "peer_storage", func() Message { return new(PeerStorage) })
	register(MsgPeerStorageRetrieval, "peer_storage_retrieval", func() Message { return new(PeerStorageRetrieval) })
}

// PeerStorage asks a peer that offers option_provide_storage to keep a blob
// for the sender (BOLT 1, "Peer Storage"). The blob is opaque to the peer;
// the sender should encrypt it.
type PeerStorage struct {
	// Blob is the data to store.
	Blob []byte
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*PeerStorage) MsgType() MessageType { return MsgPeerStorage }

// AppendPayload implements Message.
func (m *PeerStorage) AppendPayload(b []byte) ([]byte, error) {
	b, err := AppendVarBytes16(b, m.Blob)
	if err != nil {
		return b, err
	}
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *PeerStorage) DecodePayload(p []byte) error {
	r := NewReader(p)
	m.Blob = r.VarBytes16("blob")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}

// PeerStorageRetrieval returns to a peer the latest blob it stored with
// PeerStorage (BOLT 1, "Peer Storage").
type PeerStorageRetrieval struct {
	// Blob is the stored data, unchanged.
	Blob []byte
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*PeerStorageRetrieval) MsgType() MessageType { return MsgPeerStorageRetrieval }

// AppendPayload implements Message.
func (m *PeerStorageRetrieval) AppendPayload(b []byte) ([]byte, error) {
	b, err := AppendVarBytes16(b, m.Blob)
	if err != nil {
		return b, err
	}
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *PeerStorageRetrieval) DecodePayload(p []byte) error {
	r := NewReader(p)
	m.Blob = r.VarBytes16("blob")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
