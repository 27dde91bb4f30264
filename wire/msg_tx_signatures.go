package wire

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
)

func init() {
	register(MsgTxSignatures, "tx_signatures", func() Message { return new(TxSignatures) })
}

// TLV types of the tx_signatures extension.
const (
	// TLVTxSignaturesSharedInputSignature is shared_input_signature, the
	// sender's signature for the shared funding input of a splice.
	TLVTxSignaturesSharedInputSignature = 0
)

// TxSignatures is tx_signatures: the sender's witnesses for the inputs it
// added to an interactively built transaction (BOLT 2, "The tx_signatures
// Message").
type TxSignatures struct {
	ChannelID ChannelID
	// TxID is the txid of the transaction being signed.
	TxID chainhash.Hash
	// Witnesses holds one witness_data per input the sender added, in
	// serial_id order. Each is kept exactly as received: a witness stack
	// in Bitcoin's serialization (a CompactSize count, then each element
	// with a CompactSize length). ParseWitness and EncodeWitness convert
	// to and from btcd's TxWitness. This package does not check the
	// inner encoding; that and the rule against empty witnesses belong to
	// the negotiation.
	Witnesses [][]byte

	// SharedInputSignature is the shared_input_signature TLV (type 0).
	// Nil when absent.
	SharedInputSignature *Signature

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*TxSignatures) MsgType() MessageType { return MsgTxSignatures }

// AppendPayload implements Message.
func (m *TxSignatures) AppendPayload(b []byte) ([]byte, error) {
	if len(m.Witnesses) > 0xffff {
		return b, fmt.Errorf("num_witnesses: %w", ErrFieldTooLong)
	}
	b = append(b, m.ChannelID[:]...)
	b = append(b, m.TxID[:]...)
	b = AppendU16(b, uint16(len(m.Witnesses)))
	for _, w := range m.Witnesses {
		var err error
		if b, err = AppendVarBytes16(b, w); err != nil {
			return b, err
		}
	}
	w := NewTLVWriter(b, m.Extra)
	if m.SharedInputSignature != nil {
		w.Bytes(TLVTxSignaturesSharedInputSignature, m.SharedInputSignature[:])
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *TxSignatures) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	r.Copy(m.TxID[:], "txid")
	n := int(r.U16("num_witnesses"))
	m.Witnesses = nil
	// Every witness takes at least its 2-byte length: refuse a count the
	// rest of the payload cannot hold before allocating for it.
	if 2*n > r.Len() {
		r.Fail(fmt.Errorf("witnesses: %d declared: %w", n, ErrTruncated))
	}
	if n > 0 && r.Err() == nil {
		m.Witnesses = make([][]byte, n)
		for i := range m.Witnesses {
			m.Witnesses[i] = r.VarBytes16("witness")
		}
	}
	m.SharedInputSignature, m.Extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVTxSignaturesSharedInputSignature:
			m.SharedInputSignature = tlvSignature(&tr)
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}

// EncodeWitness serializes a witness stack as tx_signatures carries it:
// a CompactSize element count, then each element with a CompactSize length.
func EncodeWitness(w btcwire.TxWitness) []byte {
	var buf bytes.Buffer
	buf.Grow(w.SerializeSize())
	// Writes to a bytes.Buffer cannot fail.
	_ = btcwire.WriteVarInt(&buf, 0, uint64(len(w)))
	for _, item := range w {
		_ = btcwire.WriteVarBytes(&buf, 0, item)
	}
	return buf.Bytes()
}

// ParseWitness decodes one witness_data of tx_signatures into a stack. It
// requires canonical CompactSize values and that the data be used exactly,
// and never allocates more than the input's size justifies.
func ParseWitness(b []byte) (btcwire.TxWitness, error) {
	r := bytes.NewReader(b)
	n, err := btcwire.ReadVarInt(r, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: witness element count: %v", ErrInvalidField, err)
	}
	// Each element needs at least one byte for its length.
	if n > uint64(r.Len()) {
		return nil, fmt.Errorf("%w: %d witness elements in %d bytes", ErrInvalidField, n, r.Len())
	}
	stack := make(btcwire.TxWitness, n)
	for i := range stack {
		l, err := btcwire.ReadVarInt(r, 0)
		if err != nil {
			return nil, fmt.Errorf("%w: witness element %d length: %v", ErrInvalidField, i, err)
		}
		if l > uint64(r.Len()) {
			return nil, fmt.Errorf("%w: witness element %d: %d bytes wanted, %d left", ErrInvalidField, i, l, r.Len())
		}
		stack[i] = make([]byte, l)
		_, _ = r.Read(stack[i])
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the witness stack", ErrInvalidField, r.Len())
	}
	return stack, nil
}
