package wire

import "encoding/binary"

func init() {
	register(MsgChannelReady, "channel_ready", func() Message { return new(ChannelReady) })
}

// TLV types of the channel_ready extension.
const (
	// TLVChannelReadyAlias is short_channel_id, carrying an alias.
	TLVChannelReadyAlias = 1
)

// ChannelReady is channel_ready (formerly funding_locked): the funding
// transaction is deep enough and the channel may be used (BOLT 2, "The
// channel_ready Message").
type ChannelReady struct {
	ChannelID ChannelID
	// SecondPerCommitmentPoint is second_per_commitment_point, for
	// commitment number 1.
	SecondPerCommitmentPoint Point

	// Alias is the short_channel_id TLV (type 1): an alias the peer may
	// use for this channel in route hints and forwarded HTLCs. Nil when
	// absent.
	Alias *ShortChannelID

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*ChannelReady) MsgType() MessageType { return MsgChannelReady }

// AppendPayload implements Message.
func (m *ChannelReady) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = append(b, m.SecondPerCommitmentPoint[:]...)
	w := NewTLVWriter(b, m.Extra)
	if m.Alias != nil {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], m.Alias.ToUint64())
		w.Bytes(TLVChannelReadyAlias, v[:])
	}
	return w.Finish()
}

// DecodePayload implements Message.
func (m *ChannelReady) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	m.SecondPerCommitmentPoint = r.Point("second_per_commitment_point")
	m.Alias, m.Extra = nil, nil
	tr := NewTLVReader(r.Rest())
	for tr.Next() {
		switch tr.Type() {
		case TLVChannelReadyAlias:
			if v := tlvFixed(&tr, 8, "an 8-byte short_channel_id"); v != nil {
				r2 := NewReader(v)
				scid := r2.ShortChannelID("alias")
				m.Alias = &scid
			}
		default:
			m.Extra.KeepOrFail(&tr)
		}
	}
	return finishTLV(&tr, &r)
}
