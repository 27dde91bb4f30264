package wire

import (
	"fmt"
	"hash/crc32"
	"math"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func init() {
	register(MsgChannelUpdate, "channel_update", func() Message { return new(ChannelUpdate) })
}

// ChanUpdateMsgFlags is the message_flags bitfield of channel_update.
type ChanUpdateMsgFlags uint8

// Bits of message_flags.
const (
	// ChanUpdateMustBeOne must be set by the sender and is ignored by
	// receivers (it once announced the presence of htlc_maximum_msat,
	// which is now always present).
	ChanUpdateMustBeOne ChanUpdateMsgFlags = 1 << 0
	// ChanUpdateDontForward marks an update meant only for the channel
	// peer, for example one about an unannounced channel.
	ChanUpdateDontForward ChanUpdateMsgFlags = 1 << 1
)

// ChanUpdateChanFlags is the channel_flags bitfield of channel_update.
type ChanUpdateChanFlags uint8

// Bits of channel_flags.
const (
	// ChanUpdateDirection is 0 when node_id_1 of the channel_announcement
	// sent the update and 1 when node_id_2 did.
	ChanUpdateDirection ChanUpdateChanFlags = 1 << 0
	// ChanUpdateDisabled marks the channel as unusable for now.
	ChanUpdateDisabled ChanUpdateChanFlags = 1 << 1
)

// channelUpdateSigLen is the size of the signature field.
const channelUpdateSigLen = 64

// ChannelUpdate announces one direction's relay policy for a channel
// (BOLT 7, "The channel_update Message").
type ChannelUpdate struct {
	Signature      Signature
	ChainHash      ChainHash
	ShortChannelID ShortChannelID
	Timestamp      uint32
	MessageFlags   ChanUpdateMsgFlags
	ChannelFlags   ChanUpdateChanFlags
	// CLTVExpiryDelta is the number of blocks the node subtracts from an
	// incoming HTLC's cltv_expiry.
	CLTVExpiryDelta uint16
	HTLCMinimum     MilliSatoshi
	// FeeBase is fee_base_msat, a u32 on the wire: encoding fails above
	// 4294967295 msat.
	FeeBase MilliSatoshi
	// FeeProportionalMillionths is charged per million msat forwarded.
	FeeProportionalMillionths uint32
	HTLCMaximum               MilliSatoshi
	// Extra holds unknown odd TLV records of the extension. They are
	// covered by the signature.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*ChannelUpdate) MsgType() MessageType { return MsgChannelUpdate }

// AppendPayload implements Message.
func (m *ChannelUpdate) AppendPayload(b []byte) ([]byte, error) {
	if m.FeeBase > math.MaxUint32 {
		return b, fmt.Errorf("%w: fee_base_msat %d does not fit in a u32", ErrInvalidField, uint64(m.FeeBase))
	}
	b = append(b, m.Signature[:]...)
	b = append(b, m.ChainHash[:]...)
	b = AppendShortChannelID(b, m.ShortChannelID)
	b = AppendU32(b, m.Timestamp)
	b = append(b, byte(m.MessageFlags), byte(m.ChannelFlags))
	b = AppendU16(b, m.CLTVExpiryDelta)
	b = AppendU64(b, uint64(m.HTLCMinimum))
	b = AppendU32(b, uint32(m.FeeBase))
	b = AppendU32(b, m.FeeProportionalMillionths)
	b = AppendU64(b, uint64(m.HTLCMaximum))
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message. htlc_maximum_msat is always read: BOLT 7
// now requires it whatever must_be_one says.
func (m *ChannelUpdate) DecodePayload(p []byte) error {
	r := NewReader(p)
	m.Signature = r.Signature("signature")
	r.Copy(m.ChainHash[:], "chain_hash")
	m.ShortChannelID = r.ShortChannelID("short_channel_id")
	m.Timestamp = r.U32("timestamp")
	m.MessageFlags = ChanUpdateMsgFlags(r.U8("message_flags"))
	m.ChannelFlags = ChanUpdateChanFlags(r.U8("channel_flags"))
	m.CLTVExpiryDelta = r.U16("cltv_expiry_delta")
	m.HTLCMinimum = MilliSatoshi(r.U64("htlc_minimum_msat"))
	m.FeeBase = MilliSatoshi(r.U32("fee_base_msat"))
	m.FeeProportionalMillionths = r.U32("fee_proportional_millionths")
	m.HTLCMaximum = MilliSatoshi(r.U64("htlc_maximum_msat"))
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}

// Direction returns 0 if node_id_1 sent the update and 1 if node_id_2 did.
func (m *ChannelUpdate) Direction() int { return int(m.ChannelFlags & ChanUpdateDirection) }

// IsDisabled reports the disable bit of channel_flags.
func (m *ChannelUpdate) IsDisabled() bool { return m.ChannelFlags&ChanUpdateDisabled != 0 }

// DontForward reports the dont_forward bit of message_flags.
func (m *ChannelUpdate) DontForward() bool { return m.MessageFlags&ChanUpdateDontForward != 0 }

// SignatureDigest returns the hash the signature signs: the double-SHA256
// of the message after the signature, extension included.
func (m *ChannelUpdate) SignatureDigest() (chainhash.Hash, error) {
	return gossipDigest(m, channelUpdateSigLen)
}

// VerifySignature checks the signature against nodeID, which the caller
// takes from the channel_announcement: NodeID1 when Direction is 0,
// NodeID2 otherwise. The error wraps ErrGossipSignature.
func (m *ChannelUpdate) VerifySignature(nodeID Point) error {
	h, err := m.SignatureDigest()
	if err != nil {
		return err
	}
	return verifyGossipSig(m.Signature, nodeID, h, "signature")
}

// Checksum returns the CRC32C (Castagnoli) checksum that reply_channel_range
// reports for this update: over the message without its signature and
// timestamp fields (BOLT 7, "The query_channel_range and reply_channel_range
// Messages"). The extension is included.
func (m *ChannelUpdate) Checksum() (uint32, error) {
	var buf [256]byte
	p, err := m.AppendPayload(buf[:0])
	if err != nil {
		return 0, err
	}
	// Payload layout: signature (64), chain_hash (32), short_channel_id
	// (8), timestamp (4), then the rest.
	const tsOff = channelUpdateSigLen + 32 + 8
	c := crc32.Update(0, castagnoli, p[channelUpdateSigLen:tsOff])
	return crc32.Update(c, castagnoli, p[tsOff+4:]), nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)
