package wtclient

import (
	"encoding/binary"
	"fmt"

	"github.com/lnkit/lnkit/wire"
)

// ErrorCode is the 2-byte code of a tower's reply (lnd's wtwire.ErrorCode).
type ErrorCode uint16

// Codes of lnd's watchtower protocol. Each reply type uses the generic
// codes and its own range.
const (
	// CodeOK: the request succeeded.
	CodeOK ErrorCode = 0
	// CodeTemporaryFailure: the tower cannot serve now; try later.
	CodeTemporaryFailure ErrorCode = 40
	// CodePermanentFailure: the tower will not serve this request (lnd
	// also sends it for an unknown session and for a sequence number the
	// client claims was already acknowledged).
	CodePermanentFailure ErrorCode = 50

	// CreateSessionCodeAlreadyExists: a session is in use for this
	// session key; the reply carries its last applied sequence number.
	CreateSessionCodeAlreadyExists ErrorCode = 60
	// CreateSessionCodeRejectMaxUpdates: max_updates refused.
	CreateSessionCodeRejectMaxUpdates ErrorCode = 61
	// CreateSessionCodeRejectRewardRate: reward rate refused.
	CreateSessionCodeRejectRewardRate ErrorCode = 62
	// CreateSessionCodeRejectSweepFeeRate: sweep fee rate refused.
	CreateSessionCodeRejectSweepFeeRate ErrorCode = 63
	// CreateSessionCodeRejectBlobType: blob type not supported.
	CreateSessionCodeRejectBlobType ErrorCode = 64

	// StateUpdateCodeClientBehind: the client echoed a last applied lower
	// than it did before.
	StateUpdateCodeClientBehind ErrorCode = 70
	// StateUpdateCodeMaxUpdatesExceeded: the sequence number passes the
	// session's max_updates.
	StateUpdateCodeMaxUpdatesExceeded ErrorCode = 71
	// StateUpdateCodeSeqNumOutOfOrder: the sequence number is neither the
	// last applied one nor the next.
	StateUpdateCodeSeqNumOutOfOrder ErrorCode = 72

	// DeleteSessionCodeNotFound: the tower knows no such session.
	DeleteSessionCodeNotFound ErrorCode = 80
)

// String names the code.
func (c ErrorCode) String() string {
	switch c {
	case CodeOK:
		return "ok"
	case CodeTemporaryFailure:
		return "temporary-failure"
	case CodePermanentFailure:
		return "permanent-failure"
	case CreateSessionCodeAlreadyExists:
		return "session-already-exists"
	case CreateSessionCodeRejectMaxUpdates:
		return "reject-max-updates"
	case CreateSessionCodeRejectRewardRate:
		return "reject-reward-rate"
	case CreateSessionCodeRejectSweepFeeRate:
		return "reject-sweep-fee-rate"
	case CreateSessionCodeRejectBlobType:
		return "reject-blob-type"
	case StateUpdateCodeClientBehind:
		return "client-behind"
	case StateUpdateCodeMaxUpdatesExceeded:
		return "max-updates-exceeded"
	case StateUpdateCodeSeqNumOutOfOrder:
		return "seqnum-out-of-order"
	case DeleteSessionCodeNotFound:
		return "session-not-found"
	default:
		return fmt.Sprintf("code-%d", uint16(c))
	}
}

// Feature bits of the watchtower Init (lnd's wtwire/features.go). They are
// a vector of their own, unrelated to BOLT 9's.
const (
	// FeatureAltruistSessionsRequired: the protocol of altruist sessions.
	FeatureAltruistSessionsRequired wire.FeatureBit = 0
	// FeatureAltruistSessionsOptional is its optional form.
	FeatureAltruistSessionsOptional wire.FeatureBit = 1
	// FeatureAnchorCommitRequired: sessions for anchor channels.
	FeatureAnchorCommitRequired wire.FeatureBit = 2
	// FeatureAnchorCommitOptional is its optional form.
	FeatureAnchorCommitOptional wire.FeatureBit = 3
	// FeatureTaprootCommitRequired: sessions for taproot channels (known,
	// so that a tower requiring it is understood, but not used here).
	FeatureTaprootCommitRequired wire.FeatureBit = 4
	// FeatureTaprootCommitOptional is its optional form.
	FeatureTaprootCommitOptional wire.FeatureBit = 5
)

