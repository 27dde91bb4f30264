package wire

import "github.com/btcsuite/btcd/btcutil"

func init() {
	register(MsgClosingComplete, "closing_complete", func() Message { return new(ClosingComplete) })
	register(MsgClosingSig, "closing_sig", func() Message { return new(ClosingSig) })
}

// TLV types of closing_tlvs, shared by closing_complete and closing_sig.
const (
	// TLVCloserOutputOnly signs the closing transaction with only the
	// closer's output.
	TLVCloserOutputOnly = 1
	// TLVCloseeOutputOnly signs the closing transaction with only the
	// closee's output.
	TLVCloseeOutputOnly = 2
	// TLVCloserAndCloseeOutputs signs the closing transaction with both
	// outputs.
	TLVCloserAndCloseeOutputs = 3
)

// ClosingSigs are the closing_tlvs signatures of closing_complete and
// closing_sig, one per variant of the closing transaction. Each is nil
// when its record is absent. Which must be present is a rule of the
// negotiation (closing_sig carries exactly one), not of the encoding.
type ClosingSigs struct {
	// CloserOutputOnly is closer_output_only (type 1).
	CloserOutputOnly *Signature
	// CloseeOutputOnly is closee_output_only (type 2).
	CloseeOutputOnly *Signature
	// CloserAndCloseeOutputs is closer_and_closee_outputs (type 3).
	CloserAndCloseeOutputs *Signature
}

// ClosingComplete is closing_complete: under option_simple_close, the
// closer proposes a closing transaction for which it pays the fee (BOLT 2,
// "Closing Negotiation: closing_complete and closing_sig").
type ClosingComplete struct {
	ChannelID ChannelID
	// CloserScript is closer_scriptpubkey, the sender's output script.
	CloserScript []byte
	// CloseeScript is closee_scriptpubkey, the receiver's output script.
	CloseeScript []byte
	// Fee is fee_satoshis, paid from the closer's output.
	Fee btcutil.Amount
	// LockTime is the closing transaction's nLockTime.
	LockTime uint32
	// Sigs are the signatures of closing_tlvs.
	Sigs ClosingSigs

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*ClosingComplete) MsgType() MessageType { return MsgClosingComplete }

// AppendPayload implements Message.
func (m *ClosingComplete) AppendPayload(b []byte) ([]byte, error) {
	return appendClosing(b, &m.ChannelID, m.CloserScript, m.CloseeScript, m.Fee, m.LockTime, &m.Sigs, m.Extra)
}

// DecodePayload implements Message.
func (m *ClosingComplete) DecodePayload(p []byte) error {
	return decodeClosing(p, &m.ChannelID, &m.CloserScript, &m.CloseeScript, &m.Fee, &m.LockTime, &m.Sigs, &m.Extra)
}

// ClosingSig is closing_sig: the closee's signature for the transaction a
// closing_complete proposed. It repeats the proposal's scripts, fee and
// locktime so that a mismatch can be detected.
type ClosingSig struct {
	ChannelID ChannelID
	// CloserScript is closer_scriptpubkey, as in the closing_complete.
	CloserScript []byte
	// CloseeScript is closee_scriptpubkey, as in the closing_complete.
	CloseeScript []byte
	// Fee is fee_satoshis, as in the closing_complete.
	Fee btcutil.Amount
	// LockTime is locktime, as in the closing_complete.
	LockTime uint32
	// Sigs are the signatures of closing_tlvs (one, in a valid message).
	Sigs ClosingSigs

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*ClosingSig) MsgType() MessageType { return MsgClosingSig }

// AppendPayload implements Message.
func (m *ClosingSig) AppendPayload(b []byte) ([]byte, error) {
	return appendClosing(b, &m.ChannelID, m.CloserScript, m.CloseeScript, m.Fee, m.LockTime, &m.Sigs, m.Extra)
}

// DecodePayload implements Message.
func (m *ClosingSig) DecodePayload(p []byte) error {
	return decodeClosing(p, &m.ChannelID, &m.CloserScript, &m.CloseeScript, &m.Fee, &m.LockTime, &m.Sigs, &m.Extra)
}

// appendClosing encodes the body shared by closing_complete and
// closing_sig.
func appendClosing(b []byte, id *ChannelID, closer, closee []byte, fee btcutil.Amount, lockTime uint32, sigs *ClosingSigs, extra ExtraTLVs) ([]byte, error) {
	if err := satInRange("fee_satoshis", fee); err != nil {
		return b, err
	}
	b = append(b, id[:]...)
	b, err := AppendVarBytes16(b, closer)
	if err != nil {
		return b, err
	}
	if b, err = AppendVarBytes16(b, closee); err != nil {
		return b, err
	}
	b = AppendU64(b, uint64(fee))
	b = AppendU32(b, lockTime)
	w := NewTLVWriter(b, extra)
	if sigs.CloserOutputOnly != nil {
		w.Bytes(TLVCloserOutputOnly, sigs.CloserOutputOnly[:])
	}
	if sigs.CloseeOutputOnly != nil {
		w.Bytes(TLVCloseeOutputOnly, sigs.CloseeOutputOnly[:])
	}
	if sigs.CloserAndCloseeOutputs != nil {
		w.Bytes(TLVCloserAndCloseeOutputs, sigs.CloserAndCloseeOutputs[:])
	}
	return w.Finish()
}

// decodeClosing decodes the body shared by closing_complete and
// closing_sig.
func decodeClosing(p []byte, id *ChannelID, closer, closee *[]byte, fee *btcutil.Amount, lockTime *uint32, sigs *ClosingSigs, extra *ExtraTLVs) error {
	r := NewReader(p)
	r.Copy(id[:], "channel_id")
	*closer = r.VarBytes16("closer_scriptpubkey")
	*closee = r.VarBytes16("closee_scriptpubkey")
	*fee = readSat(&r, "fee_satoshis")
	*lockTime = r.U32("locktime")
	*sigs, *extra = ClosingSigs{}, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVCloserOutputOnly:
			sigs.CloserOutputOnly = tlvSignature(&tr)
		case TLVCloseeOutputOnly:
			sigs.CloseeOutputOnly = tlvSignature(&tr)
		case TLVCloserAndCloseeOutputs:
			sigs.CloserAndCloseeOutputs = tlvSignature(&tr)
		default:
			extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}
