package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func init() {
	register(MsgStartBatch, "start_batch", func() Message { return new(StartBatch) })
	register(MsgCommitmentSigned, "commitment_signed", func() Message { return new(CommitmentSigned) })
}

// TLV types of the start_batch and commitment_signed extensions.
const (
	// TLVStartBatchMessageType is message_type, the type of the batched
	// messages (132, commitment_signed, is the only one defined).
	TLVStartBatchMessageType = 1
	// TLVCommitmentSignedFundingTxID is funding_txid, the funding
	// transaction the signed commitment spends.
	TLVCommitmentSignedFundingTxID = 1
)

// MaxBatchSize is the largest batch_size a start_batch may announce (BOLT
// 2, "Batching channel messages"). The limit is a rule for the receiver
// of the batch; the decoder keeps any value.
const MaxBatchSize = 20

// StartBatch is start_batch: the next BatchSize messages for the channel
// form one logical message, used to send one commitment_signed per pending
// splice (BOLT 2, "Batching channel messages").
type StartBatch struct {
	ChannelID ChannelID
	BatchSize uint16

	// BatchMessageType is the message_type TLV (type 1); nil when absent.
	BatchMessageType *MessageType

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*StartBatch) MsgType() MessageType { return MsgStartBatch }

// AppendPayload implements Message.
func (m *StartBatch) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = AppendU16(b, m.BatchSize)
	w := NewTLVWriter(b, m.Extra)
	if m.BatchMessageType != nil {
		var v [2]byte
		binary.BigEndian.PutUint16(v[:], uint16(*m.BatchMessageType))
		w.Bytes(TLVStartBatchMessageType, v[:])
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *StartBatch) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.BatchSize = r.U16("batch_size")
	m.BatchMessageType, m.Extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVStartBatchMessageType:
			if v, ok := tlvU16(&tr); ok {
				t := MessageType(v)
				m.BatchMessageType = &t
			}
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}

// CommitmentSigned is commitment_signed: the sender's signatures for the
// peer's next commitment transaction and its HTLC transactions (BOLT 2,
// "Committing Updates So Far: commitment_signed").
type CommitmentSigned struct {
	ChannelID ChannelID
	// Signature signs the commitment transaction.
	Signature Signature
	// HTLCSignatures are the htlc_signature values, one per HTLC
	// transaction in commitment output order; nil when there are none.
	HTLCSignatures []Signature

	// FundingTxID is the funding_txid TLV (type 1); nil when absent.
	FundingTxID *chainhash.Hash

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*CommitmentSigned) MsgType() MessageType { return MsgCommitmentSigned }

// AppendPayload implements Message.
func (m *CommitmentSigned) AppendPayload(b []byte) ([]byte, error) {
	if len(m.HTLCSignatures) > 0xffff {
		return b, fmt.Errorf("num_htlcs: %w", ErrFieldTooLong)
	}
	b = append(b, m.ChannelID[:]...)
	b = append(b, m.Signature[:]...)
	b = AppendU16(b, uint16(len(m.HTLCSignatures)))
	for i := range m.HTLCSignatures {
		b = append(b, m.HTLCSignatures[i][:]...)
	}
	w := NewTLVWriter(b, m.Extra)
	if m.FundingTxID != nil {
		w.Bytes(TLVCommitmentSignedFundingTxID, m.FundingTxID[:])
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *CommitmentSigned) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.Signature = r.Signature("signature")
	n := int(r.U16("num_htlcs"))
	m.HTLCSignatures = nil
	// Take all the signatures at once: Bytes fails, before anything is
	// allocated, when num_htlcs claims more than the payload holds.
	if raw := r.Bytes(n*len(Signature{}), "htlc_signature"); n > 0 && raw != nil {
		sigs := make([]Signature, n)
		for i := range sigs {
			copy(sigs[i][:], raw[len(Signature{})*i:])
			if err := sigs[i].checkRange(); err != nil {
				r.Fail(fmt.Errorf("htlc_signature %d: %w", i, err))
				break
			}
		}
		m.HTLCSignatures = sigs
	}
	m.FundingTxID, m.Extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVCommitmentSignedFundingTxID:
			m.FundingTxID = tlvHash(&tr)
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}
