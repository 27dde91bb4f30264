package channel

import (
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// badOnionFlag is BOLT 4's BADONION bit, which every
// update_fail_malformed_htlc failure_code must carry.
const badOnionFlag = 0x8000

// AddHTLC is the command to offer an HTLC to the peer.
type AddHTLC struct {
	// Amount is amount_msat.
	Amount wire.MilliSatoshi
	// PaymentHash is payment_hash.
	PaymentHash htlc.PaymentHash
	// Expiry is cltv_expiry.
	Expiry uint32
	// Onion is onion_routing_packet.
	Onion *[wire.OnionPacketSize]byte
	// PathKey is the blinded_path TLV (nil outside blinded routes).
	PathKey *wire.Point
}

// AddHTLC offers an HTLC (BOLT 2 "Adding an HTLC") and returns its id. It
// checks every limit the peer announced, this node's reserve, the fee
// spike buffer when this node is the opener, and the dust exposure limit;
// a refused HTLC returns an error wrapping ErrHTLCLimit,
// ErrInsufficientBalance, ErrShuttingDown or ErrQuiescing and changes
// nothing. The HTLC is committed by a later SignCommitment.
func (m *Machine) AddHTLC(a *AddHTLC) (uint64, []Action, error) {
	if err := m.ready(); err != nil {
		return 0, nil, err
	}
	if !m.Ready() {
		return 0, nil, ErrNotReady
	}
	if m.localShutdown != nil || m.remoteShutdown != nil {
		return 0, nil, ErrShuttingDown
	}
	if m.stfuSent || m.stfuRecv || m.stfuWant {
		return 0, nil, ErrQuiescing
	}
	if a == nil || a.Onion == nil {
		return 0, nil, fmt.Errorf("%w: missing onion", ErrInvalidHTLC)
	}
	rc := &m.cfg.RemoteConstraints
	if a.Amount == 0 || a.Amount < rc.HTLCMinimum {
		return 0, nil, fmt.Errorf("%w: amount %v below the peer's htlc_minimum_msat %v", ErrHTLCLimit, a.Amount, rc.HTLCMinimum)
	}
	if a.Expiry >= MaxCLTVExpiry {
		return 0, nil, fmt.Errorf("%w: cltv_expiry %d", ErrHTLCExpiry, a.Expiry)
	}
	if a.Expiry <= m.height {
		return 0, nil, fmt.Errorf("%w: cltv_expiry %d is not above the current height %d", ErrInvalidHTLC, a.Expiry, m.height)
	}
	id := m.nextID[Local]
	onion := *a.Onion
	h := &htlcState{
		HTLC:   htlc.HTLC{ID: id, Direction: htlc.Offered, Amount: a.Amount, CLTVExpiry: a.Expiry, PaymentHash: a.PaymentHash},
		origin: Local, onion: &onion, pathKey: a.PathKey,
	}
	e := &logEntry{kind: updAdd, origin: Local, id: id}
	h.add = e
	m.insertHTLC(h)
	m.log = append(m.log, e)
	if err := m.checkLocalAdd(); err != nil {
		m.log = m.log[:len(m.log)-1]
		m.unlinkHTLC(h)
		m.abort()
		return 0, nil, err
	}
	m.nextID[Local]++
	m.out.dirty = true
	m.out.htlcPuts = append(m.out.htlcPuts, h)
	m.out.sends = append(m.out.sends, m.addMessage(h))
	return id, m.finish(), nil
}

func (m *Machine) addMessage(h *htlcState) *wire.UpdateAddHTLC {
	return &wire.UpdateAddHTLC{
		ChannelID: m.id, ID: h.ID, Amount: h.Amount, PaymentHash: h.PaymentHash,
		Expiry: h.CLTVExpiry, OnionPacket: *h.onion, PathKey: h.pathKey,
	}
}

// inAll holds every pending entry: the commitments once everything now
// pending has landed.
func inAll(*logEntry) bool { return true }

// checkLocalAdd checks the HTLC just appended to the log (proposed by this
// node) against the peer's limits in its next commitment, and against this
// node's reserve and fee-spike buffer in both commitments.
func (m *Machine) checkLocalAdd() error {
	rs, err := m.nextRemoteSpec()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInsufficientBalance, err)
	}
	rst := m.stateOf(inNextRemote, rs)
	if err := m.checkLimits(Local, rst); err != nil {
		return err
	}
	if err := m.checkAfford(Remote, rs, rst, Local, 1, 0); err != nil {
		return err
	}
	if m.p.Opener == Local {
		if err := m.checkAfford(Remote, rs, rst, Local, m.pol.FeeSpikeMultiple, 1); err != nil {
			return fmt.Errorf("%w (fee spike buffer)", err)
		}
	} else if err := m.checkAfford(Remote, rs, rst, Remote, 1, 0); err != nil {
		// The peer pays the fee; an HTLC it cannot afford would make
		// it fail the channel.
		return err
	}
	ls, err := m.project(m.local, inLocal, inAll)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInsufficientBalance, err)
	}
	lst := m.stateOf(inAll, ls)
	mult, extra := uint32(1), 0
	if m.p.Opener == Local {
		mult, extra = m.pol.FeeSpikeMultiple, 1
	}
	if err := m.checkAfford(Local, ls, lst, Local, mult, extra); err != nil {
		return err
	}
	if d := m.dustExposure(Local, lst); d > m.pol.MaxDustExposure {
		return fmt.Errorf("%w: dust exposure %v over %v in the local commitment", ErrHTLCLimit, d, m.pol.MaxDustExposure)
	}
	if d := m.dustExposure(Remote, rst); d > m.pol.MaxDustExposure {
		return fmt.Errorf("%w: dust exposure %v over %v in the remote commitment", ErrHTLCLimit, d, m.pol.MaxDustExposure)
	}
	return nil
}

