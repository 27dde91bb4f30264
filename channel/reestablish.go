package channel

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/wire"
)

// Disconnected tells the Machine the connection to the peer is gone. The
// peer's updates that no commitment_signed covered are reversed (BOLT 2
// "Message Retransmission"); this node's own are kept and sent again after
// channel_reestablish. Quiescence ends.
func (m *Machine) Disconnected() []Action {
	m.conn = connDown
	m.dropRemoteProposals()
	m.stfuSent, m.stfuRecv, m.stfuWant, m.stfuInitiator = false, false, false, false
	return m.finish()
}

// dropRemoteProposals reverses the peer's uncommitted updates.
func (m *Machine) dropRemoteProposals() {
	kept := m.log[:0]
	for _, e := range m.log {
		if e.origin != Remote || e.stage != stageProposed {
			kept = append(kept, e)
			continue
		}
		switch e.kind {
		case updAdd:
			if h := m.findHTLC(Remote, e.id); h != nil {
				m.unlinkHTLC(h)
			}
			m.nextID[Remote]--
		case updFulfill, updFail, updFailMalformed:
			if h := m.findHTLC(Local, e.id); h != nil && h.remove == e {
				h.remove = nil
			}
		}
	}
	for i := len(kept); i < len(m.log); i++ {
		m.log[i] = nil
	}
	m.log = kept
}

// Reconnected tells the Machine a new connection to the peer is up. It
// returns the channel_reestablish to send; nothing else may be sent for
// the channel until the peer's arrives. A failed channel sends its error
// again instead.
func (m *Machine) Reconnected() []Action {
	if m.conn != connDown {
		m.Disconnected()
	}
	if m.phase == phaseFailed {
		m.conn = connUp
		m.out.sends = append(m.out.sends, &wire.Error{ChannelID: m.id, Data: []byte(m.failErr.Error())})
		return m.finish()
	}
	m.conn = connReestablishing
	msg := &wire.ChannelReestablish{
		ChannelID:            m.id,
		NextCommitmentNumber: m.local.number + 1,
		NextRevocationNumber: m.remote.number,
	}
	if m.remote.number > 0 {
		s, err := m.remoteSecrets.LookupCommitment(m.remote.number - 1)
		if err == nil {
			msg.YourLastPerCommitmentSecret = s
		}
	}
	if pt, err := m.cfg.Secrets.Point(m.local.number); err == nil {
		msg.MyCurrentPerCommitmentPoint = wire.NewPoint(pt)
	}
	m.out.sends = append(m.out.sends, msg)
	return m.finish()
}

// receiveReestablish checks the peer's channel_reestablish against this
// node's state and retransmits what the peer missed, in the original
// order: the revoke_and_ack and the commitment_signed (with the updates it
// covers), then this node's updates that no commitment_signed covered,
// followed by a commitment_signed for them (at once, or after the pending
// revoke_and_ack).
func (m *Machine) receiveReestablish(ctx context.Context, msg *wire.ChannelReestablish) ([]Action, error) {
	if m.conn != connReestablishing {
		return m.violation("unexpected channel_reestablish")
	}
	L, R := m.local.number, m.remote.number
	lastSentSig := R
	if m.remoteNext != nil {
		lastSentSig = R + 1
	}

	// Revocations: has the peer seen our latest revoke_and_ack (of
	// commitment L-1)? It expects next_revocation_number = L when it has.
	nr := msg.NextRevocationNumber
	switch {
	case nr > L:
		// The peer has revocations from us beyond our state. If it
		// proves it by our own secret, we lost data: our commitment is
		// revoked.
		if ours, err := m.cfg.Secrets.Secret(nr - 1); err == nil && revocation.Secret(msg.YourLastPerCommitmentSecret).Equal(ours) {
			var point = m.remoteDataLossPoint(msg)
			err := fmt.Errorf("%w: peer expects revocation %d, we are at commitment %d", ErrDataLoss, nr, L)
			m.fail(err, true, false, point)
			return m.finish(), err
		}
		return m.violation("channel_reestablish: next_revocation_number %d beyond our commitment %d without proof", nr, L)
	case nr+1 < L:
		return m.violation("channel_reestablish: next_revocation_number %d, our commitment is %d", nr, L)
	}
	if nr > 0 {
		ours, err := m.cfg.Secrets.Secret(nr - 1)
		if err != nil || !revocation.Secret(msg.YourLastPerCommitmentSecret).Equal(ours) {
			return m.violation("channel_reestablish: your_last_per_commitment_secret is not our secret %d", nr-1)
		}
	}
	resendRevoke := nr+1 == L

	// Commitments: has the peer seen our latest commitment_signed?
	nc := msg.NextCommitmentNumber
	var resendSig bool
	switch {
	case nc == lastSentSig && m.remoteNext != nil:
		resendSig = true
	case nc == lastSentSig+1:
	default:
		return m.violation("channel_reestablish: next_commitment_number %d, our last commitment_signed was %d", nc, lastSentSig)
	}

	m.conn = connUp
	if L == 0 && nc == 1 && m.lock.localReady {
		// Nothing committed yet: channel_ready may have been lost.
		m.out.sends = append(m.out.sends, m.channelReady())
	}
	if resendRevoke && !m.revokeAfterSig {
		if err := m.resendRevoke(); err != nil {
			return nil, err
		}
	}
	if resendSig {
		for _, e := range m.log {
			if e.origin == Local && e.stage == stageSigned {
				m.out.sends = append(m.out.sends, m.entryMessage(e))
			}
		}
		m.out.sends = append(m.out.sends, m.sentSig)
	}
	if resendRevoke && m.revokeAfterSig {
		if err := m.resendRevoke(); err != nil {
			return nil, err
		}
	}
	if m.localShutdown != nil {
		m.out.sends = append(m.out.sends, m.localShutdown)
	}
	resent := false
	for _, e := range m.log {
		if e.origin == Local && e.stage == stageProposed {
			m.out.sends = append(m.out.sends, m.entryMessage(e))
			resent = true
		}
	}
	if resent {
		// The updates no commitment_signed covered are proposed again,
		// so they are signed now too: the host's SignCommitment for them
		// may have failed on the disconnection, and if the peer's
		// updates wait the same way neither side would sign again.
		m.signWant = true
		m.out.dirty = true
	}
	if err := m.maybeSign(ctx); err != nil {
		return nil, err
	}
	return m.finish(), nil
}

// remoteDataLossPoint is the peer's my_current_per_commitment_point, when
// valid: with it this node can sweep its output of the peer's commitment.
func (m *Machine) remoteDataLossPoint(msg *wire.ChannelReestablish) *btcec.PublicKey {
	pt, err := msg.MyCurrentPerCommitmentPoint.PublicKey()
	if err != nil {
		return nil
	}
	return pt
}

// resendRevoke queues the revoke_and_ack of commitment local-1 again.
func (m *Machine) resendRevoke() error {
	secret, err := m.cfg.Secrets.Secret(m.local.number - 1)
	if err != nil {
		return fmt.Errorf("channel: per-commitment secret %d: %w", m.local.number-1, err)
	}
	next, err := m.localPoint(m.local.number + 1)
	if err != nil {
		return err
	}
	m.out.sends = append(m.out.sends, &wire.RevokeAndAck{ChannelID: m.id, PerCommitmentSecret: secret, NextPerCommitmentPoint: wire.NewPoint(next)})
	return nil
}
