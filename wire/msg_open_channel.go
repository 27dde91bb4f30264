package wire

import (
	"github.com/btcsuite/btcd/btcutil"
)

func init() {
	register(MsgOpenChannel, "open_channel", func() Message { return new(OpenChannel) })
	register(MsgAcceptChannel, "accept_channel", func() Message { return new(AcceptChannel) })
}

// ChannelFlags is the channel_flags byte of open_channel and open_channel2.
type ChannelFlags uint8

// ChannelFlagAnnounceChannel is announce_channel, the only defined bit: the
// opener wants the channel announced to the network (BOLT 7).
const ChannelFlagAnnounceChannel ChannelFlags = 1

// AnnounceChannel reports whether the announce_channel bit is set.
func (f ChannelFlags) AnnounceChannel() bool { return f&ChannelFlagAnnounceChannel != 0 }

// ChannelKeys are the funding key, the four basepoints and the first
// per-commitment point that both sides of a channel open exchange (BOLT 2
// open_channel, accept_channel and their v2 forms; BOLT 3 "Key
// Derivation"). Decoders accept only valid points.
type ChannelKeys struct {
	// FundingKey is funding_pubkey, this side's key in the 2-of-2
	// funding output.
	FundingKey              Point
	RevocationBasepoint     Point
	PaymentBasepoint        Point
	DelayedPaymentBasepoint Point
	HTLCBasepoint           Point
	// FirstPerCommitmentPoint is first_per_commitment_point, for
	// commitment number 0.
	FirstPerCommitmentPoint Point
}

// append appends the six points in their wire order.
func (k *ChannelKeys) append(b []byte) []byte {
	b = append(b, k.FundingKey[:]...)
	b = append(b, k.RevocationBasepoint[:]...)
	b = append(b, k.PaymentBasepoint[:]...)
	b = append(b, k.DelayedPaymentBasepoint[:]...)
	b = append(b, k.HTLCBasepoint[:]...)
	return append(b, k.FirstPerCommitmentPoint[:]...)
}

// read reads the six points in their wire order.
func (k *ChannelKeys) read(r *Reader) {
	k.FundingKey = r.Point("funding_pubkey")
	k.RevocationBasepoint = r.Point("revocation_basepoint")
	k.PaymentBasepoint = r.Point("payment_basepoint")
	k.DelayedPaymentBasepoint = r.Point("delayed_payment_basepoint")
	k.HTLCBasepoint = r.Point("htlc_basepoint")
	k.FirstPerCommitmentPoint = r.Point("first_per_commitment_point")
}

// OpenChannel is open_channel, the first message of channel establishment
// v1 (BOLT 2, "The open_channel Message").
//
// Optional TLVs: UpfrontShutdownScript and ChannelType are nil when their
// record is absent. A non-nil pointer means the record is present; it may
// point to an empty slice, which BOLT 2 gives a meaning of its own (an
// upfront_shutdown_script of length 0 opts out of the feature, "0x0000"),
// so absent and empty are kept apart and both round-trip exactly.
type OpenChannel struct {
	ChainHash          ChainHash
	TemporaryChannelID ChannelID
	// FundingAmount is funding_satoshis.
	FundingAmount btcutil.Amount
	// PushAmount is push_msat, given to the receiver at open.
	PushAmount MilliSatoshi
	// DustLimit is dust_limit_satoshis.
	DustLimit btcutil.Amount
	// MaxHTLCValueInFlight is max_htlc_value_in_flight_msat.
	MaxHTLCValueInFlight MilliSatoshi
	// ChannelReserve is channel_reserve_satoshis.
	ChannelReserve btcutil.Amount
	// HTLCMinimum is htlc_minimum_msat.
	HTLCMinimum MilliSatoshi
	// FeeRate is feerate_per_kw for the commitment transactions.
	FeeRate          SatPerKWeight
	ToSelfDelay      uint16
	MaxAcceptedHTLCs uint16
	Keys             ChannelKeys
	ChannelFlags     ChannelFlags

	// UpfrontShutdownScript is the upfront_shutdown_script TLV (type 0).
	UpfrontShutdownScript *[]byte
	// ChannelType is the channel_type TLV (type 1): a feature bitmap
	// naming the channel type.
	ChannelType *FeatureVector

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*OpenChannel) MsgType() MessageType { return MsgOpenChannel }