// maxKnownFeature is the highest watchtower feature bit this package
// understands.
const maxKnownFeature = FeatureTaprootCommitOptional

// UnknownRequiredFeature returns the lowest even bit set in f that this
// package does not know, and false when there is none. An even bit above
// 65535 is reported as 65534.
func UnknownRequiredFeature(f wire.FeatureVector) (wire.FeatureBit, bool) {
	for i := len(f) - 1; i >= 0; i-- {
		if len(f)-1-i >= 8192 {
			// Bits above 65535: any even one is unknown.
			if f[i]&0x55 != 0 {
				return 65534, true
			}
			continue
		}
		for j := 0; j < 8; j += 2 {
			if f[i]&(1<<j) == 0 {
				continue
			}
			bit := wire.FeatureBit((len(f)-1-i)*8 + j)
			if bit > maxKnownFeature {
				return bit, true
			}
		}
	}
	return 0, false
}

// Init is the first message each side sends on a tower connection: its
// feature bits and the genesis hash of its chain. lnd encodes the features
// as a 2-byte length and the big-endian bit field, then the 32-byte hash.
type Init struct {
	// Features are the sender's connection features.
	Features wire.FeatureVector
	// ChainHash is the genesis block hash of the sender's chain.
	ChainHash wire.ChainHash
	// Extra holds bytes after the known fields, which lnd's decoder
	// ignores; they are kept so that a decoded message encodes back to
	// the same bytes.
	Extra []byte
}

// MsgType implements Message.
func (*Init) MsgType() MessageType { return MsgInit }

// AppendPayload implements Message.
func (m *Init) AppendPayload(b []byte) ([]byte, error) {
	if len(m.Features) > 0xffff {
		return nil, fmt.Errorf("%w: feature vector of %d bytes", ErrMessageTooLarge, len(m.Features))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Features)))
	b = append(b, m.Features...)
	b = append(b, m.ChainHash[:]...)
	return append(b, m.Extra...), nil
}

// DecodePayload implements Message.
func (m *Init) DecodePayload(p []byte) error {
	r := reader{b: p}
	n := r.u16("features length")
	f := r.take(int(n), "features")
	var h wire.ChainHash
	r.copyTo(h[:], "chain_hash")
	extra := r.rest()
	if r.err != nil {
		return r.err
	}
	*m = Init{ChainHash: h, Extra: extra}
	if len(f) > 0 {
		m.Features = append(wire.FeatureVector(nil), f...)
	}
	return nil
}

// Error is a tower's generic failure message: a code and data the code
// gives a meaning to. lnd sends it before disconnecting a client for a
// reason outside the replies' codes.
type Error struct {
	// Code is the error code.
	Code ErrorCode
	// Data is code-specific.
	Data []byte
	// Extra holds bytes after the known fields (see Init.Extra).
	Extra []byte
}

// MsgType implements Message.
func (*Error) MsgType() MessageType { return MsgError }

// AppendPayload implements Message.
func (m *Error) AppendPayload(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(m.Code))
	b = appendVarBytes(b, m.Data)
	return append(b, m.Extra...), nil
}

// DecodePayload implements Message.
func (m *Error) DecodePayload(p []byte) error {
	r := reader{b: p}
	code := ErrorCode(r.u16("code"))
	data := r.varBytes(MaxMessageSize, "data")
	extra := r.rest()
	if r.err != nil {
		return r.err
	}
	*m = Error{Code: code, Data: data, Extra: extra}
	return nil
}

// CreateSession asks a tower for a session under the client's session key
// (the static key of the BOLT 8 connection): the blob format of all its
// updates, how many updates it holds, the tower's reward (0 for altruist
// sessions) and the fee rate every justice transaction of the session
// pays. Encoded as blob type u16, max updates u16, reward base u32, reward
// rate u32, sweep fee rate u64 (sat/kw).
type CreateSession struct {
	// BlobType is the justice kit format.
	BlobType BlobType
	// MaxUpdates is how many state updates the session holds.
	MaxUpdates uint16
	// RewardBase is the tower's fixed reward in satoshis (0 here).
	RewardBase uint32
	// RewardRate is the tower's proportional reward in millionths (0
	// here).
	RewardRate uint32
	// SweepFeeRate is the fee rate of every justice transaction of the
	// session. lnd puts it in 8 bytes; values above 2^32-1 sat/kw are
	// refused on decode.
	SweepFeeRate wire.SatPerKWeight
	// Extra holds bytes after the known fields (see Init.Extra).
	Extra []byte
}

