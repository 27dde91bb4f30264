package wire

import "github.com/btcsuite/btcd/btcutil"

func init() {
	register(MsgTxInitRBF, "tx_init_rbf", func() Message { return new(TxInitRBF) })
	register(MsgTxAckRBF, "tx_ack_rbf", func() Message { return new(TxAckRBF) })
}

// TLV types of the tx_init_rbf and tx_ack_rbf extensions. Type 2 is
// TLVRequireConfirmedInputs.
const (
	// TLVFundingOutputContribution is funding_output_contribution, an
	// s64 amount of satoshis.
	TLVFundingOutputContribution = 0
)

// TxInitRBF is tx_init_rbf: the sender asks to replace a completed
// interactive transaction with one paying a higher feerate (BOLT 2, "The
// tx_init_rbf Message").
type TxInitRBF struct {
	ChannelID ChannelID
	// LockTime is the replacement's nLockTime.
	LockTime uint32
	// FeeRate is feerate, in satoshi per 1000 weight.
	FeeRate SatPerKWeight

	// FundingOutputContribution is the funding_output_contribution TLV
	// (type 0): what the sender puts into (or, when negative in a splice,
	// takes out of) the funding output. Nil when absent, which means no
	// contribution.
	FundingOutputContribution *btcutil.Amount
	// RequireConfirmedInputs is the require_confirmed_inputs TLV (type 2).
	RequireConfirmedInputs bool

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*TxInitRBF) MsgType() MessageType { return MsgTxInitRBF }

// AppendPayload implements Message.
func (m *TxInitRBF) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = AppendU32(b, m.LockTime)
	b = AppendU32(b, uint32(m.FeeRate))
	return appendRBFTLVs(b, m.FundingOutputContribution, m.RequireConfirmedInputs, m.Extra)
}

// DecodePayload implements Message.
func (m *TxInitRBF) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.LockTime = r.U32("locktime")
	m.FeeRate = SatPerKWeight(r.U32("feerate"))
	return decodeRBFTLVs(&r, &m.FundingOutputContribution, &m.RequireConfirmedInputs, &m.Extra)
}

// TxAckRBF is tx_ack_rbf, the acceptance of a tx_init_rbf (BOLT 2, "The
// tx_ack_rbf Message").
type TxAckRBF struct {
	ChannelID ChannelID

	// FundingOutputContribution is the funding_output_contribution TLV
	// (type 0); nil when absent.
	FundingOutputContribution *btcutil.Amount
	// RequireConfirmedInputs is the require_confirmed_inputs TLV (type 2).
	RequireConfirmedInputs bool

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*TxAckRBF) MsgType() MessageType { return MsgTxAckRBF }

// AppendPayload implements Message.
func (m *TxAckRBF) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	return appendRBFTLVs(b, m.FundingOutputContribution, m.RequireConfirmedInputs, m.Extra)
}

// DecodePayload implements Message.
func (m *TxAckRBF) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	return decodeRBFTLVs(&r, &m.FundingOutputContribution, &m.RequireConfirmedInputs, &m.Extra)
}

// appendRBFTLVs writes the TLV stream shared by tx_init_rbf and tx_ack_rbf.
func appendRBFTLVs(b []byte, contrib *btcutil.Amount, requireConfirmed bool, extra ExtraTLVs) ([]byte, error) {
	if contrib != nil {
		if err := signedSatInRange("funding_output_contribution", *contrib); err != nil {
			return b, err
		}
	}
	w := NewTLVWriter(b, extra)
	if contrib != nil {
		v := s64Bytes(int64(*contrib))
		w.Bytes(TLVFundingOutputContribution, v[:])
	}
	if requireConfirmed {
		w.Bytes(TLVRequireConfirmedInputs, nil)
	}
	return w.Finish()
}

// decodeRBFTLVs decodes the rest of r as the TLV stream shared by
// tx_init_rbf and tx_ack_rbf. contrib is nil for splice_init and
// splice_ack, which define only require_confirmed_inputs.
func decodeRBFTLVs(r *Reader, contrib **btcutil.Amount, requireConfirmed *bool, extra *ExtraTLVs) error {
	if contrib != nil {
		*contrib = nil
	}
	*requireConfirmed, *extra = false, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch {
		case tr.Type() == TLVFundingOutputContribution && contrib != nil:
			if v, ok := tlvS64(&tr); ok {
				a := btcutil.Amount(v)
				if err := signedSatInRange("funding_output_contribution", a); err != nil {
					tr.Fail(err)
				} else {
					*contrib = &a
				}
			}
		case tr.Type() == TLVRequireConfirmedInputs:
			*requireConfirmed = tlvFlag(&tr)
		default:
			extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, r)
}
