package channel

import (
	"context"
	"errors"
	"fmt"

	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/wire"
)

// SignCommitment signs the peer's next commitment, covering every update
// this node proposed and every update of the peer's that it acknowledged
// (BOLT 2 "Committing Updates So Far"). The new commitment is persisted,
// with the commitment_signed itself (retransmitted byte for byte after a
// reconnection), before it is sent.
//
// With nothing to sign it returns ErrNothingToSign. While the previous
// commitment_signed awaits revoke_and_ack it returns
// ErrAwaitingRevocation and signs as soon as the revocation arrives.
func (m *Machine) SignCommitment(ctx context.Context) ([]Action, error) {
	if err := m.ready(); err != nil {
		return nil, err
	}
	if !m.hasChangesForRemote() {
		return nil, ErrNothingToSign
	}
	if m.remoteNext != nil {
		if !m.signWant {
			m.signWant = true
			m.out.dirty = true
		}
		return m.finish(), ErrAwaitingRevocation
	}
	if err := m.sign(ctx); err != nil {
		m.abort()
		return nil, err
	}
	return m.finish(), nil
}

// sign builds, signs and records the peer's next commitment; the caller
// checked that there is something to sign and no commitment awaiting
// revocation.
func (m *Machine) sign(ctx context.Context) error {
	if m.remoteNextPoint == nil {
		return fmt.Errorf("%w: no next per-commitment point from the peer (channel_ready not received)", ErrInvalidParams)
	}
	spec, err := m.nextRemoteSpec()
	if err != nil {
		return err
	}
	st := m.stateOf(inNextRemote, spec)
	c, err := NewCommitment(m.p, Remote, st, m.remoteNextPoint)
	if err != nil {
		return err
	}
	sigs, err := SignCommitment(ctx, m.cfg.Signer, m.p, c)
	if err != nil {
		return err
	}
	for _, e := range m.log {
		switch {
		case e.origin == Local && e.stage == stageProposed:
			e.stage = stageSigned
		case e.origin == Remote && e.stage == stageAcked:
			e.stage = stageSigned
		}
	}
	m.remoteNext = &spec
	m.sentSig = &wire.CommitmentSigned{ChannelID: m.id, Signature: sigs.CommitSig, HTLCSignatures: sigs.HTLCSigs}
	m.revokeAfterSig = false
	m.signWant = false
	m.out.dirty = true
	m.out.ops = append(m.out.ops, PersistOp{Key: m.prefix + keySentSig, Value: encodeSigs(sigs)})
	m.monitorRemote(c, st)
	m.out.sends = append(m.out.sends, m.sentSig)
	return nil
}

// receiveCommitSig handles commitment_signed: it builds this node's next
// commitment, checks every signature, and revokes the previous one.
func (m *Machine) receiveCommitSig(ctx context.Context, msg *wire.CommitmentSigned) ([]Action, error) {
	if !m.hasChangesForLocal() {
		return m.violation("commitment_signed without any update")
	}
	spec, err := m.nextLocalSpec()
	if err != nil {
		return m.violation("commitment_signed: %v", err)
	}
	st := m.stateOf(inNextLocal, spec)
	c, err := m.buildCommitment(Local, spec, st)
	if err != nil {
		return m.violation("commitment_signed: %v", err)
	}
	sigs := &CommitSigs{CommitSig: msg.Signature, HTLCSigs: msg.HTLCSignatures}
	if err := VerifyCommitSigs(ctx, m.p, c, sigs); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return m.violation("commitment_signed: %w", err)
	}
	// The revocation of our previous commitment.
	secret, err := m.cfg.Secrets.Secret(m.local.number)
	if err != nil {
		return nil, fmt.Errorf("channel: per-commitment secret %d: %w", m.local.number, err)
	}
	next, err := m.localPoint(spec.number + 1)
	if err != nil {
		return nil, err
	}

	for _, e := range m.log {
		if e.origin == Remote && e.stage == stageProposed {
			e.stage = stageAcked
			if e.kind == updAdd {
				m.out.htlcPuts = append(m.out.htlcPuts, m.findHTLC(Remote, e.id))
			}
		}
	}
	m.retire(func(e *logEntry) bool { return e.origin == Local && e.stage == stageAcked },
		func(*logEntry, *htlcState) {})
	m.local = spec
	m.localSigs = CommitSigs{CommitSig: sigs.CommitSig, HTLCSigs: append([]wire.Signature(nil), sigs.HTLCSigs...)}
	if m.sentSig != nil {
		m.revokeAfterSig = true
	}
	m.out.ops = append(m.out.ops, PersistOp{Key: m.prefix + keyLocalSigs, Value: encodeSigs(&m.localSigs)})
	m.monitorLocal(c, st)
	m.out.sends = append(m.out.sends, &wire.RevokeAndAck{ChannelID: m.id, PerCommitmentSecret: secret, NextPerCommitmentPoint: wire.NewPoint(next)})

	// The peer's updates are now acknowledged and must reach its
	// commitment: sign at once when we can.
	if err := m.maybeSign(ctx); err != nil {
		return nil, err
	}
	m.maybeStfu()
	return m.finish(), nil
}