// MsgType implements Message.
func (*CreateSession) MsgType() MessageType { return MsgCreateSession }

// AppendPayload implements Message.
func (m *CreateSession) AppendPayload(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(m.BlobType))
	b = binary.BigEndian.AppendUint16(b, m.MaxUpdates)
	b = binary.BigEndian.AppendUint32(b, m.RewardBase)
	b = binary.BigEndian.AppendUint32(b, m.RewardRate)
	b = binary.BigEndian.AppendUint64(b, uint64(m.SweepFeeRate))
	return append(b, m.Extra...), nil
}

// DecodePayload implements Message.
func (m *CreateSession) DecodePayload(p []byte) error {
	r := reader{b: p}
	v := CreateSession{
		BlobType:   BlobType(r.u16("blob_type")),
		MaxUpdates: r.u16("max_updates"),
		RewardBase: r.u32("reward_base"),
		RewardRate: r.u32("reward_rate"),
	}
	rate := r.u64("sweep_fee_rate")
	v.Extra = r.rest()
	if r.err != nil {
		return r.err
	}
	if rate > 0xffffffff {
		return malformed("sweep_fee_rate %d sat/kw", rate)
	}
	v.SweepFeeRate = wire.SatPerKWeight(rate)
	*m = v
	return nil
}

// MaxCreateSessionReplyData is the longest Data lnd lets a
// CreateSessionReply carry.
const MaxCreateSessionReplyData = 1024

// CreateSessionReply answers CreateSession: a code, the tower's last
// applied sequence number for the session (non-zero with
// CreateSessionCodeAlreadyExists) and data (the reward script of a reward
// session, empty for altruist ones). Encoded as code u16, last applied
// u16, data with a CompactSize length.
type CreateSessionReply struct {
	// Code is CodeOK or why the session was refused.
	Code ErrorCode
	// LastApplied is the tower's last applied sequence number.
	LastApplied uint16
	// Data is the reward script, or code-specific data.
	Data []byte
	// Extra holds bytes after the known fields (see Init.Extra).
	Extra []byte
}

// MsgType implements Message.
func (*CreateSessionReply) MsgType() MessageType { return MsgCreateSessionReply }

// AppendPayload implements Message.
func (m *CreateSessionReply) AppendPayload(b []byte) ([]byte, error) {
	if len(m.Data) > MaxCreateSessionReplyData {
		return nil, fmt.Errorf("%w: CreateSessionReply data of %d bytes", ErrMessageTooLarge, len(m.Data))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(m.Code))
	b = binary.BigEndian.AppendUint16(b, m.LastApplied)
	b = appendVarBytes(b, m.Data)
	return append(b, m.Extra...), nil
}

// DecodePayload implements Message.
func (m *CreateSessionReply) DecodePayload(p []byte) error {
	r := reader{b: p}
	v := CreateSessionReply{
		Code:        ErrorCode(r.u16("code")),
		LastApplied: r.u16("last_applied"),
		Data:        r.varBytes(MaxCreateSessionReplyData, "data"),
	}
	v.Extra = r.rest()
	if r.err != nil {
		return r.err
	}
	*m = v
	return nil
}

// StateUpdate uploads one encrypted justice kit: its 1-based sequence
// number in the session, the last applied number the tower acknowledged
// (echoed back), whether the tower may hang up after replying, the breach
// hint and the blob. Encoded as seqnum u16, last applied u16, is_complete
// u8, hint 16 bytes, blob with a CompactSize length.
type StateUpdate struct {
	// SeqNum is the update's sequence number, from 1 to max_updates.
	SeqNum uint16
	// LastApplied echoes the tower's last acknowledged sequence number.
	LastApplied uint16
	// IsComplete is 1 on the last update of a batch: the tower closes
	// the connection after its reply.
	IsComplete uint8
	// Hint is the breach hint, SHA256(txid)[:16] of the revoked
	// commitment.
	Hint BreachHint
	// EncryptedBlob is the encrypted justice kit.
	EncryptedBlob []byte
	// Extra holds bytes after the known fields (see Init.Extra).
	Extra []byte
}