// checkLimits checks the HTLCs offered by sender in st (the receiver's
// commitment) against the receiver's max_accepted_htlcs and
// max_htlc_value_in_flight_msat.
func (m *Machine) checkLimits(sender Side, st *State) error {
	c := m.constraintsFor(sender)
	dir := htlc.Offered
	if sender == Remote {
		dir = htlc.Received
	}
	var n int
	var total wire.MilliSatoshi
	for i := range st.HTLCs {
		if st.HTLCs[i].Direction == dir {
			n++
			total += st.HTLCs[i].Amount
		}
	}
	if n > int(c.MaxAcceptedHTLCs) {
		return fmt.Errorf("%w: %d HTLCs offered by %s, max_accepted_htlcs is %d", ErrHTLCLimit, n, sender, c.MaxAcceptedHTLCs)
	}
	if total > c.MaxHTLCValueInFlight {
		return fmt.Errorf("%w: %v in flight offered by %s, max_htlc_value_in_flight_msat is %v", ErrHTLCLimit, total, sender, c.MaxHTLCValueInFlight)
	}
	return nil
}

// checkAfford checks that payer keeps its channel reserve in owner's
// commitment (spec, st) and, if it is the opener, also pays that
// commitment's fee at mult times the fee rate with extra more untrimmed
// HTLCs, and the anchors.
func (m *Machine) checkAfford(owner Side, spec commitSpec, st *State, payer Side, mult uint32, extra int) error {
	bal := spec.toLocal
	if payer == Remote {
		bal = spec.toRemote
	}
	need := wire.MilliSatoshi(m.reserveOf(payer)) * wire.MilliSatoshiPerSatoshi
	if payer == m.p.Opener {
		need += wire.MilliSatoshi(m.commitCharge(owner, st, spec.feeRate, mult, extra)) * wire.MilliSatoshiPerSatoshi
	}
	if bal < need {
		return fmt.Errorf("%w: %s has %v in the %s commitment, needs %v for reserve and fees",
			ErrInsufficientBalance, payer, bal, owner, need)
	}
	return nil
}

