package wire

import (
	"encoding/binary"

	"github.com/btcsuite/btcd/btcutil"
)

func init() {
	register(MsgClosingSigned, "closing_signed", func() Message { return new(ClosingSigned) })
}

// TLV types of the closing_signed extension.
const (
	// TLVClosingSignedFeeRange is fee_range.
	TLVClosingSignedFeeRange = 1
)

// FeeRange is the fee_range TLV of closing_signed: the fees, in satoshis,
// that the sender accepts for the closing transaction.
type FeeRange struct {
	// Min is min_fee_satoshis.
	Min btcutil.Amount
	// Max is max_fee_satoshis.
	Max btcutil.Amount
}

// ClosingSigned is closing_signed, the legacy fee negotiation of a mutual
// close, used when option_simple_close is not negotiated (BOLT 2, "Legacy
// Closing Negotiation: closing_signed").
type ClosingSigned struct {
	ChannelID ChannelID
	// Fee is fee_satoshis, the fee of the signed closing transaction.
	Fee       btcutil.Amount
	Signature Signature

	// FeeRange is the fee_range TLV (type 1); nil when absent.
	FeeRange *FeeRange

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*ClosingSigned) MsgType() MessageType { return MsgClosingSigned }

// AppendPayload implements Message.
func (m *ClosingSigned) AppendPayload(b []byte) ([]byte, error) {
	if err := satInRange("fee_satoshis", m.Fee); err != nil {
		return b, err
	}
	if m.FeeRange != nil {
		if err := satInRange("min_fee_satoshis", m.FeeRange.Min); err != nil {
			return b, err
		}
		if err := satInRange("max_fee_satoshis", m.FeeRange.Max); err != nil {
			return b, err
		}
	}
	b = append(b, m.ChannelID[:]...)
	b = AppendU64(b, uint64(m.Fee))
	b = append(b, m.Signature[:]...)
	w := NewTLVWriter(b, m.Extra)
	if m.FeeRange != nil {
		var v [16]byte
		binary.BigEndian.PutUint64(v[:8], uint64(m.FeeRange.Min))
		binary.BigEndian.PutUint64(v[8:], uint64(m.FeeRange.Max))
		w.Bytes(TLVClosingSignedFeeRange, v[:])
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *ClosingSigned) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.Fee = readSat(&r, "fee_satoshis")
	m.Signature = r.Signature("signature")
	m.FeeRange, m.Extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVClosingSignedFeeRange:
			if v := tlvFixed(&tr, 16, "two u64 fees"); v != nil {
				lo, okLo := tlvSat(&tr, v[:8], "min_fee_satoshis")
				hi, okHi := tlvSat(&tr, v[8:], "max_fee_satoshis")
				if okLo && okHi {
					m.FeeRange = &FeeRange{Min: lo, Max: hi}
				}
			}
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}
