package wire

import "github.com/btcsuite/btcd/btcutil"

func init() {
	register(MsgOpenChannel2, "open_channel2", func() Message { return new(OpenChannel2) })
	register(MsgAcceptChannel2, "accept_channel2", func() Message { return new(AcceptChannel2) })
}

// OpenChannel2 is open_channel2, the first message of channel
// establishment v2, in which both sides may contribute funds through the
// interactive transaction protocol (BOLT 2, "The open_channel2 Message").
//
// The optional TLVs UpfrontShutdownScript and ChannelType follow the
// representation documented on OpenChannel: nil is absent, a pointer to an
// empty value is a present record of length 0.
type OpenChannel2 struct {
	ChainHash ChainHash
	// TemporaryChannelID is derived with a zeroed basepoint for the peer.
	TemporaryChannelID ChannelID
	// FundingFeeRate is funding_feerate_perkw, for the funding
	// transaction.
	FundingFeeRate SatPerKWeight
	// CommitmentFeeRate is commitment_feerate_perkw.
	CommitmentFeeRate SatPerKWeight
	// FundingAmount is funding_satoshis, the opener's contribution.
	FundingAmount btcutil.Amount
	// DustLimit is dust_limit_satoshis.
	DustLimit btcutil.Amount
	// MaxHTLCValueInFlight is max_htlc_value_in_flight_msat.
	MaxHTLCValueInFlight MilliSatoshi
	// HTLCMinimum is htlc_minimum_msat.
	HTLCMinimum      MilliSatoshi
	ToSelfDelay      uint16
	MaxAcceptedHTLCs uint16
	// LockTime is the funding transaction's nLockTime.
	LockTime uint32
	Keys     ChannelKeys
	// SecondPerCommitmentPoint is second_per_commitment_point.
	SecondPerCommitmentPoint Point
	ChannelFlags             ChannelFlags

	// UpfrontShutdownScript is the upfront_shutdown_script TLV (type 0).
	UpfrontShutdownScript *[]byte
	// ChannelType is the channel_type TLV (type 1).
	ChannelType *FeatureVector
	// RequireConfirmedInputs is the require_confirmed_inputs TLV (type 2,
	// no data): the peer may only add confirmed inputs.
	RequireConfirmedInputs bool

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*OpenChannel2) MsgType() MessageType { return MsgOpenChannel2 }

// AppendPayload implements Message.
func (m *OpenChannel2) AppendPayload(b []byte) ([]byte, error) {
	if err := satInRange("funding_satoshis", m.FundingAmount); err != nil {
		return b, err
	}
	if err := satInRange("dust_limit_satoshis", m.DustLimit); err != nil {
		return b, err
	}
	b = append(b, m.ChainHash[:]...)
	b = append(b, m.TemporaryChannelID[:]...)
	b = AppendU32(b, uint32(m.FundingFeeRate))
	b = AppendU32(b, uint32(m.CommitmentFeeRate))
	b = AppendU64(b, uint64(m.FundingAmount))
	b = AppendU64(b, uint64(m.DustLimit))
	b = AppendU64(b, uint64(m.MaxHTLCValueInFlight))
	b = AppendU64(b, uint64(m.HTLCMinimum))
	b = AppendU16(b, m.ToSelfDelay)
	b = AppendU16(b, m.MaxAcceptedHTLCs)
	b = AppendU32(b, m.LockTime)
	b = m.Keys.append(b)
	b = append(b, m.SecondPerCommitmentPoint[:]...)
	b = append(b, byte(m.ChannelFlags))
	return appendOpeningTLVs(b, m.UpfrontShutdownScript, m.ChannelType, m.RequireConfirmedInputs, m.Extra)
}