// AppendPayload implements Message.
func (m *OpenChannel) AppendPayload(b []byte) ([]byte, error) {
	if err := satInRange("funding_satoshis", m.FundingAmount); err != nil {
		return b, err
	}
	if err := satInRange("dust_limit_satoshis", m.DustLimit); err != nil {
		return b, err
	}
	if err := satInRange("channel_reserve_satoshis", m.ChannelReserve); err != nil {
		return b, err
	}
	b = append(b, m.ChainHash[:]...)
	b = append(b, m.TemporaryChannelID[:]...)
	b = AppendU64(b, uint64(m.FundingAmount))
	b = AppendU64(b, uint64(m.PushAmount))
	b = AppendU64(b, uint64(m.DustLimit))
	b = AppendU64(b, uint64(m.MaxHTLCValueInFlight))
	b = AppendU64(b, uint64(m.ChannelReserve))
	b = AppendU64(b, uint64(m.HTLCMinimum))
	b = AppendU32(b, uint32(m.FeeRate))
	b = AppendU16(b, m.ToSelfDelay)
	b = AppendU16(b, m.MaxAcceptedHTLCs)
	b = m.Keys.append(b)
	b = append(b, byte(m.ChannelFlags))
	return appendOpeningTLVs(b, m.UpfrontShutdownScript, m.ChannelType, false, m.Extra)
}

// DecodePayload implements Message.
func (m *OpenChannel) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChainHash[:], "chain_hash")
	r.Copy(m.TemporaryChannelID[:], "temporary_channel_id")
	m.FundingAmount = readSat(&r, "funding_satoshis")
	m.PushAmount = MilliSatoshi(r.U64("push_msat"))
	m.DustLimit = readSat(&r, "dust_limit_satoshis")
	m.MaxHTLCValueInFlight = MilliSatoshi(r.U64("max_htlc_value_in_flight_msat"))
	m.ChannelReserve = readSat(&r, "channel_reserve_satoshis")
	m.HTLCMinimum = MilliSatoshi(r.U64("htlc_minimum_msat"))
	m.FeeRate = SatPerKWeight(r.U32("feerate_per_kw"))
	m.ToSelfDelay = r.U16("to_self_delay")
	m.MaxAcceptedHTLCs = r.U16("max_accepted_htlcs")
	m.Keys.read(&r)
	m.ChannelFlags = ChannelFlags(r.U8("channel_flags"))
	return openingTLVs{&m.UpfrontShutdownScript, &m.ChannelType, nil, &m.Extra}.decode(&r)
}

// AcceptChannel is accept_channel, the fundee's reply to open_channel
// (BOLT 2, "The accept_channel Message"). Its optional TLVs follow the
// same representation as OpenChannel's.
type AcceptChannel struct {
	TemporaryChannelID ChannelID
	// DustLimit is dust_limit_satoshis.
	DustLimit btcutil.Amount
	// MaxHTLCValueInFlight is max_htlc_value_in_flight_msat.
	MaxHTLCValueInFlight MilliSatoshi
	// ChannelReserve is channel_reserve_satoshis.
	ChannelReserve btcutil.Amount
	// HTLCMinimum is htlc_minimum_msat.
	HTLCMinimum MilliSatoshi
	// MinimumDepth is minimum_depth, in blocks.
	MinimumDepth     uint32
	ToSelfDelay      uint16
	MaxAcceptedHTLCs uint16
	Keys             ChannelKeys

	// UpfrontShutdownScript is the upfront_shutdown_script TLV (type 0);
	// nil when absent, see OpenChannel.
	UpfrontShutdownScript *[]byte
	// ChannelType is the channel_type TLV (type 1); nil when absent.
	ChannelType *FeatureVector

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*AcceptChannel) MsgType() MessageType { return MsgAcceptChannel }

// AppendPayload implements Message.
func (m *AcceptChannel) AppendPayload(b []byte) ([]byte, error) {
	if err := satInRange("dust_limit_satoshis", m.DustLimit); err != nil {
		return b, err
	}
	if err := satInRange("channel_reserve_satoshis", m.ChannelReserve); err != nil {
		return b, err
	}
	b = append(b, m.TemporaryChannelID[:]...)
	b = AppendU64(b, uint64(m.DustLimit))
	b = AppendU64(b, uint64(m.MaxHTLCValueInFlight))
	b = AppendU64(b, uint64(m.ChannelReserve))
	b = AppendU64(b, uint64(m.HTLCMinimum))
	b = AppendU32(b, m.MinimumDepth)
	b = AppendU16(b, m.ToSelfDelay)
	b = AppendU16(b, m.MaxAcceptedHTLCs)
	b = m.Keys.append(b)
	return appendOpeningTLVs(b, m.UpfrontShutdownScript, m.ChannelType, false, m.Extra)
}

// DecodePayload implements Message.
func (m *AcceptChannel) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.TemporaryChannelID[:], "temporary_channel_id")
	m.DustLimit = readSat(&r, "dust_limit_satoshis")
	m.MaxHTLCValueInFlight = MilliSatoshi(r.U64("max_htlc_value_in_flight_msat"))
	m.ChannelReserve = readSat(&r, "channel_reserve_satoshis")
	m.HTLCMinimum = MilliSatoshi(r.U64("htlc_minimum_msat"))
	m.MinimumDepth = r.U32("minimum_depth")
	m.ToSelfDelay = r.U16("to_self_delay")
	m.MaxAcceptedHTLCs = r.U16("max_accepted_htlcs")
	m.Keys.read(&r)
	return openingTLVs{&m.UpfrontShutdownScript, &m.ChannelType, nil, &m.Extra}.decode(&r)
}