// commitCharge is what the opener pays in owner's commitment st: the base
// fee at mult times rate for the untrimmed HTLCs plus extra, and the two
// anchors under option_anchors.
func (m *Machine) commitCharge(owner Side, st *State, rate wire.SatPerKWeight, mult uint32, extra int) btcutil.Amount {
	t := m.p.Type
	dust := m.p.Party(owner).DustLimit
	n := extra
	for i := range st.HTLCs {
		h := st.HTLCs[i]
		if owner == Remote {
			h = h.Flip()
		}
		if !script.HTLCTrimmed(t, h.Direction, h.Amount, rate, dust) {
			n++
		}
	}
	fee := script.CommitFee(t, rate*wire.SatPerKWeight(mult), n)
	if t.HasAnchors() {
		fee += 2 * script.AnchorOutputValue
	}
	return fee
}

// dustExposure is the total of the HTLCs of owner's commitment st that are
// trimmed at its fee rate.
func (m *Machine) dustExposure(owner Side, st *State) wire.MilliSatoshi {
	t := m.p.Type
	dust := m.p.Party(owner).DustLimit
	var sum wire.MilliSatoshi
	for i := range st.HTLCs {
		h := st.HTLCs[i]
		if owner == Remote {
			h = h.Flip()
		}
		if script.HTLCTrimmed(t, h.Direction, h.Amount, st.FeeRate, dust) {
			sum += h.Amount
		}
	}
	return sum
}

// receiveAdd handles update_add_htlc with every receiving-side check of
// BOLT 2.
func (m *Machine) receiveAdd(msg *wire.UpdateAddHTLC) ([]Action, error) {
	if m.remoteShutdown != nil {
		return m.violation("update_add_htlc after shutdown")
	}
	if m.stfuRecv {
		return m.violation("update_add_htlc after stfu")
	}
	if msg.ID != m.nextID[Remote] {
		return m.violation("update_add_htlc id %d, expected %d", msg.ID, m.nextID[Remote])
	}
	lc := &m.cfg.LocalConstraints
	if msg.Amount == 0 || msg.Amount < lc.HTLCMinimum {
		return m.violation("update_add_htlc amount %v below htlc_minimum_msat %v", msg.Amount, lc.HTLCMinimum)
	}
	if msg.Expiry >= MaxCLTVExpiry {
		return m.violation("update_add_htlc cltv_expiry %d not below %d", msg.Expiry, MaxCLTVExpiry)
	}
	onion := msg.OnionPacket
	h := &htlcState{
		HTLC:   htlc.HTLC{ID: msg.ID, Direction: htlc.Received, Amount: msg.Amount, CLTVExpiry: msg.Expiry, PaymentHash: msg.PaymentHash},
		origin: Remote, onion: &onion, pathKey: msg.PathKey,
	}
	e := &logEntry{kind: updAdd, origin: Remote, id: msg.ID}
	h.add = e
	m.insertHTLC(h)
	m.log = append(m.log, e)
	m.nextID[Remote]++

	ls, err := m.nextLocalSpec()
	if err != nil {
		return m.violation("update_add_htlc: %v", err)
	}
	lst := m.stateOf(inNextLocal, ls)
	if err := m.checkLimits(Remote, lst); err != nil {
		return m.violation("update_add_htlc: %v", err)
	}
	if err := m.checkAfford(Local, ls, lst, Remote, 1, 0); err != nil {
		return m.violation("update_add_htlc: %v", err)
	}
	rs, err := m.project(m.remote, inRemote, inAll)
	if err == nil {
		rst := m.stateOf(inAll, rs)
		h.dustExcess = m.dustExposure(Local, lst) > m.pol.MaxDustExposure ||
			m.dustExposure(Remote, rst) > m.pol.MaxDustExposure
	}
	// A peer's proposal is not persisted: it retransmits it after a
	// reconnection if no commitment_signed covered it.
	return m.finish(), nil
}

// committedIncoming returns the peer's HTLC id if it is irrevocably
// committed and not being removed.
func (m *Machine) removable(origin Side, id uint64) *htlcState {
	h := m.findHTLC(origin, id)
	if h == nil || h.add != nil || h.remove != nil {
		return nil
	}
	return h
}

