package channel

import (
	"fmt"

	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/wire"
)

// The update log.
//
// Every update (update_add_htlc, update_fulfill_htlc, update_fail_htlc,
// update_fail_malformed_htlc, update_fee), whichever side proposed it, is a
// logEntry from the moment it is sent or received until it is in every
// commitment that either side could still broadcast. Its stage says which
// commitments hold it:
//
//	proposer  stage     local  remote  remoteNext
//	Local     proposed  -      -       -
//	Local     signed    -      -       yes   (our commitment_signed covers it)
//	Local     acked     -      yes     yes   (the peer revoked the commitment without it)
//	Remote    proposed  -      -       -
//	Remote    acked     yes    -       -     (the peer signed it, we revoked the one without it)
//	Remote    signed    yes    -       yes   (our commitment_signed covers it)
//
// A Local update leaves the log when the peer's next commitment_signed puts
// it into our commitment (it is then in both); a Remote one when the peer's
// revoke_and_ack makes the commitment that holds it current. Its effect is
// then part of the balances and HTLC set of every commitment (commitSpec
// and the htlcs list). An HTLC is in a commitment when its add is (or has
// left the log) and its removal is not.

type updateKind uint8

const (
	updAdd updateKind = iota + 1
	updFulfill
	updFail
	updFailMalformed
	updFee
)

type stage uint8

const (
	stageProposed stage = iota
	stageSigned
	stageAcked
)

// logEntry is one pending update.
type logEntry struct {
	kind   updateKind
	origin Side
	stage  stage
	// id is the new HTLC's id for an add, and for a removal the id of the
	// HTLC removed (which origin.Other() offered).
	id          uint64
	feeRate     wire.SatPerKWeight
	preimage    htlc.Preimage
	reason      []byte
	attribution *wire.AttributionData
	malformed   MalformedFailure
}

// htlcState is an HTLC that is in at least one commitment or pending.
type htlcState struct {
	// HTLC has the Direction from this node's view.
	htlc.HTLC
	origin  Side // who offered it
	onion   *[wire.OnionPacketSize]byte
	pathKey *wire.Point
	// add is the pending add, nil once the add has left the log; remove
	// is the pending removal, nil when none.
	add, remove *logEntry
	// dustExcess marks an incoming HTLC accepted over the dust exposure
	// limit, to be failed once locked in.
	dustExcess bool
	// persisted records that the HTLC's record is in the store; gone
	// that it was resolved and dropped.
	persisted, gone bool
}

// stored reports whether the HTLC has a record in the store: every HTLC
// except a peer's add that no commitment_signed has covered yet (which the
// peer retransmits after a reconnection, BOLT 2).
func (h *htlcState) stored() bool {
	return !(h.origin == Remote && h.add != nil && h.add.stage == stageProposed)
}

// membership predicates: does a pending entry appear in a commitment?
type inFunc func(e *logEntry) bool

func inLocal(e *logEntry) bool {
	return e.origin == Remote && e.stage != stageProposed
}

func inRemote(e *logEntry) bool {
	return e.origin == Local && e.stage == stageAcked
}

func inRemoteNext(e *logEntry) bool {
	return e.stage == stageAcked && e.origin == Local || e.stage == stageSigned
}

// inNextLocal: what our next commitment will hold once the peer signs all
// it can (its proposals and our updates it has acked).
func inNextLocal(e *logEntry) bool {
	return inLocal(e) || e.origin == Remote && e.stage == stageProposed || e.origin == Local && e.stage == stageAcked
}

// inNextRemote: what the peer's next commitment will hold once we sign all
// we can (our proposals and its updates we have acked).
func inNextRemote(e *logEntry) bool {
	return inRemoteNext(e) || e.origin == Local && e.stage == stageProposed || e.origin == Remote && e.stage == stageAcked
}

// htlcIn reports whether h is in the commitment described by in.
func htlcIn(h *htlcState, in inFunc) bool {
	if h.add != nil && !in(h.add) {
		return false
	}
	return h.remove == nil || !in(h.remove)
}

// findHTLC returns the HTLC offered by origin with the given id.
func (m *Machine) findHTLC(origin Side, id uint64) *htlcState {
	for _, h := range m.htlcs {
		if h.origin == origin && h.ID == id {
			return h
		}
	}
	return nil
}

// stateOf returns the State of the commitment whose balances are spec and
// whose HTLC set is described by in.
func (m *Machine) stateOf(in inFunc, spec commitSpec) *State {
	st := &State{Number: spec.number, FeeRate: spec.feeRate, LocalBalance: spec.toLocal, RemoteBalance: spec.toRemote}
	for _, h := range m.htlcs {
		if htlcIn(h, in) {
			st.HTLCs = append(st.HTLCs, h.HTLC)
		}
	}
	return st
}

