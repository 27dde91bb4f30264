package wire

import (
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// The splice messages follow BOLT 2 "Channel Splicing". The only stored
// copy of 02-peer-protocol.md with that section is newer than the bolts
// commit of the test vectors (a3772650); the field tables below are taken
// from it, and no JSON vector covers them.

func init() {
	register(MsgSpliceInit, "splice_init", func() Message { return new(SpliceInit) })
	register(MsgSpliceAck, "splice_ack", func() Message { return new(SpliceAck) })
	register(MsgSpliceLocked, "splice_locked", func() Message { return new(SpliceLocked) })
}

// SpliceInit is splice_init: the quiescence initiator proposes to replace
// the funding transaction (BOLT 2, "The splice_init Message").
type SpliceInit struct {
	ChannelID ChannelID
	// FundingContribution is funding_contribution_satoshis, an s64:
	// positive to splice funds in, negative to splice them out.
	FundingContribution btcutil.Amount
	// FundingFeeRate is funding_feerate_perkw, for the splice transaction.
	FundingFeeRate SatPerKWeight
	// LockTime is the splice transaction's nLockTime.
	LockTime uint32
	// FundingKey is funding_pubkey for the new funding output.
	FundingKey Point

	// RequireConfirmedInputs is the require_confirmed_inputs TLV (type 2).
	RequireConfirmedInputs bool

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*SpliceInit) MsgType() MessageType { return MsgSpliceInit }

// AppendPayload implements Message.
func (m *SpliceInit) AppendPayload(b []byte) ([]byte, error) {
	if err := signedSatInRange("funding_contribution_satoshis", m.FundingContribution); err != nil {
		return b, err
	}
	b = append(b, m.ChannelID[:]...)
	b = AppendS64(b, int64(m.FundingContribution))
	b = AppendU32(b, uint32(m.FundingFeeRate))
	b = AppendU32(b, m.LockTime)
	b = append(b, m.FundingKey[:]...)
	return appendRBFTLVs(b, nil, m.RequireConfirmedInputs, m.Extra)
}

// DecodePayload implements Message.
func (m *SpliceInit) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.FundingContribution = readSignedSat(&r, "funding_contribution_satoshis")
	m.FundingFeeRate = SatPerKWeight(r.U32("funding_feerate_perkw"))
	m.LockTime = r.U32("locktime")
	m.FundingKey = r.Point("funding_pubkey")
	return decodeRBFTLVs(&r, nil, &m.RequireConfirmedInputs, &m.Extra)
}

// SpliceAck is splice_ack, the acceptance of a splice_init (BOLT 2, "The
// splice_ack Message").
type SpliceAck struct {
	ChannelID ChannelID
	// FundingContribution is funding_contribution_satoshis (s64), possibly
	// zero.
	FundingContribution btcutil.Amount
	// FundingKey is funding_pubkey for the new funding output.
	FundingKey Point

	// RequireConfirmedInputs is the require_confirmed_inputs TLV (type 2).
	RequireConfirmedInputs bool

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*SpliceAck) MsgType() MessageType { return MsgSpliceAck }

// AppendPayload implements Message.
func (m *SpliceAck) AppendPayload(b []byte) ([]byte, error) {
	if err := signedSatInRange("funding_contribution_satoshis", m.FundingContribution); err != nil {
		return b, err
	}
	b = append(b, m.ChannelID[:]...)
	b = AppendS64(b, int64(m.FundingContribution))
	b = append(b, m.FundingKey[:]...)
	return appendRBFTLVs(b, nil, m.RequireConfirmedInputs, m.Extra)
}

// DecodePayload implements Message.
func (m *SpliceAck) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.FundingContribution = readSignedSat(&r, "funding_contribution_satoshis")
	m.FundingKey = r.Point("funding_pubkey")
	return decodeRBFTLVs(&r, nil, &m.RequireConfirmedInputs, &m.Extra)
}

// SpliceLocked is splice_locked: a splice transaction has reached
// acceptable depth (BOLT 2, "The splice_locked Message").
type SpliceLocked struct {
	ChannelID ChannelID
	// SpliceTxID is splice_txid.
	SpliceTxID chainhash.Hash

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*SpliceLocked) MsgType() MessageType { return MsgSpliceLocked }

// AppendPayload implements Message.
func (m *SpliceLocked) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = append(b, m.SpliceTxID[:]...)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *SpliceLocked) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	r.Copy(m.SpliceTxID[:], "splice_txid")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