// maybeSign signs when the peer's commitment lacks updates this node
// acknowledged, or a sign was asked earlier, and nothing awaits
// revocation.
func (m *Machine) maybeSign(ctx context.Context) error {
	if m.remoteNext != nil || m.remoteNextPoint == nil || m.conn != connUp || m.phase != phaseNormal {
		return nil
	}
	needed := m.signWant
	for _, e := range m.log {
		if e.origin == Remote && e.stage == stageAcked {
			needed = true
			break
		}
	}
	if !needed || !m.hasChangesForRemote() {
		return nil
	}
	return m.sign(ctx)
}

// receiveRevoke handles revoke_and_ack: the peer revokes its previous
// commitment and the pending one becomes current.
func (m *Machine) receiveRevoke(ctx context.Context, msg *wire.RevokeAndAck) ([]Action, error) {
	if m.remoteNext == nil {
		return m.violation("revoke_and_ack without a pending commitment_signed")
	}
	secret := revocation.Secret(msg.PerCommitmentSecret)
	if !secret.Point().IsEqual(m.remotePoint) {
		return m.violation("revoke_and_ack: per_commitment_secret does not match the point of commitment %d", m.remote.number)
	}
	if err := m.remoteSecrets.InsertCommitment(m.remote.number, secret); err != nil {
		return m.violation("revoke_and_ack: %v", err)
	}
	nextPoint, err := msg.NextPerCommitmentPoint.PublicKey()
	if err != nil {
		return m.violation("revoke_and_ack: next_per_commitment_point: %v", err)
	}
	revoked := m.remote.number

	for _, e := range m.log {
		if e.origin == Local && e.stage == stageSigned {
			e.stage = stageAcked
		}
	}
	m.retire(func(e *logEntry) bool { return e.origin == Remote && e.stage == stageSigned },
		func(e *logEntry, h *htlcState) {
			if h == nil {
				return
			}
			switch e.kind {
			case updAdd:
				ev := m.lockedIn(h)
				m.out.events = append(m.out.events, &ev)
			case updFail:
				m.resolve(h.ID, &HTLCFailed{
					ChannelID: m.id, ID: h.ID, PaymentHash: h.PaymentHash, Amount: h.Amount,
					Reason: e.reason, AttributionData: e.attribution,
				})
			case updFailMalformed:
				mf := e.malformed
				m.resolve(h.ID, &HTLCFailed{
					ChannelID: m.id, ID: h.ID, PaymentHash: h.PaymentHash, Amount: h.Amount, Malformed: &mf,
				})
			}
		})
	m.remote = *m.remoteNext
	m.remoteNext = nil
	m.sentSig = nil
	m.revokeAfterSig = false
	m.remotePoint = m.remoteNextPoint
	m.remoteNextPoint = nextPoint
	m.out.dirty = true
	m.out.ops = append(m.out.ops,
		PersistOp{Key: m.prefix + keySentSig, Delete: true},
		PersistOp{Key: m.revocationKey(revoked), Value: append([]byte(nil), secret[:]...)},
	)
	m.out.monitor = append(m.out.monitor, &MonitorUpdate{ChannelID: m.id, Revocation: &RevocationInfo{Number: revoked, Secret: secret}})

	if err := m.maybeSign(ctx); err != nil && !errors.Is(err, ErrNothingToSign) {
		return nil, err
	}
	m.maybeStfu()
	return m.finish(), nil
}

// lockedIn describes an irrevocably committed incoming HTLC.
func (m *Machine) lockedIn(h *htlcState) HTLCLockedIn {
	return HTLCLockedIn{ChannelID: m.id, HTLC: h.HTLC, Onion: h.onion, PathKey: h.pathKey, DustExposureExceeded: h.dustExcess}
}

// monitorLocal queues the monitor update of a new local commitment c
// with content st.
func (m *Machine) monitorLocal(c *Commitment, st *State) {
	m.out.monitor = append(m.out.monitor, &MonitorUpdate{ChannelID: m.id, Local: &LocalCommitmentInfo{
		State: *st, Point: c.Keys.PerCommitmentPoint, TxID: c.TxHash, Sigs: m.LocalSigs(),
	}})
}

// monitorRemote queues the monitor update of a remote commitment c with
// content st that this node signed.
func (m *Machine) monitorRemote(c *Commitment, st *State) {
	m.out.monitor = append(m.out.monitor, &MonitorUpdate{ChannelID: m.id, Remote: &RemoteCommitmentInfo{
		State: *st, Point: c.Keys.PerCommitmentPoint, TxID: c.TxHash,
	}})
}
