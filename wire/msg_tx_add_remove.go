package wire

import (
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func init() {
	register(MsgTxAddInput, "tx_add_input", func() Message { return new(TxAddInput) })
	register(MsgTxAddOutput, "tx_add_output", func() Message { return new(TxAddOutput) })
	register(MsgTxRemoveInput, "tx_remove_input", func() Message { return new(TxRemoveInput) })
	register(MsgTxRemoveOutput, "tx_remove_output", func() Message { return new(TxRemoveOutput) })
	register(MsgTxComplete, "tx_complete", func() Message { return new(TxComplete) })
}

// TLV types of the tx_add_input extension.
const (
	// TLVTxAddInputSharedInputTxID is shared_input_txid, set when the
	// input spends the current channel funding output (splicing).
	TLVTxAddInputSharedInputTxID = 0
)

// TxAddInput is tx_add_input: the sender adds an input to a transaction
// under interactive construction (BOLT 2, "The tx_add_input Message").
type TxAddInput struct {
	ChannelID ChannelID
	// SerialID orders the input and identifies it for removal; its
	// parity tells who added it (even: the initiator).
	SerialID uint64
	// PrevTx is the serialized transaction whose output is spent. It is
	// empty (nil) for the shared funding input of a splice.
	PrevTx []byte
	// PrevTxVout is prevtx_vout, the index of the spent output.
	PrevTxVout uint32
	Sequence   uint32

	// SharedInputTxID is the shared_input_txid TLV (type 0): the txid of
	// the previous funding transaction when this input spends it. Nil
	// when absent.
	SharedInputTxID *chainhash.Hash

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*TxAddInput) MsgType() MessageType { return MsgTxAddInput }

// AppendPayload implements Message.
func (m *TxAddInput) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = AppendU64(b, m.SerialID)
	b, err := AppendVarBytes16(b, m.PrevTx)
	if err != nil {
		return b, err
	}
	b = AppendU32(b, m.PrevTxVout)
	b = AppendU32(b, m.Sequence)
	w := NewTLVWriter(b, m.Extra)
	if m.SharedInputTxID != nil {
		w.Bytes(TLVTxAddInputSharedInputTxID, m.SharedInputTxID[:])
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *TxAddInput) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.SerialID = r.U64("serial_id")
	m.PrevTx = r.VarBytes16("prevtx")
	m.PrevTxVout = r.U32("prevtx_vout")
	m.Sequence = r.U32("sequence")
	m.SharedInputTxID, m.Extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVTxAddInputSharedInputTxID:
			m.SharedInputTxID = tlvHash(&tr)
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}

// TxAddOutput is tx_add_output: the sender adds an output to a
// transaction under interactive construction (BOLT 2, "The tx_add_output
// Message").
type TxAddOutput struct {
	ChannelID ChannelID
	SerialID  uint64
	// Amount is sats, the output's value.
	Amount btcutil.Amount
	// Script is the output's scriptPubKey.
	Script []byte

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*TxAddOutput) MsgType() MessageType { return MsgTxAddOutput }

// AppendPayload implements Message.
func (m *TxAddOutput) AppendPayload(b []byte) ([]byte, error) {
	if err := satInRange("sats", m.Amount); err != nil {
		return b, err
	}
	b = append(b, m.ChannelID[:]...)
	b = AppendU64(b, m.SerialID)
	b = AppendU64(b, uint64(m.Amount))
	b, err := AppendVarBytes16(b, m.Script)
	if err != nil {
		return b, err
	}
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *TxAddOutput) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.SerialID = r.U64("serial_id")
	m.Amount = readSat(&r, "sats")
	m.Script = r.VarBytes16("script")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}

// TxRemoveInput is tx_remove_input: the sender removes an input it added
// (BOLT 2, "The tx_remove_input and tx_remove_output Messages").
type TxRemoveInput struct {
	ChannelID ChannelID
	SerialID  uint64

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*TxRemoveInput) MsgType() MessageType { return MsgTxRemoveInput }

// AppendPayload implements Message.
func (m *TxRemoveInput) AppendPayload(b []byte) ([]byte, error) {
	return appendChannelSerial(b, &m.ChannelID, m.SerialID, m.Extra)
}

// DecodePayload implements Message.
func (m *TxRemoveInput) DecodePayload(p []byte) error {
	return decodeChannelSerial(p, &m.ChannelID, &m.SerialID, &m.Extra)
}

// TxRemoveOutput is tx_remove_output: the sender removes an output it
// added.
type TxRemoveOutput struct {
	ChannelID ChannelID
	SerialID  uint64

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*TxRemoveOutput) MsgType() MessageType { return MsgTxRemoveOutput }

// AppendPayload implements Message.
func (m *TxRemoveOutput) AppendPayload(b []byte) ([]byte, error) {
	return appendChannelSerial(b, &m.ChannelID, m.SerialID, m.Extra)
}

// DecodePayload implements Message.
func (m *TxRemoveOutput) DecodePayload(p []byte) error {
	return decodeChannelSerial(p, &m.ChannelID, &m.SerialID, &m.Extra)
}

// appendChannelSerial encodes the channel_id, serial_id body shared by the
// two tx_remove messages.
func appendChannelSerial(b []byte, id *ChannelID, serial uint64, extra ExtraTLVs) ([]byte, error) {
	b = append(b, id[:]...)
	b = AppendU64(b, serial)
	return AppendTLVStream(b, extra)
}

// decodeChannelSerial decodes the body shared by the two tx_remove
// messages.
func decodeChannelSerial(p []byte, id *ChannelID, serial *uint64, extra *ExtraTLVs) error {
	r := NewReader(p)
	r.Copy(id[:], "channel_id")
	*serial = r.U64("serial_id")
	*extra = nil
	return decodeExtension(&r, extra)
}

// TxComplete is tx_complete: the sender has nothing more to add (BOLT 2,
// "The tx_complete Message").
type TxComplete struct {
	ChannelID ChannelID

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*TxComplete) MsgType() MessageType { return MsgTxComplete }

// AppendPayload implements Message.
func (m *TxComplete) AppendPayload(b []byte) ([]byte, error) {
	return AppendTLVStream(append(b, m.ChannelID[:]...), m.Extra)
}

// DecodePayload implements Message.
func (m *TxComplete) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
