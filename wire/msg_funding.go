package wire

import "github.com/btcsuite/btcd/chaincfg/chainhash"

func init() {
	register(MsgFundingCreated, "funding_created", func() Message { return new(FundingCreated) })
	register(MsgFundingSigned, "funding_signed", func() Message { return new(FundingSigned) })
}

// FundingCreated is funding_created: the funder names the funding outpoint
// and signs the fundee's first commitment transaction (BOLT 2, "The
// funding_created Message").
type FundingCreated struct {
	TemporaryChannelID ChannelID
	// FundingTxID is funding_txid, in the byte order of a serialized
	// transaction (as chainhash.Hash stores it).
	FundingTxID chainhash.Hash
	// FundingOutputIndex is funding_output_index.
	FundingOutputIndex uint16
	// Signature signs the fundee's commitment transaction.
	Signature Signature

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*FundingCreated) MsgType() MessageType { return MsgFundingCreated }

// AppendPayload implements Message.
func (m *FundingCreated) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.TemporaryChannelID[:]...)
	b = append(b, m.FundingTxID[:]...)
	b = AppendU16(b, m.FundingOutputIndex)
	b = append(b, m.Signature[:]...)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *FundingCreated) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.TemporaryChannelID[:], "temporary_channel_id")
	r.Copy(m.FundingTxID[:], "funding_txid")
	m.FundingOutputIndex = r.U16("funding_output_index")
	m.Signature = r.Signature("signature")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}

// FundingSigned is funding_signed: the fundee's signature for the funder's
// first commitment transaction, and the first message to use the real
// channel_id (BOLT 2, "The funding_signed Message").
type FundingSigned struct {
	ChannelID ChannelID
	Signature Signature

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*FundingSigned) MsgType() MessageType { return MsgFundingSigned }

// AppendPayload implements Message.
func (m *FundingSigned) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = append(b, m.Signature[:]...)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *FundingSigned) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.Signature = r.Signature("signature")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
