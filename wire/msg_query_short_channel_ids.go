package wire

import "fmt"

func init() {
	register(MsgQueryShortChannelIDs, "query_short_channel_ids", func() Message { return new(QueryShortChannelIDs) })
	register(MsgReplyShortChannelIDsEnd, "reply_short_channel_ids_end", func() Message { return new(ReplyShortChannelIDsEnd) })
}

// TLV types of the query_short_channel_ids extension.
const (
	// TLVQueryFlags is query_flags: one flag per short_channel_id.
	TLVQueryFlags = 1
)

// QueryShortChannelIDs asks a peer for the announcements and updates of
// specific channels (BOLT 7, "The query_short_channel_ids/
// reply_short_channel_ids_end Messages").
//
// The lists are kept as received (EncodedShortIDs, EncodedQueryFlags) so the
// message re-encodes exactly; ShortChannelIDs and Flags decode them, and
// SetShortChannelIDs and SetFlags build them.
type QueryShortChannelIDs struct {
	ChainHash ChainHash
	// EncodedShortIDs is encoded_short_ids, encoding byte included.
	EncodedShortIDs EncodedShortIDs
	// QueryFlags is the query_flags TLV (encoding byte included), nil
	// when absent. Decoding requires at least the encoding byte.
	QueryFlags EncodedQueryFlags
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*QueryShortChannelIDs) MsgType() MessageType { return MsgQueryShortChannelIDs }

// AppendPayload implements Message.
func (m *QueryShortChannelIDs) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChainHash[:]...)
	b, err := AppendVarBytes16(b, m.EncodedShortIDs)
	if err != nil {
		return b, fmt.Errorf("encoded_short_ids: %w", err)
	}
	w := NewTLVWriter(b, m.Extra)
	if m.QueryFlags != nil {
		w.Bytes(TLVQueryFlags, m.QueryFlags)
	}
	return w.Finish()
}

// DecodePayload implements Message. The lists are not interpreted here:
// BOLT 7 lets a receiver merely warn about a bad list, and checking one
// means decompressing it. Use ShortChannelIDs and Flags.
func (m *QueryShortChannelIDs) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChainHash[:], "chain_hash")
	m.EncodedShortIDs = r.VarBytes16("encoded_short_ids")
	m.QueryFlags, m.Extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVQueryFlags:
			m.QueryFlags = tlvEncodedList(&tr)
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}

// ShortChannelIDs decodes EncodedShortIDs; see EncodedShortIDs.Decode for
// the errors, which include ErrSCIDsNotAscending.
func (m *QueryShortChannelIDs) ShortChannelIDs() ([]ShortChannelID, error) {
	return m.EncodedShortIDs.Decode()
}

// Flags decodes the query_flags TLV and checks that it holds exactly one
// flag per short_channel_id (ErrListLength otherwise). It returns nil, nil
// when the TLV is absent, in which case the querier wants everything.
func (m *QueryShortChannelIDs) Flags() ([]QueryFlags, error) {
	if m.QueryFlags == nil {
		return nil, nil
	}
	flags, err := m.QueryFlags.Decode()
	if err != nil {
		return nil, err
	}
	ids, err := m.ShortChannelIDs()
	if err != nil {
		return nil, err
	}
	if len(flags) != len(ids) {
		return nil, fmt.Errorf("%w: %d query flags for %d short_channel_ids", ErrListLength, len(flags), len(ids))
	}
	return flags, nil
}

// SetShortChannelIDs encodes ids (strictly ascending) into EncodedShortIDs.
func (m *QueryShortChannelIDs) SetShortChannelIDs(enc Encoding, ids []ShortChannelID) error {
	e, err := EncodeShortIDs(enc, ids)
	if err != nil {
		return err
	}
	m.EncodedShortIDs = e
	return nil
}

// SetFlags encodes flags into the query_flags TLV, or removes the TLV when
// flags is nil.
func (m *QueryShortChannelIDs) SetFlags(enc Encoding, flags []QueryFlags) error {
	if flags == nil {
		m.QueryFlags = nil
		return nil
	}
	e, err := EncodeQueryFlags(enc, flags)
	if err != nil {
		return err
	}
	m.QueryFlags = e
	return nil
}

// tlvEncodedList returns a private copy of the current record, which must
// hold at least its encoding_type byte.
func tlvEncodedList(tr *TLVReader) []byte {
	v := tr.Value()
	if len(v) == 0 {
		tr.FailValue("want an encoding_type byte")
		return nil
	}
	return append([]byte(nil), v...)
}

// ReplyShortChannelIDsEnd ends the replies to a query_short_channel_ids.
type ReplyShortChannelIDsEnd struct {
	ChainHash ChainHash
	// FullInformation is 0 when the sender does not keep up-to-date
	// information for ChainHash, and should be 1 otherwise. It is kept
	// as the byte received.
	FullInformation uint8
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*ReplyShortChannelIDsEnd) MsgType() MessageType { return MsgReplyShortChannelIDsEnd }

// AppendPayload implements Message.
func (m *ReplyShortChannelIDsEnd) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChainHash[:]...)
	b = append(b, m.FullInformation)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *ReplyShortChannelIDsEnd) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChainHash[:], "chain_hash")
	m.FullInformation = r.U8("full_information")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