// project applies to base (a commitment whose pending entries are those of
// baseIn) the entries of in that base does not hold yet, giving the
// balances and fee rate of the commitment in describes. Adds are applied
// before removals, in log order.
func (m *Machine) project(base commitSpec, baseIn, in inFunc) (commitSpec, error) {
	s := base
	bal := func(side Side) *wire.MilliSatoshi {
		if side == Local {
			return &s.toLocal
		}
		return &s.toRemote
	}
	for _, e := range m.log {
		if !in(e) || baseIn(e) {
			continue
		}
		switch e.kind {
		case updAdd:
			h := m.findHTLC(e.origin, e.id)
			if h == nil {
				return s, fmt.Errorf("%w: log holds an add of unknown HTLC %d", ErrInvalidHTLC, e.id)
			}
			b := bal(e.origin)
			if *b < h.Amount {
				return s, fmt.Errorf("%w: %s cannot pay HTLC %d of %v", errBalance, e.origin, e.id, h.Amount)
			}
			*b -= h.Amount
		case updFee:
			s.feeRate = e.feeRate
		}
	}
	for _, e := range m.log {
		if !in(e) || baseIn(e) {
			continue
		}
		switch e.kind {
		case updFulfill, updFail, updFailMalformed:
			h := m.findHTLC(e.origin.Other(), e.id)
			if h == nil {
				return s, fmt.Errorf("%w: log removes unknown HTLC %d", ErrInvalidHTLC, e.id)
			}
			if e.kind == updFulfill {
				*bal(e.origin) += h.Amount
			} else {
				*bal(e.origin.Other()) += h.Amount
			}
		}
	}
	return s, nil
}

// nextLocalSpec and nextRemoteSpec are the balances of the commitments
// the next commitment_signed received or sent would create.
func (m *Machine) nextLocalSpec() (commitSpec, error) {
	s, err := m.project(m.local, inLocal, inNextLocal)
	s.number = m.local.number + 1
	return s, err
}

func (m *Machine) nextRemoteSpec() (commitSpec, error) {
	base, baseIn := m.remote, inFunc(inRemote)
	if m.remoteNext != nil {
		base, baseIn = *m.remoteNext, inRemoteNext
	}
	s, err := m.project(base, baseIn, inNextRemote)
	s.number = m.remote.number + 1
	return s, err
}

// hasChangesFor reports whether a commitment_signed sent now would include
// any update: BOLT 2 forbids an empty one.
func (m *Machine) hasChangesForRemote() bool {
	for _, e := range m.log {
		if e.origin == Local && e.stage == stageProposed || e.origin == Remote && e.stage == stageAcked {
			return true
		}
	}
	return false
}

// hasChangesForLocal reports whether the peer has anything to sign for
// our commitment.
func (m *Machine) hasChangesForLocal() bool {
	for _, e := range m.log {
		if e.origin == Remote && e.stage == stageProposed || e.origin == Local && e.stage == stageAcked {
			return true
		}
	}
	return false
}

// hasPending reports whether side has any update not yet in every
// commitment.
func (m *Machine) hasPending(side Side) bool {
	for _, e := range m.log {
		if e.origin == side {
			return true
		}
	}
	return false
}

// appendEntry adds e to the log and marks the head dirty.
func (m *Machine) appendEntry(e *logEntry) {
	m.log = append(m.log, e)
	m.out.dirty = true
}

// retire drops the entries for which done reports true from the log,
// folding them into the commitments: adds become plain HTLCs, removals
// delete their HTLC, fee updates are already in every commitSpec.
func (m *Machine) retire(done func(e *logEntry) bool, onDone func(e *logEntry, h *htlcState)) {
	kept := m.log[:0]
	for _, e := range m.log {
		if !done(e) {
			kept = append(kept, e)
			continue
		}
		switch e.kind {
		case updAdd:
			h := m.findHTLC(e.origin, e.id)
			if h != nil {
				h.add = nil
			}
			onDone(e, h)
		case updFulfill, updFail, updFailMalformed:
			h := m.findHTLC(e.origin.Other(), e.id)
			onDone(e, h)
			if h != nil {
				m.dropHTLC(h)
			}
		default:
			onDone(e, nil)
		}
	}
	for i := len(kept); i < len(m.log); i++ {
		m.log[i] = nil
	}
	m.log = kept
	m.out.dirty = true
}

// insertHTLC adds h to the HTLC list, which is kept in canonical order:
// this node's HTLCs by id, then the peer's by id.
func (m *Machine) insertHTLC(h *htlcState) {
	i := len(m.htlcs)
	for i > 0 {
		x := m.htlcs[i-1]
		if x.origin < h.origin || x.origin == h.origin && x.ID < h.ID {
			break
		}
		i--
	}
	m.htlcs = append(m.htlcs, nil)
	copy(m.htlcs[i+1:], m.htlcs[i:])
	m.htlcs[i] = h
}

// unlinkHTLC removes h from the HTLC list.
func (m *Machine) unlinkHTLC(h *htlcState) {
	for i, x := range m.htlcs {
		if x == h {
			copy(m.htlcs[i:], m.htlcs[i+1:])
			m.htlcs[len(m.htlcs)-1] = nil
			m.htlcs = m.htlcs[:len(m.htlcs)-1]
			return
		}
	}
}

// dropHTLC removes h from the HTLC list and deletes its record.
func (m *Machine) dropHTLC(h *htlcState) {
	m.unlinkHTLC(h)
	h.gone = true
	if h.persisted {
		m.out.ops = append(m.out.ops, PersistOp{Key: m.htlcKey(h.origin, h.ID), Delete: true})
		h.persisted = false
	}
}
