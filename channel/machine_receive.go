package channel

import (
	"context"
	"fmt"

	"github.com/lnkit/lnkit/wire"
)

// Disconnect asks the host to drop the connection to the peer (the
// channel itself is not failed), after sending what precedes it.
type Disconnect struct {
	ChannelID wire.ChannelID
	// Reason says why.
	Reason error
}

func (*Disconnect) action() {}

// ReceiveMessage hands the Machine one message from the peer for this
// channel: update_add_htlc, update_fulfill_htlc, update_fail_htlc,
// update_fail_malformed_htlc, commitment_signed, revoke_and_ack,
// update_fee, channel_reestablish, channel_ready, shutdown, stfu, error or
// warning. A violation fails the channel (see Machine); other message
// types return an error and change nothing.
func (m *Machine) ReceiveMessage(ctx context.Context, msg wire.Message) ([]Action, error) {
	if m.phase == phaseFailed {
		return nil, fmt.Errorf("%w: %v", ErrChannelFailed, m.failErr)
	}
	switch msg := msg.(type) {
	case *wire.Error:
		err := fmt.Errorf("%w: the peer sent error: %s", ErrProtocolViolation, msg.DataString())
		// BOLT 1: the channel is failed; the peer's error needs no reply.
		m.fail(err, false, true, nil)
		return m.finish(), err
	case *wire.Warning:
		return nil, nil
	case *wire.ChannelReestablish:
		return m.receiveReestablish(ctx, msg)
	}
	switch m.conn {
	case connDown:
		return nil, ErrDisconnected
	case connReestablishing:
		return m.violation("%v before channel_reestablish", msg.MsgType())
	}
	switch msg.(type) {
	case *wire.UpdateAddHTLC, *wire.UpdateFulfillHTLC, *wire.UpdateFailHTLC, *wire.UpdateFailMalformedHTLC,
		*wire.UpdateFee, *wire.CommitmentSigned, *wire.RevokeAndAck:
		if !m.Ready() {
			return m.violation("%v before channel_ready was exchanged", msg.MsgType())
		}
	}
	switch msg := msg.(type) {
	case *wire.UpdateAddHTLC:
		return m.receiveAdd(msg)
	case *wire.UpdateFulfillHTLC:
		return m.receiveRemove(&logEntry{kind: updFulfill, origin: Remote, id: msg.ID, preimage: msg.PaymentPreimage, attribution: msg.AttributionData})
	case *wire.UpdateFailHTLC:
		return m.receiveRemove(&logEntry{kind: updFail, origin: Remote, id: msg.ID, reason: msg.Reason, attribution: msg.AttributionData})
	case *wire.UpdateFailMalformedHTLC:
		return m.receiveRemove(&logEntry{kind: updFailMalformed, origin: Remote, id: msg.ID,
			malformed: MalformedFailure{OnionSHA256: msg.OnionSHA256, FailureCode: msg.FailureCode}})
	case *wire.UpdateFee:
		return m.receiveFee(msg)
	case *wire.CommitmentSigned:
		return m.receiveCommitSig(ctx, msg)
	case *wire.RevokeAndAck:
		return m.receiveRevoke(ctx, msg)
	case *wire.ChannelReady:
		return m.receiveChannelReady(msg)
	case *wire.Shutdown:
		return m.receiveShutdown(msg)
	case *wire.Stfu:
		return m.receiveStfu(msg)
	}
	return nil, fmt.Errorf("channel: %v is not a normal-operation message", msg.MsgType())
}

// Shutdown starts a cooperative close by sending shutdown with this node's
// closing script. No HTLC can be added afterwards by either side; the
// close negotiation starts once no HTLC is left.
func (m *Machine) Shutdown(scriptPubKey []byte) ([]Action, error) {
	if err := m.ready(); err != nil {
		return nil, err
	}
	if m.localShutdown != nil {
		return nil, fmt.Errorf("%w: shutdown already sent", ErrShuttingDown)
	}
	for _, e := range m.log {
		if e.origin == Local && e.stage != stageAcked {
			// BOLT 2: MUST NOT send shutdown while updates are pending
			// on the receiver's commitment.
			return nil, fmt.Errorf("%w: updates pending on the peer's commitment", ErrShuttingDown)
		}
	}
	m.localShutdown = &wire.Shutdown{ChannelID: m.id, ScriptPubKey: append([]byte(nil), scriptPubKey...)}
	m.out.dirty = true
	m.out.sends = append(m.out.sends, m.localShutdown)
	return m.finish(), nil
}

// receiveShutdown records the peer's shutdown; from now on it may not add
// HTLCs.
func (m *Machine) receiveShutdown(msg *wire.Shutdown) ([]Action, error) {
	if m.remoteShutdown != nil {
		return nil, nil
	}
	m.remoteShutdown = &wire.Shutdown{ChannelID: m.id, ScriptPubKey: append([]byte(nil), msg.ScriptPubKey...)}
	m.out.dirty = true
	return m.finish(), nil
}