// DecodePayload implements Message.
func (m *OpenChannel2) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChainHash[:], "chain_hash")
	r.Copy(m.TemporaryChannelID[:], "temporary_channel_id")
	m.FundingFeeRate = SatPerKWeight(r.U32("funding_feerate_perkw"))
	m.CommitmentFeeRate = SatPerKWeight(r.U32("commitment_feerate_perkw"))
	m.FundingAmount = readSat(&r, "funding_satoshis")
	m.DustLimit = readSat(&r, "dust_limit_satoshis")
	m.MaxHTLCValueInFlight = MilliSatoshi(r.U64("max_htlc_value_in_flight_msat"))
	m.HTLCMinimum = MilliSatoshi(r.U64("htlc_minimum_msat"))
	m.ToSelfDelay = r.U16("to_self_delay")
	m.MaxAcceptedHTLCs = r.U16("max_accepted_htlcs")
	m.LockTime = r.U32("locktime")
	m.Keys.read(&r)
	m.SecondPerCommitmentPoint = r.Point("second_per_commitment_point")
	m.ChannelFlags = ChannelFlags(r.U8("channel_flags"))
	return openingTLVs{&m.UpfrontShutdownScript, &m.ChannelType, &m.RequireConfirmedInputs, &m.Extra}.decode(&r)
}

// AcceptChannel2 is accept_channel2, the accepter's reply to open_channel2
// (BOLT 2, "The accept_channel2 Message"). Its optional TLVs follow the
// representation documented on OpenChannel.
type AcceptChannel2 struct {
	// TemporaryChannelID repeats open_channel2's.
	TemporaryChannelID ChannelID
	// FundingAmount is funding_satoshis, the accepter's contribution
	// (possibly zero).
	FundingAmount btcutil.Amount
	// DustLimit is dust_limit_satoshis.
	DustLimit btcutil.Amount
	// MaxHTLCValueInFlight is max_htlc_value_in_flight_msat.
	MaxHTLCValueInFlight MilliSatoshi
	// HTLCMinimum is htlc_minimum_msat.
	HTLCMinimum MilliSatoshi
	// MinimumDepth is minimum_depth, in blocks.
	MinimumDepth     uint32
	ToSelfDelay      uint16
	MaxAcceptedHTLCs uint16
	Keys             ChannelKeys
	// SecondPerCommitmentPoint is second_per_commitment_point.
	SecondPerCommitmentPoint Point

	// UpfrontShutdownScript is the upfront_shutdown_script TLV (type 0).
	UpfrontShutdownScript *[]byte
	// ChannelType is the channel_type TLV (type 1).
	ChannelType *FeatureVector
	// RequireConfirmedInputs is the require_confirmed_inputs TLV (type 2).
	RequireConfirmedInputs bool

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*AcceptChannel2) MsgType() MessageType { return MsgAcceptChannel2 }

// AppendPayload implements Message.
func (m *AcceptChannel2) AppendPayload(b []byte) ([]byte, error) {
	if err := satInRange("funding_satoshis", m.FundingAmount); err != nil {
		return b, err
	}
	if err := satInRange("dust_limit_satoshis", m.DustLimit); err != nil {
		return b, err
	}
	b = append(b, m.TemporaryChannelID[:]...)
	b = AppendU64(b, uint64(m.FundingAmount))
	b = AppendU64(b, uint64(m.DustLimit))
	b = AppendU64(b, uint64(m.MaxHTLCValueInFlight))
	b = AppendU64(b, uint64(m.HTLCMinimum))
	b = AppendU32(b, m.MinimumDepth)
	b = AppendU16(b, m.ToSelfDelay)
	b = AppendU16(b, m.MaxAcceptedHTLCs)
	b = m.Keys.append(b)
	b = append(b, m.SecondPerCommitmentPoint[:]...)
	return appendOpeningTLVs(b, m.UpfrontShutdownScript, m.ChannelType, m.RequireConfirmedInputs, m.Extra)
}

// DecodePayload implements Message.
func (m *AcceptChannel2) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.TemporaryChannelID[:], "temporary_channel_id")
	m.FundingAmount = readSat(&r, "funding_satoshis")
	m.DustLimit = readSat(&r, "dust_limit_satoshis")
	m.MaxHTLCValueInFlight = MilliSatoshi(r.U64("max_htlc_value_in_flight_msat"))
	m.HTLCMinimum = MilliSatoshi(r.U64("htlc_minimum_msat"))
	m.MinimumDepth = r.U32("minimum_depth")
	m.ToSelfDelay = r.U16("to_self_delay")
	m.MaxAcceptedHTLCs = r.U16("max_accepted_htlcs")
	m.Keys.read(&r)
	m.SecondPerCommitmentPoint = r.Point("second_per_commitment_point")
	return openingTLVs{&m.UpfrontShutdownScript, &m.ChannelType, &m.RequireConfirmedInputs, &m.Extra}.decode(&r)
}
