package wire

import "fmt"

func init() {
	register(MsgQueryChannelRange, "query_channel_range", func() Message { return new(QueryChannelRange) })
	register(MsgReplyChannelRange, "reply_channel_range", func() Message { return new(ReplyChannelRange) })
}

// TLV types of the query_channel_range and reply_channel_range extensions.
const (
	// TLVQueryOption is query_channel_range's query_option.
	TLVQueryOption = 1
	// TLVReplyTimestamps is reply_channel_range's timestamps_tlv.
	TLVReplyTimestamps = 1
	// TLVReplyChecksums is reply_channel_range's checksums_tlv.
	TLVReplyChecksums = 3
)

// QueryOption is the query_option_flags bitfield of query_channel_range.
type QueryOption uint64

// Bits of QueryOption.
const (
	// QueryOptionTimestamps asks for channel_update timestamps.
	QueryOptionTimestamps QueryOption = 1 << 0
	// QueryOptionChecksums asks for channel_update checksums.
	QueryOptionChecksums QueryOption = 1 << 1
)

// QueryChannelRange asks a peer for the channels whose funding transaction
// confirmed in a range of blocks (BOLT 7, "The query_channel_range and
// reply_channel_range Messages").
type QueryChannelRange struct {
	ChainHash      ChainHash
	FirstBlockNum  uint32
	NumberOfBlocks uint32
	// QueryOption is the query_option TLV, nil when absent.
	QueryOption *QueryOption
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*QueryChannelRange) MsgType() MessageType { return MsgQueryChannelRange }

// AppendPayload implements Message.
func (m *QueryChannelRange) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChainHash[:]...)
	b = AppendU32(b, m.FirstBlockNum)
	b = AppendU32(b, m.NumberOfBlocks)
	w := NewTLVWriter(b, m.Extra)
	if m.QueryOption != nil {
		opt := uint64(*m.QueryOption)
		w.Func(TLVQueryOption, func(b []byte) []byte { return AppendBigSize(b, opt) })
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *QueryChannelRange) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChainHash[:], "chain_hash")
	m.FirstBlockNum = r.U32("first_blocknum")
	m.NumberOfBlocks = r.U32("number_of_blocks")
	m.QueryOption, m.Extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVQueryOption:
			v, n, err := DecodeBigSize(tr.Value())
			switch {
			case err != nil:
				tr.Fail(fmt.Errorf("%w: query_option_flags: %w", ErrTLVValue, err))
			case n != len(tr.Value()):
				tr.FailValue("bytes after query_option_flags")
			default:
				opt := QueryOption(v)
				m.QueryOption = &opt
			}
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}

// EndBlock returns FirstBlockNum+NumberOfBlocks without overflowing.
func (m *QueryChannelRange) EndBlock() uint64 {
	return uint64(m.FirstBlockNum) + uint64(m.NumberOfBlocks)
}

// ChannelUpdateChecksums is one entry of checksums_tlv: the CRC32C of the
// latest channel_update from each end (see ChannelUpdate.Checksum), 0 where
// there is none.
type ChannelUpdateChecksums struct {
	NodeID1 uint32
	NodeID2 uint32
}

// ReplyChannelRange answers a query_channel_range with the channels in
// (part of) the range (BOLT 7, "The query_channel_range and
// reply_channel_range Messages").
//
// The short_channel_id and timestamp lists are kept as received; decode
// them with ShortChannelIDs and UpdateTimestamps, build them with
// SetShortChannelIDs and SetTimestamps.
type ReplyChannelRange struct {
	ChainHash      ChainHash
	FirstBlockNum  uint32
	NumberOfBlocks uint32
	// SyncComplete is sync_complete (formerly complete): 1 on the final
	// reply. It is kept as the byte received.
	SyncComplete uint8
	// EncodedShortIDs is encoded_short_ids, encoding byte included.
	EncodedShortIDs EncodedShortIDs
	// Timestamps is timestamps_tlv (encoding byte included), nil when
	// absent.
	Timestamps EncodedTimestamps
	// Checksums is checksums_tlv, nil when absent; a non-nil empty slice
	// is a TLV with no entries.
	Checksums []ChannelUpdateChecksums
	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*ReplyChannelRange) MsgType() MessageType { return MsgReplyChannelRange }