// MsgType implements Message.
func (*StateUpdate) MsgType() MessageType { return MsgStateUpdate }

// AppendPayload implements Message.
func (m *StateUpdate) AppendPayload(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, m.SeqNum)
	b = binary.BigEndian.AppendUint16(b, m.LastApplied)
	b = append(b, m.IsComplete)
	b = append(b, m.Hint[:]...)
	b = appendVarBytes(b, m.EncryptedBlob)
	return append(b, m.Extra...), nil
}

// DecodePayload implements Message.
func (m *StateUpdate) DecodePayload(p []byte) error {
	r := reader{b: p}
	v := StateUpdate{
		SeqNum:      r.u16("seqnum"),
		LastApplied: r.u16("last_applied"),
		IsComplete:  r.u8("is_complete"),
	}
	r.copyTo(v.Hint[:], "hint")
	v.EncryptedBlob = r.varBytes(MaxMessageSize, "encrypted_blob")
	v.Extra = r.rest()
	if r.err != nil {
		return r.err
	}
	*m = v
	return nil
}

// StateUpdateReply answers a StateUpdate: a code and the tower's last
// applied sequence number. Encoded as code u16, last applied u16.
type StateUpdateReply struct {
	// Code is CodeOK or why the update was refused.
	Code ErrorCode
	// LastApplied is the tower's last applied sequence number: on
	// success, the update's own.
	LastApplied uint16
	// Extra holds bytes after the known fields (see Init.Extra).
	Extra []byte
}

// MsgType implements Message.
func (*StateUpdateReply) MsgType() MessageType { return MsgStateUpdateReply }

// AppendPayload implements Message.
func (m *StateUpdateReply) AppendPayload(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(m.Code))
	b = binary.BigEndian.AppendUint16(b, m.LastApplied)
	return append(b, m.Extra...), nil
}

// DecodePayload implements Message.
func (m *StateUpdateReply) DecodePayload(p []byte) error {
	r := reader{b: p}
	v := StateUpdateReply{Code: ErrorCode(r.u16("code")), LastApplied: r.u16("last_applied")}
	v.Extra = r.rest()
	if r.err != nil {
		return r.err
	}
	*m = v
	return nil
}

// DeleteSession asks the tower to forget the session of the connection's
// key. It has no fields.
type DeleteSession struct {
	// Extra holds bytes after the (absent) known fields (see Init.Extra).
	Extra []byte
}

// MsgType implements Message.
func (*DeleteSession) MsgType() MessageType { return MsgDeleteSession }

// AppendPayload implements Message.
func (m *DeleteSession) AppendPayload(b []byte) ([]byte, error) { return append(b, m.Extra...), nil }

// DecodePayload implements Message.
func (m *DeleteSession) DecodePayload(p []byte) error {
	r := reader{b: p}
	*m = DeleteSession{Extra: r.rest()}
	return nil
}

// DeleteSessionReply answers DeleteSession with a code u16.
type DeleteSessionReply struct {
	// Code is CodeOK or DeleteSessionCodeNotFound.
	Code ErrorCode
	// Extra holds bytes after the known fields (see Init.Extra).
	Extra []byte
}

// MsgType implements Message.
func (*DeleteSessionReply) MsgType() MessageType { return MsgDeleteSessionReply }

// AppendPayload implements Message.
func (m *DeleteSessionReply) AppendPayload(b []byte) ([]byte, error) {
	b = binary.BigEndian.AppendUint16(b, uint16(m.Code))
	return append(b, m.Extra...), nil
}

// DecodePayload implements Message.
func (m *DeleteSessionReply) DecodePayload(p []byte) error {
	r := reader{b: p}
	v := DeleteSessionReply{Code: ErrorCode(r.u16("code"))}
	v.Extra = r.rest()
	if r.err != nil {
		return r.err
	}
	*m = v
	return nil
}
