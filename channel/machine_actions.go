package channel

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/wire"
)

// Action is one thing the host must do for a Machine, in the order the
// Machine returned it. The concrete types are *Persist, *MonitorUpdate,
// *Send, *HTLCLockedIn, *HTLCSettled, *HTLCFailed, *ChannelFailed and
// *Quiescent.
//
// The persistence rule: the writes of a *Persist and the content of a
// *MonitorUpdate must be durable before the host performs any later action
// of the same or a later step (sending a message, or acting on an event).
// A host may gather the writes of several steps, of several channels, into
// one durable batch, as long as it releases nothing that follows them
// before that batch is durable. Writes that are never followed by a send or
// an event may be delayed indefinitely: losing them in a crash is safe,
// because the peer retransmits what they recorded.
type Action interface {
	action()
}

// PersistOp is one key-value write of a *Persist: a put, or a delete when
// Delete is set.
type PersistOp struct {
	// Key is the full store key (every key of a channel starts with
	// KeyPrefix(channelID)).
	Key string
	// Value is the record to store; nil for a delete. The Machine does
	// not modify it after returning it.
	Value []byte
	// Delete removes Key.
	Delete bool
}

// Persist asks the host to write Ops atomically (all or none) and durably
// before it performs any later action.
type Persist struct {
	Ops []PersistOp
}

// Send asks the host to send Msg to the peer.
type Send struct {
	Msg wire.Message
}

// MonitorUpdate carries what an on-chain watcher needs to defend the
// channel's funds. Exactly one of its pointer fields is set. The host must
// make it durable at the monitor (in the same batch as the preceding
// *Persist when the monitor shares the store) before later actions.
type MonitorUpdate struct {
	// ChannelID names the channel.
	ChannelID wire.ChannelID

	// Local is this node's new commitment, with the peer's signatures:
	// what this node broadcasts in a unilateral close.
	Local *LocalCommitmentInfo
	// Remote is a new commitment of the peer that this node signed. The
	// peer may broadcast it (or any earlier one not yet revoked).
	Remote *RemoteCommitmentInfo
	// Revocation is a per-commitment secret the peer revealed: its
	// commitment Number is revoked, and a broadcast of it is punished.
	Revocation *RevocationInfo
	// Preimage is a payment preimage this node learned or revealed; the
	// watcher claims HTLCs with it on chain.
	Preimage *htlc.Preimage
}

// LocalCommitmentInfo is a commitment of this node's as the watcher needs
// it.
type LocalCommitmentInfo struct {
	// State is the commitment's content, from this node's view.
	State State
	// Point is this node's per-commitment point for it.
	Point *btcec.PublicKey
	// Sigs are the peer's signatures of it and of its HTLC transactions.
	Sigs CommitSigs
	// TxID is the commitment transaction's id.
	TxID chainhash.Hash
}

// RemoteCommitmentInfo is a commitment of the peer's that this node signed.
type RemoteCommitmentInfo struct {
	// State is the commitment's content, from this node's view (HTLC
	// directions are this node's).
	State State
	// Point is the peer's per-commitment point for it.
	Point *btcec.PublicKey
	// TxID is the commitment transaction's id.
	TxID chainhash.Hash
}

// RevocationInfo is a revoked commitment of the peer's.
type RevocationInfo struct {
	// Number is the revoked commitment's number.
	Number uint64
	// Secret is its per-commitment secret.
	Secret revocation.Secret
}

// HTLCLockedIn reports an HTLC the peer offered that is now irrevocably
// committed in both commitments: it may be forwarded, claimed or failed.
// After a restart the same HTLC is reported again by Machine.PendingIncoming
// until it is resolved, so handlers must be idempotent.
type HTLCLockedIn struct {
	ChannelID wire.ChannelID
	// HTLC is the HTLC (Direction is htlc.Received).
	HTLC htlc.HTLC
	// Onion is onion_routing_packet.
	Onion *[wire.OnionPacketSize]byte
	// PathKey is the blinded_path TLV, nil outside blinded routes.
	PathKey *wire.Point
	// DustExposureExceeded is set when accepting the HTLC took this
	// node's dust exposure over its limit: BOLT 2 says to fail it once it
	// is committed, which the host should do (temporary_channel_failure).
	DustExposureExceeded bool
}

// HTLCSettled reports that an HTLC this node offered was fulfilled: the
// preimage is proof of payment and may be used upstream at once. The
// preceding *MonitorUpdate makes the preimage durable.
type HTLCSettled struct {
	ChannelID wire.ChannelID
	// ID is the HTLC's id.
	ID uint64
	// PaymentHash is its payment hash.
	PaymentHash htlc.PaymentHash
	// Amount is its amount.
	Amount wire.MilliSatoshi
	// Preimage is the payment preimage.
	Preimage htlc.Preimage
	// AttributionData is the attribution_data of the fulfill, if any.
	AttributionData *wire.AttributionData
}

// HTLCFailed reports that an HTLC this node offered failed and is removed
// irrevocably from both commitments, so it can be failed upstream.
type HTLCFailed struct {
	ChannelID wire.ChannelID
	// ID is the HTLC's id.
	ID uint64
	// PaymentHash is its payment hash.
	PaymentHash htlc.PaymentHash
	// Amount is its amount.
	Amount wire.MilliSatoshi
	// Reason is the encrypted failure of update_fail_htlc (nil for a
	// malformed failure or a local one).
	Reason []byte
	// AttributionData is the attribution_data of update_fail_htlc.
	AttributionData *wire.AttributionData
	// Malformed is set for update_fail_malformed_htlc.
	Malformed *MalformedFailure
	// Local is set when the HTLC never reached any commitment of the
	// peer (the channel failed first); no message came from the peer.
	Local error
}

// MalformedFailure is the content of update_fail_malformed_htlc.
type MalformedFailure struct {
	// OnionSHA256 is sha256_of_onion.
	OnionSHA256 [32]byte
	// FailureCode is failure_code (it has the BADONION bit).
	FailureCode uint16
}

// ChannelFailed reports that the channel is failed: it signs nothing new.
// When Broadcast is true the host should close it unilaterally with the
// latest local commitment (BOLT 5, "Failing a Channel"). When it is false
// this node has lost state (the peer proved it with channel_reestablish)
// and must NOT broadcast its commitment: it is revoked, and the peer would
// take every output. It should wait for the peer's commitment and sweep
// its own output with RemotePoint.
type ChannelFailed struct {
	ChannelID wire.ChannelID
	// Err says why, and wraps ErrProtocolViolation, ErrDataLoss or
	// ErrDeadline.
	Err error
	// Broadcast is false when broadcasting the local commitment would
	// lose funds.
	Broadcast bool
	// RemotePoint is the peer's my_current_per_commitment_point when
	// this node lost state (else nil).
	RemotePoint *btcec.PublicKey
}

// Quiescent reports that both sides have sent stfu and no update is
// pending (BOLT 2, "Channel Quiescence").
type Quiescent struct {
	ChannelID wire.ChannelID
	// Initiator is true when this node is the quiescence initiator.
	Initiator bool
}

func (*Persist) action()       {}
func (*Send) action()          {}
func (*MonitorUpdate) action() {}
func (*HTLCLockedIn) action()  {}
func (*HTLCSettled) action()   {}
func (*HTLCFailed) action()    {}
func (*ChannelFailed) action() {}
func (*Quiescent) action()     {}

// String describes a Send by the message name.
func (s *Send) String() string { return fmt.Sprintf("send %v", s.Msg.MsgType()) }