// AppendPayload implements Message.
func (m *ReplyChannelRange) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChainHash[:]...)
	b = AppendU32(b, m.FirstBlockNum)
	b = AppendU32(b, m.NumberOfBlocks)
	b = append(b, m.SyncComplete)
	b, err := AppendVarBytes16(b, m.EncodedShortIDs)
	if err != nil {
		return b, fmt.Errorf("encoded_short_ids: %w", err)
	}
	w := NewTLVWriter(b, m.Extra)
	if m.Timestamps != nil {
		w.Bytes(TLVReplyTimestamps, m.Timestamps)
	}
	if m.Checksums != nil {
		w.Func(TLVReplyChecksums, func(b []byte) []byte {
			for _, c := range m.Checksums {
				b = AppendU32(AppendU32(b, c.NodeID1), c.NodeID2)
			}
			return b
		})
	}
	return w.Finish()
}

// DecodePayload implements Message. As for QueryShortChannelIDs, the lists
// are kept as bytes and interpreted by the helper methods.
func (m *ReplyChannelRange) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChainHash[:], "chain_hash")
	m.FirstBlockNum = r.U32("first_blocknum")
	m.NumberOfBlocks = r.U32("number_of_blocks")
	m.SyncComplete = r.U8("sync_complete")
	m.EncodedShortIDs = r.VarBytes16("encoded_short_ids")
	m.Timestamps, m.Checksums, m.Extra = nil, nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVReplyTimestamps:
			m.Timestamps = tlvEncodedList(&tr)
		case TLVReplyChecksums:
			v := tr.Value()
			if len(v)%8 != 0 {
				tr.FailValue("want whole 8-byte checksum pairs")
				break
			}
			m.Checksums = make([]ChannelUpdateChecksums, len(v)/8)
			vr := NewReader(v)
			for i := range m.Checksums {
				m.Checksums[i] = ChannelUpdateChecksums{NodeID1: vr.U32("checksum_node_id_1"), NodeID2: vr.U32("checksum_node_id_2")}
			}
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}

// EndBlock returns FirstBlockNum+NumberOfBlocks without overflowing.
func (m *ReplyChannelRange) EndBlock() uint64 {
	return uint64(m.FirstBlockNum) + uint64(m.NumberOfBlocks)
}

// ShortChannelIDs decodes EncodedShortIDs; see EncodedShortIDs.Decode for
// the errors, which include ErrSCIDsNotAscending.
func (m *ReplyChannelRange) ShortChannelIDs() ([]ShortChannelID, error) {
	return m.EncodedShortIDs.Decode()
}

// UpdateTimestamps decodes the timestamps TLV and checks that it has one
// entry per short_channel_id (ErrListLength otherwise). It returns nil,
// nil when the TLV is absent.
func (m *ReplyChannelRange) UpdateTimestamps() ([]ChannelUpdateTimestamps, error) {
	if m.Timestamps == nil {
		return nil, nil
	}
	ts, err := m.Timestamps.Decode()
	if err != nil {
		return nil, err
	}
	if err := m.checkCount(len(ts), "timestamps"); err != nil {
		return nil, err
	}
	return ts, nil
}

// CheckChecksums checks that the checksums TLV, when present, has one
// entry per short_channel_id (ErrListLength otherwise).
func (m *ReplyChannelRange) CheckChecksums() error {
	if m.Checksums == nil {
		return nil
	}
	return m.checkCount(len(m.Checksums), "checksums")
}

// checkCount compares n with the number of short_channel_ids.
func (m *ReplyChannelRange) checkCount(n int, what string) error {
	ids, err := m.ShortChannelIDs()
	if err != nil {
		return err
	}
	if n != len(ids) {
		return fmt.Errorf("%w: %d %s for %d short_channel_ids", ErrListLength, n, what, len(ids))
	}
	return nil
}

// SetShortChannelIDs encodes ids (strictly ascending) into EncodedShortIDs.
func (m *ReplyChannelRange) SetShortChannelIDs(enc Encoding, ids []ShortChannelID) error {
	e, err := EncodeShortIDs(enc, ids)
	if err != nil {
		return err
	}
	m.EncodedShortIDs = e
	return nil
}

// SetTimestamps encodes ts into the timestamps TLV, or removes the TLV when
// ts is nil.
func (m *ReplyChannelRange) SetTimestamps(enc Encoding, ts []ChannelUpdateTimestamps) error {
	if ts == nil {
		m.Timestamps = nil
		return nil
	}
	e, err := EncodeTimestamps(enc, ts)
	if err != nil {
		return err
	}
	m.Timestamps = e
	return nil
}