// canUpdate checks a local removal or fee command.
func (m *Machine) canUpdate() error {
	if err := m.ready(); err != nil {
		return err
	}
	if m.stfuSent {
		return ErrQuiescing
	}
	return nil
}

// FulfillHTLC settles an HTLC the peer offered with its preimage (BOLT 2
// "Removing an HTLC"). The preimage goes to the monitor (a *MonitorUpdate)
// before update_fulfill_htlc is sent.
func (m *Machine) FulfillHTLC(id uint64, preimage htlc.Preimage, attribution *wire.AttributionData) ([]Action, error) {
	if err := m.canUpdate(); err != nil {
		return nil, err
	}
	h := m.removable(Remote, id)
	if h == nil {
		return nil, fmt.Errorf("%w: incoming HTLC %d", ErrUnknownHTLC, id)
	}
	if !preimage.Matches(h.PaymentHash) {
		return nil, fmt.Errorf("%w: HTLC %d", ErrWrongPreimage, id)
	}
	e := &logEntry{kind: updFulfill, origin: Local, id: id, preimage: preimage, attribution: attribution}
	h.remove = e
	m.appendEntry(e)
	pre := preimage
	m.out.monitor = append(m.out.monitor, &MonitorUpdate{ChannelID: m.id, Preimage: &pre})
	m.out.sends = append(m.out.sends, m.removeMessage(e))
	return m.finish(), nil
}

// FailHTLC fails an HTLC the peer offered with an encrypted failure
// reason for the payment's origin.
func (m *Machine) FailHTLC(id uint64, reason []byte, attribution *wire.AttributionData) ([]Action, error) {
	if err := m.canUpdate(); err != nil {
		return nil, err
	}
	h := m.removable(Remote, id)
	if h == nil {
		return nil, fmt.Errorf("%w: incoming HTLC %d", ErrUnknownHTLC, id)
	}
	e := &logEntry{kind: updFail, origin: Local, id: id, reason: append([]byte(nil), reason...), attribution: attribution}
	h.remove = e
	m.appendEntry(e)
	m.out.sends = append(m.out.sends, m.removeMessage(e))
	return m.finish(), nil
}

// FailMalformedHTLC fails an HTLC whose onion this node could not parse.
// failureCode must have the BADONION bit (BOLT 2).
func (m *Machine) FailMalformedHTLC(id uint64, onionSHA256 [32]byte, failureCode uint16) ([]Action, error) {
	if err := m.canUpdate(); err != nil {
		return nil, err
	}
	if failureCode&badOnionFlag == 0 {
		return nil, fmt.Errorf("%w: failure_code %#x lacks BADONION", ErrInvalidHTLC, failureCode)
	}
	h := m.removable(Remote, id)
	if h == nil {
		return nil, fmt.Errorf("%w: incoming HTLC %d", ErrUnknownHTLC, id)
	}
	e := &logEntry{kind: updFailMalformed, origin: Local, id: id, malformed: MalformedFailure{OnionSHA256: onionSHA256, FailureCode: failureCode}}
	h.remove = e
	m.appendEntry(e)
	m.out.sends = append(m.out.sends, m.removeMessage(e))
	return m.finish(), nil
}

// removeMessage is the update message of a removal or fee entry.
func (m *Machine) removeMessage(e *logEntry) wire.Message {
	switch e.kind {
	case updFulfill:
		return &wire.UpdateFulfillHTLC{ChannelID: m.id, ID: e.id, PaymentPreimage: e.preimage, AttributionData: e.attribution}
	case updFail:
		return &wire.UpdateFailHTLC{ChannelID: m.id, ID: e.id, Reason: e.reason, AttributionData: e.attribution}
	case updFailMalformed:
		return &wire.UpdateFailMalformedHTLC{ChannelID: m.id, ID: e.id, OnionSHA256: e.malformed.OnionSHA256, FailureCode: e.malformed.FailureCode}
	default:
		return &wire.UpdateFee{ChannelID: m.id, FeeRate: e.feeRate}
	}
}

