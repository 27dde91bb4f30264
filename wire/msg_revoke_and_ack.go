package wire

func init() {
	register(MsgRevokeAndAck, "revoke_and_ack", func() Message { return new(RevokeAndAck) })
}

// RevokeAndAck is revoke_and_ack: the sender revokes its previous
// commitment transaction (BOLT 2, "Completing the Transition to the
// Updated State: revoke_and_ack").
type RevokeAndAck struct {
	ChannelID ChannelID
	// PerCommitmentSecret is the secret of the revoked commitment.
	PerCommitmentSecret [32]byte
	// NextPerCommitmentPoint is next_per_commitment_point.
	NextPerCommitmentPoint Point

	// Extra holds unknown odd TLV records of the extension.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*RevokeAndAck) MsgType() MessageType { return MsgRevokeAndAck }

// AppendPayload implements Message.
func (m *RevokeAndAck) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.ChannelID[:]...)
	b = append(b, m.PerCommitmentSecret[:]...)
	b = append(b, m.NextPerCommitmentPoint[:]...)
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message.
func (m *RevokeAndAck) DecodePayload(p []byte) error {
	r := NewReader(p)
	r.Copy(m.ChannelID[:], "channel_id")
	r.Copy(m.PerCommitmentSecret[:], "per_commitment_secret")
	m.NextPerCommitmentPoint = r.Point("next_per_commitment_point")
	m.Extra = nil
	return decodeExtension(&r, &m.Extra)
}