// ShutdownScripts returns the closing scripts of the shutdown messages
// sent and received (nil when none).
func (m *Machine) ShutdownScripts() (local, remote []byte) {
	if m.localShutdown != nil {
		local = m.localShutdown.ScriptPubKey
	}
	if m.remoteShutdown != nil {
		remote = m.remoteShutdown.ScriptPubKey
	}
	return local, remote
}

// Quiesce asks for quiescence (BOLT 2 "Channel Quiescence"): stfu is sent
// once none of this node's updates is pending, and a *Quiescent action
// follows when the peer has answered. Quiescence ends with the connection,
// or with EndQuiescence.
func (m *Machine) Quiesce() ([]Action, error) {
	if err := m.ready(); err != nil {
		return nil, err
	}
	if m.stfuSent || m.stfuWant {
		return nil, fmt.Errorf("%w: stfu already asked for", ErrQuiescing)
	}
	m.stfuWant = true
	m.stfuInitiator = true
	m.maybeStfu()
	return m.finish(), nil
}

// EndQuiescence ends quiescence locally, as the protocol that needed it
// says (the BOLTs define no message for it).
func (m *Machine) EndQuiescence() {
	m.stfuSent, m.stfuRecv, m.stfuWant, m.stfuInitiator = false, false, false, false
}

// maybeStfu sends stfu when it is wanted and allowed.
func (m *Machine) maybeStfu() {
	if !m.stfuWant || m.stfuSent || m.conn != connUp || m.hasPending(Local) {
		return
	}
	m.stfuWant = false
	m.stfuSent = true
	var init uint8
	if m.stfuInitiator {
		init = 1
	}
	m.out.sends = append(m.out.sends, &wire.Stfu{ChannelID: m.id, Initiator: init})
	m.quiescentIfBoth()
}

func (m *Machine) quiescentIfBoth() {
	if m.stfuSent && m.stfuRecv {
		// Both claiming initiator: the opener is the initiator.
		we := m.stfuInitiator && (!m.remoteStfuInitiator || m.p.Opener == Local)
		m.out.events = append(m.out.events, &Quiescent{ChannelID: m.id, Initiator: we})
	}
}

// receiveStfu handles stfu.
func (m *Machine) receiveStfu(msg *wire.Stfu) ([]Action, error) {
	if m.stfuRecv {
		err := fmt.Errorf("%w: stfu received twice", ErrProtocolViolation)
		m.out.sends = append(m.out.sends, &wire.Warning{ChannelID: m.id, Data: []byte(err.Error())})
		m.out.events = append(m.out.events, &Disconnect{ChannelID: m.id, Reason: err})
		return m.finish(), err
	}
	if m.hasPending(Remote) {
		err := fmt.Errorf("%w: stfu while its updates are pending", ErrProtocolViolation)
		m.out.sends = append(m.out.sends, &wire.Warning{ChannelID: m.id, Data: []byte(err.Error())})
		m.out.events = append(m.out.events, &Disconnect{ChannelID: m.id, Reason: err})
		return m.finish(), err
	}
	m.stfuRecv = true
	m.remoteStfuInitiator = msg.IsInitiator()
	if !m.stfuSent {
		m.stfuWant = true
		m.maybeStfu()
	} else {
		m.quiescentIfBoth()
	}
	return m.finish(), nil
}

// BlockHeight tells the Machine the chain's height. It fails the channel
// when an HTLC this node offered is still unresolved OfferedHTLCGrace
// blocks after its cltv_expiry, or an HTLC it fulfilled is unresolved
// FulfillDeadline blocks before its cltv_expiry (BOLT 2 "cltv_expiry_delta
// Selection"): both must then be resolved on chain.
func (m *Machine) BlockHeight(height uint32) []Action {
	if height != m.height {
		m.height = height
		m.out.dirty = true
	}
	if m.phase == phaseFailed {
		return m.finish()
	}
	m.checkLockIn()
	if m.phase == phaseFailed {
		return m.finish()
	}
	for _, h := range m.htlcs {
		switch {
		case h.origin == Local && h.add != nil && h.add.stage == stageProposed:
			// Not in any commitment of the peer's; nothing to enforce.
		case h.origin == Local && uint64(height) >= uint64(h.CLTVExpiry)+uint64(m.pol.OfferedHTLCGrace):
			err := fmt.Errorf("%w: offered HTLC %d expired at %d, height %d", ErrDeadline, h.ID, h.CLTVExpiry, height)
			m.fail(err, true, true, nil)
			return m.finish()
		case h.origin == Remote && h.remove != nil && h.remove.kind == updFulfill &&
			uint64(height)+uint64(m.pol.FulfillDeadline) >= uint64(h.CLTVExpiry):
			err := fmt.Errorf("%w: fulfilled HTLC %d expires at %d, height %d", ErrDeadline, h.ID, h.CLTVExpiry, height)
			m.fail(err, true, true, nil)
			return m.finish()
		}
	}
	return m.finish()
}

// Fail fails the channel on the host's decision (a force close): it sends
// an error to the peer and returns *ChannelFailed.
func (m *Machine) Fail(reason error) []Action {
	m.fail(reason, true, true, nil)
	return m.finish()
}