// entryMessage is the message that proposed e (this node's entries only).
func (m *Machine) entryMessage(e *logEntry) wire.Message {
	if e.kind == updAdd {
		return m.addMessage(m.findHTLC(Local, e.id))
	}
	return m.removeMessage(e)
}

// receiveRemove handles update_fulfill_htlc, update_fail_htlc and
// update_fail_malformed_htlc.
func (m *Machine) receiveRemove(e *logEntry) ([]Action, error) {
	if m.stfuRecv {
		return m.violation("update after stfu")
	}
	h := m.findHTLC(Local, e.id)
	if h == nil || h.add != nil {
		return m.violation("removal of HTLC %d, which is not committed in both commitments", e.id)
	}
	if h.remove != nil {
		return m.violation("second removal of HTLC %d", e.id)
	}
	switch e.kind {
	case updFulfill:
		if !e.preimage.Matches(h.PaymentHash) {
			return m.violation("update_fulfill_htlc for HTLC %d: %v", e.id, ErrWrongPreimage)
		}
		pre := e.preimage
		m.out.monitor = append(m.out.monitor, &MonitorUpdate{ChannelID: m.id, Preimage: &pre})
		m.resolve(h.ID, &HTLCSettled{
			ChannelID: m.id, ID: h.ID, PaymentHash: h.PaymentHash, Amount: h.Amount,
			Preimage: e.preimage, AttributionData: e.attribution,
		})
	case updFailMalformed:
		if e.malformed.FailureCode&badOnionFlag == 0 {
			return m.violation("update_fail_malformed_htlc failure_code %#x lacks BADONION", e.malformed.FailureCode)
		}
	}
	h.remove = e
	m.log = append(m.log, e)
	return m.finish(), nil
}

// UpdateFee proposes a new commitment fee rate; only the opener may
// (BOLT 2 "Updating Fees").
func (m *Machine) UpdateFee(rate wire.SatPerKWeight) ([]Action, error) {
	if err := m.canUpdate(); err != nil {
		return nil, err
	}
	if m.p.Opener != Local {
		return nil, ErrNotOpener
	}
	if rate < minRelayFeeRate || feeRateTooHigh(rate) {
		return nil, fmt.Errorf("%w: %v", ErrInvalidFeeRate, rate)
	}
	e := &logEntry{kind: updFee, origin: Local, feeRate: rate}
	m.log = append(m.log, e)
	rs, err := m.nextRemoteSpec()
	if err == nil {
		err = m.checkAfford(Remote, rs, m.stateOf(inNextRemote, rs), Local, 1, 0)
	}
	if err != nil {
		m.log = m.log[:len(m.log)-1]
		m.abort()
		return nil, err
	}
	m.out.dirty = true
	m.out.sends = append(m.out.sends, m.removeMessage(e))
	return m.finish(), nil
}

// receiveFee handles update_fee.
func (m *Machine) receiveFee(msg *wire.UpdateFee) ([]Action, error) {
	if m.stfuRecv {
		return m.violation("update_fee after stfu")
	}
	if m.p.Opener != Remote {
		return m.violation("update_fee from the non-opener")
	}
	if msg.FeeRate < m.pol.MinFeeRate || msg.FeeRate > m.pol.MaxFeeRate || feeRateTooHigh(msg.FeeRate) {
		return m.violation("update_fee %v outside [%v, %v]", msg.FeeRate, m.pol.MinFeeRate, m.pol.MaxFeeRate)
	}
	e := &logEntry{kind: updFee, origin: Remote, feeRate: msg.FeeRate}
	m.log = append(m.log, e)
	ls, err := m.nextLocalSpec()
	if err == nil {
		err = m.checkAfford(Local, ls, m.stateOf(inNextLocal, ls), Remote, 1, 0)
	}
	if err != nil {
		return m.violation("update_fee %v: %v", msg.FeeRate, err)
	}
	return m.finish(), nil
}
