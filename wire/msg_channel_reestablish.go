package wire

import "github.com/btcsuite/btcd/chaincfg/chainhash"

func init() {
	register(MsgChannelReestablish, "channel_reestablish", func() Message { return new(ChannelReestablish) })
}

// TLV types of channel_reestablish_tlvs.
//
// They follow the newest stored text of BOLT 2 (with splicing), which is
// later than the bolts commit of the test vectors (a3772650): there
// next_funding is type 1 and carries a retransmit_flags byte after the
// txid, and my_current_funding_locked is type 5. Earlier drafts differ: the
// dual-funding text used type 0 for a txid-only next_funding, which is
// refused here as an unknown even type (BOLT 1), and a splicing draft used
// types 1 and 3 for 32-byte your_last_funding_locked and
// my_current_funding_locked, whose type 1 is refused here for its length.
const (
	// TLVNextFunding is next_funding.
	TLVNextFunding = 1
	// TLVMyCurrentFundingLocked is my_current_funding_locked.
	TLVMyCurrentFundingLocked = 5
)

// Bits of NextFunding.RetransmitFlags.
const (
	// RetransmitCommitmentSigned asks the peer to retransmit its
	// commitment_signed for next_funding_txid.
	RetransmitCommitmentSigned uint8 = 1 << 0
)

// Bits of FundingLocked.RetransmitFlags.
const (
	// RetransmitAnnouncementSignatures asks the peer to retransmit
	// announcement_signatures for the locked funding transaction.
	RetransmitAnnouncementSignatures uint8 = 1 << 0
)

// NextFunding is the next_funding TLV of channel_reestablish: an
// interactive funding transaction whose signing was interrupted.
type NextFunding struct {
	// TxID is next_funding_txid.
	TxID chainhash.Hash
	// RetransmitFlags is a bitfield; see RetransmitCommitmentSigned.
	// Undefined bits are kept as received.
	RetransmitFlags uint8
}

// FundingLocked is the my_current_funding_locked TLV of
// channel_reestablish: the latest funding (or splice) transaction the
// sender considers locked.
type FundingLocked struct {
	// TxID is my_current_funding_locked_txid.
	TxID chainhash.Hash
	// RetransmitFlags is a bitfield; see
	// RetransmitAnnouncementSignatures. Undefined bits are kept as
	// received.
	RetransmitFlags uint8
}

// ChannelReestablish is channel_reestablish, sent for each channel on
// reconnection to agree on what was received (BOLT 2, "Message
// Retransmission").
//
// The data-loss-protect fields your_last_per_commitment_secret and
// my_current_per_commitment_point are mandatory in the current spec and
// always present.
type ChannelReestablish struct {
	ChannelID ChannelID
	// NextCommitmentNumber is next_commitment_number.
	NextCommitmentNumber uint64
	// NextRevocationNumber is next_revocation_number.
	NextRevocationNumber uint64
	// YourLastPerCommitmentSecret is your_last_per_commitment_secret
	// (all zeroes before any revocation).
	YourLastPerCommitmentSecret [32]byte
	// MyCurrentPerCommitmentPoint is my_current_per_commitment_point.
	// Unlike the other points in this package it is NOT validated on
	// decode: BOLT 2 says the receiver MUST ignore it (and only MAY
	// require a valid point), so a bad value must not make the whole
	// message fail. Call Validate on it to apply the stricter rule.
	MyCurrentPerCommitmentPoint Point

	// NextFunding is the next_funding TLV (type 1); nil when absent.
	NextFunding *NextFunding
	// MyCurrentFundingLocked is the my_current_funding_locked TLV
	// (type 5); nil when absent.
	MyCurrentFundingLocked *FundingLocked

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*ChannelReestablish) MsgType() MessageType { return MsgChannelReestablish }

// AppendPayload implements Message.
func (m *ChannelReestablish) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = AppendU64(b, m.NextCommitmentNumber)
	b = AppendU64(b, m.NextRevocationNumber)
	b = append(b, m.YourLastPerCommitmentSecret[:]...)
	b = append(b, m.MyCurrentPerCommitmentPoint[:]...)
	w := NewTLVWriter(b, m.Extra)
	var v [chainhash.HashSize + 1]byte
	if m.NextFunding != nil {
		copy(v[:], m.NextFunding.TxID[:])
		v[chainhash.HashSize] = m.NextFunding.RetransmitFlags
		w.Bytes(TLVNextFunding, v[:])
	}
	if m.MyCurrentFundingLocked != nil {
		copy(v[:], m.MyCurrentFundingLocked.TxID[:])
		v[chainhash.HashSize] = m.MyCurrentFundingLocked.RetransmitFlags
		w.Bytes(TLVMyCurrentFundingLocked, v[:])
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *ChannelReestablish) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.NextCommitmentNumber = r.U64("next_commitment_number")
	m.NextRevocationNumber = r.U64("next_revocation_number")
	r.Copy(m.YourLastPerCommitmentSecret[:], "your_last_per_commitment_secret")
	r.Copy(m.MyCurrentPerCommitmentPoint[:], "my_current_per_commitment_point")
	m.NextFunding, m.MyCurrentFundingLocked, m.Extra = nil, nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVNextFunding:
			if v := tlvFixed(&tr, chainhash.HashSize+1, "a 32-byte txid and a flags byte"); v != nil {
				nf := &NextFunding{RetransmitFlags: v[chainhash.HashSize]}
				copy(nf.TxID[:], v)
				m.NextFunding = nf
			}
		case TLVMyCurrentFundingLocked:
			if v := tlvFixed(&tr, chainhash.HashSize+1, "a 32-byte txid and a flags byte"); v != nil {
				fl := &FundingLocked{RetransmitFlags: v[chainhash.HashSize]}
				copy(fl.TxID[:], v)
				m.MyCurrentFundingLocked = fl
			}
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}
