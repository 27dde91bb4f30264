package node

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/keysend"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// Receiving.
//
// An HTLC the peer offered is handled once it is irrevocably committed
// (channel.HTLCLockedIn, and again from Machine.PendingIncoming after a
// restart): its onion is peeled, and it is forwarded, or, at the final
// node, matched with an invoice (payment secret, amount, expiry, CLTV) or
// accepted as keysend, collected with the other parts of a multi-part
// payment until total_msat arrives, and then all parts are settled
// together; parts still incomplete after Policy.MPPTimeout fail with
// mpp_timeout. A payment for an unknown hash fails with
// incorrect_or_unknown_payment_details.

// signPending signs every channel that got updates this turn (loop).
func (n *Node) signPending() {
	for cs := range n.toSign {
		delete(n.toSign, cs)
		acts, err := cs.m.SignCommitment(n.ctx)
		if err != nil && !errors.Is(err, channel.ErrNothingToSign) && !errors.Is(err, channel.ErrAwaitingRevocation) &&
			!errors.Is(err, channel.ErrDisconnected) {
			n.log.Warn("signing", "channel", cs.id, "err", err)
		}
		n.execute(cs, acts)
	}
}

// signSoon asks for a commitment_signed at the end of the turn.
func (n *Node) signSoon(cs *chanState) { n.toSign[cs] = true }

// failBack fails an incoming HTLC with a BOLT 4 failure encrypted for its
// origin.
//
// A removal while the channel is disconnected waits for it to reconnect
// (whenConnected); the HTLC stays in PendingIncoming meanwhile, so a crash
// replays the decision.
//
// The failure carries attribution_data (BOLT 4 attributable failures)
// with a hold time of zero: this node does not time HTLCs it fails
// itself, which the spec allows.
func (n *Node) failBack(cs *chanState, id uint64, secret [32]byte, msg *onion.FailureMessage) {
	reason, ad, err := onion.NewAttributedFailure(secret, msg, 0)
	if err != nil {
		n.log.Error("building a failure", "err", err)
		return
	}
	n.whenConnected(cs, func() error { return n.failRaw(cs, id, reason, ad) })
}

func (n *Node) failRaw(cs *chanState, id uint64, reason []byte, ad *wire.AttributionData) error {
	acts, err := cs.m.FailHTLC(id, reason, ad)
	if err != nil {
		return err
	}
	n.execute(cs, acts)
	n.signSoon(cs)
	return nil
}

// whenConnected runs fn now, or, if the channel is not connected, after
// its next channel_reestablish (loop). Other errors are logged.
func (n *Node) whenConnected(cs *chanState, fn func() error) {
	if cs.m.Connected() {
		err := fn()
		if err == nil {
			return
		}
		if !errors.Is(err, channel.ErrDisconnected) {
			n.log.Warn("resolving an incoming HTLC", "channel", cs.id, "err", err)
			return
		}
	}
	cs.deferred = append(cs.deferred, fn)
}

// runDeferred runs what waited for the channel to reconnect (loop).
func (n *Node) runDeferred(cs *chanState) {
	if !cs.m.Connected() {
		return
	}
	fns := cs.deferred
	cs.deferred = nil
	for _, fn := range fns {
		n.whenConnected(cs, fn)
	}
}

// settle fulfills an incoming HTLC.
func (n *Node) settle(cs *chanState, id uint64, pre htlc.Preimage, ad *wire.AttributionData) error {
	acts, err := cs.m.FulfillHTLC(id, pre, ad)
	if err != nil {
		return err
	}
	// From here the fulfill is in the channel's log, whose own deadline
	// (channel.Policy.FulfillDeadline) takes over.
	delete(cs.owed, id)
	n.execute(cs, acts)
	n.signSoon(cs)
	return nil
}

// claimIncoming fulfills the incoming HTLC id (with cltv_expiry cltv) now,
// or once the channel reconnects (loop). The preimage goes to the
// channel's monitor in this turn's batch either way, so a commitment that
// confirms while the peer is away is claimed on chain; and until the
// fulfill is in the channel, checkOwed force-closes the channel when the
// HTLC comes within FulfillDeadline blocks of its expiry (BOLT 2: the
// incoming HTLC must be claimed on chain before the peer can time it
// out). The fulfill carries attribution_data for the HTLC's onion shared
// secret: downstream's, when forwarding, with this hop's entry added.
// still, if not nil, is asked before the fulfill whether it is still
// wanted; done, if not nil, runs after a successful fulfill.
func (n *Node) claimIncoming(cs *chanState, id uint64, cltv uint32, pre htlc.Preimage, at attribution, still func() bool, done func()) {
	p := pre
	n.monitorUpdate(cs, &channel.MonitorUpdate{ChannelID: cs.id, Preimage: &p})
	if cs.owed == nil {
		cs.owed = map[uint64]uint32{}
	}
	cs.owed[id] = cltv
	n.whenConnected(cs, func() error {
		if still != nil && !still() {
			return nil
		}
		if err := n.settle(cs, id, pre, at.fulfill(n.now())); err != nil {
			return err
		}
		if done != nil {
			done()
		}
		return nil
	})
}

// attribution is what an incoming HTLC's removal needs for its
// attribution_data: the HTLC's onion shared secret, downstream's data
// (forwards only), and when the HTLC arrived (zero when unknown).
type attribution struct {
	secret     [32]byte
	downstream *wire.AttributionData
	arrived    time.Time
	// inner are the shared secrets of the dummy layers of a blinded path
	// this node peeled after secret's: each adds its own attribution, the
	// last first, as the nodes of a route would.
	inner [][32]byte
}

// hold is how long the HTLC was held, zero when unknown.
func (a attribution) hold(now time.Time) time.Duration {
	if a.arrived.IsZero() || now.Before(a.arrived) {
		return 0
	}
	return now.Sub(a.arrived)
}

// fulfill is the attribution_data for update_fulfill_htlc.
func (a attribution) fulfill(now time.Time) *wire.AttributionData {
	var ad *wire.AttributionData
	if a.downstream != nil {
		c := *a.downstream
		ad = &c
	}
	hold := a.hold(now)
	for i := len(a.inner) - 1; i >= 0; i-- {
		ad = onion.AddFulfillAttribution(a.inner[i], hold, ad)
	}
	return onion.AddFulfillAttribution(a.secret, hold, ad)
}

// checkOwed goes on chain for an owed incoming HTLC (see claimIncoming)
// that the peer has not let us fulfill in time (loop).
func (n *Node) checkOwed(cs *chanState, height uint32) {
	if len(cs.owed) == 0 || cs.status >= chanForceClosed {
		return
	}
	deadline := n.cfg.Policy.Channel.FulfillDeadline
	if deadline == 0 {
		deadline = channel.DefaultFulfillDeadline
	}
	for id, cltv := range cs.owed {
		if uint64(height)+uint64(deadline) >= uint64(cltv) {
			err := fmt.Errorf("%w: incoming HTLC %d expires at %d and the peer has not reconnected to take its fulfill", channel.ErrDeadline, id, cltv)
			n.execute(cs, cs.m.Fail(err))
			return
		}
	}
}

// failMalformed answers an unreadable onion with update_fail_malformed_htlc.
func (n *Node) failMalformed(cs *chanState, id uint64, hash [32]byte, code uint16) {
	n.whenConnected(cs, func() error { return n.failMalformedNow(cs, id, hash, code) })
}

// failMalformedNow fails an incoming HTLC with update_fail_malformed_htlc
// on a connected channel (loop).
func (n *Node) failMalformedNow(cs *chanState, id uint64, hash [32]byte, code uint16) error {
	acts, err := cs.m.FailMalformedHTLC(id, hash, code)
	if err != nil {
		return err
	}
	n.execute(cs, acts)
	n.signSoon(cs)
	return nil
}

func mppTimeout() *onion.FailureMessage { return &onion.FailureMessage{Code: onion.CodeMPPTimeout} }

// onLockedIn handles an irrevocably committed incoming HTLC (loop).
func (n *Node) onLockedIn(cs *chanState, ev *channel.HTLCLockedIn) {
	if n.fwd.isIncomingKnown(cs.id, ev.HTLC.ID) {
		return // already forwarded or held: a replay after restart
	}
	pkt, err := onion.DecodePacket(ev.Onion[:])
	var opts onion.ProcessOptions
	opts.CLTVExpiry = ev.HTLC.CLTVExpiry
	if err == nil && ev.PathKey != nil {
		if pk, perr := ev.PathKey.PublicKey(); perr == nil {
			opts.PathKey = pk
		}
	}
	var res *onion.ProcessedPacket
	if err == nil {
		res, err = n.onion.Process(n.ctx, pkt, ev.HTLC.PaymentHash[:], &opts)
	}
	if err != nil {
		var pe *onion.ProcessError
		if errors.As(err, &pe) && pe.Malformed() {
			n.failMalformed(cs, ev.HTLC.ID, pe.OnionHash, uint16(pe.Code))
			return
		}
		code := onion.CodeInvalidOnionPayload
		if pe != nil {
			code = pe.Code
		}
		if pe != nil && pe.HasSharedSecret {
			n.failBack(cs, ev.HTLC.ID, pe.SharedSecret, &onion.FailureMessage{Code: code})
			return
		}
		// No shared secret: the onion could not even be read.
		n.failMalformed(cs, ev.HTLC.ID, sha256Onion(ev.Onion), uint16(onion.CodeInvalidOnionVersion))
		return
	}
	payload, perr := onion.DecodeHopPayload(res.Payload)
	role := blindNone
	switch {
	case ev.PathKey != nil:
		role = blindRelay
	case perr == nil && (payload.IsBlinded() || payload.CurrentPathKey != nil):
		role = blindIntro
	}
	if perr == nil {
		perr = payload.Validate(res.Final, ev.PathKey != nil)
	}
	if perr != nil {
		n.failIncoming(cs, ev, res, role, &onion.FailureMessage{Code: onion.CodeInvalidOnionPayload})
		return
	}
	if ev.DustExposureExceeded {
		n.failIncoming(cs, ev, res, role, &onion.FailureMessage{Code: onion.CodeTemporaryChannelFailure})
		return
	}
	if role != blindNone {
		n.onBlinded(cs, ev, res, payload, role)
		return
	}
	if !res.Final {
		n.forward(cs, ev, res, payload)
		return
	}
	n.receiveFinal(cs, ev, res.SharedSecret, payload)
}

// receiveFinal handles an HTLC for this node.
func (n *Node) receiveFinal(cs *chanState, ev *channel.HTLCLockedIn, secret [32]byte, payload *onion.HopPayload) {
	h := ev.HTLC
	unknown := &onion.FailureMessage{Code: onion.CodeIncorrectOrUnknownPaymentDetails, HTLCAmount: h.Amount, Height: n.height}
	part := heldPart{cs: cs, id: h.ID, amount: h.Amount, cltv: h.CLTVExpiry, secret: secret}
	if n.holdFinal != nil && n.holdFinal(h.PaymentHash) {
		return
	}

	if inv, ok := n.invs.byID[h.PaymentHash]; ok && inv.keysend && inv.hasPart(cs.id, h.ID) {
		n.claimIncoming(cs, h.ID, h.CLTVExpiry, inv.preimage, attribution{secret: secret}, nil, nil)
		return
	}
	if keysend.IsKeysend(payload) {
		r := keysend.Receiver{Enabled: true, MinFinalCLTVExpiryDelta: uint32(n.cfg.Policy.KeysendMinFinalCLTVDelta)}
		rec, err := r.Accept(payload, keysend.HTLC{PaymentHash: h.PaymentHash, Amount: h.Amount, CLTVExpiry: h.CLTVExpiry, BlockHeight: n.height})
		if err != nil {
			var re *keysend.RejectError
			if errors.As(err, &re) {
				n.failBack(cs, h.ID, secret, re.Failure)
			} else {
				n.failBack(cs, h.ID, secret, unknown)
			}
			return
		}
		pre := htlc.Preimage(rec.Preimage)
		set := n.invs.set(h.PaymentHash, rec.Total, rec.PaymentSecret)
		if set == nil {
			n.failBack(cs, h.ID, secret, unknown)
			return
		}
		set.keysend = &pre
		if set.custom == nil {
			set.custom = map[uint64][]byte{}
			for _, c := range rec.CustomRecords {
				set.custom[c.Type] = c.Value
			}
		}
		n.addPart(set, part)
		return
	}

	inv, ok := n.invs.byID[h.PaymentHash]
	if ok && inv.State == InvoiceSettled && inv.hasPart(cs.id, h.ID) {
		// A part this node already accepted (a replay after a restart):
		// the decision is durable; carry it out.
		n.claimIncoming(cs, h.ID, h.CLTVExpiry, inv.preimage, attribution{secret: secret}, nil, nil)
		return
	}
	if !ok || inv.State != InvoiceOpen || payload.PaymentData == nil || payload.PaymentData.PaymentSecret != inv.secret {
		n.failBack(cs, h.ID, secret, unknown)
		return
	}
	if n.now().After(inv.ExpiresAt) {
		n.failBack(cs, h.ID, secret, unknown)
		return
	}
	if f := payload.CheckFinalHTLC(onion.FinalHTLC{
		Amount: h.Amount, CLTVExpiry: h.CLTVExpiry, BlockHeight: n.height,
		MinFinalCLTVExpiryDelta: uint32(n.cfg.Policy.MinFinalCLTVDelta),
	}); f != nil {
		n.failBack(cs, h.ID, secret, f)
		return
	}
	total := payload.TotalMsat()
	if inv.Amount > 0 && (total < inv.Amount || total > 2*inv.Amount) {
		// BOLT 4: less than asked, or more than twice, is refused.
		n.failBack(cs, h.ID, secret, unknown)
		return
	}
	set := n.invs.set(h.PaymentHash, total, &inv.secret)
	if set == nil {
		n.failBack(cs, h.ID, secret, unknown)
		return
	}
	n.addPart(set, part)
}

// set returns the part set of a payment, creating it; nil when a part
// disagrees with the set on total or secret.
func (iv *invoices) set(hash htlc.PaymentHash, total wire.MilliSatoshi, secret *[32]byte) *partSet {
	s, ok := iv.sets[hash]
	if !ok {
		s = &partSet{hash: hash, total: total, started: iv.n.now()}
		if secret != nil {
			s.secret = *secret
		}
		iv.sets[hash] = s
		return s
	}
	if s.total != total || secret != nil && s.secret != *secret || s.settling {
		return nil
	}
	return s
}

// addPart adds a part and settles the payment once it is complete.
func (n *Node) addPart(set *partSet, p heldPart) {
	set.parts = append(set.parts, p)
	set.sum += p.amount
	n.fwd.holdIncoming(p.cs.id, p.id)
	if set.sum < set.total {
		return
	}
	set.settling = true
	pre := set.keysend
	inv := n.invs.byID[set.hash]
	if pre == nil {
		if inv == nil {
			return
		}
		pre = &inv.preimage
	}
	if inv == nil {
		// A keysend: a settled record keeps the decision (and the
		// parts it covers) for replays after a restart.
		inv = &Invoice{PaymentHash: set.hash, Amount: set.total, CreatedAt: n.now(), preimage: *pre, keysend: true}
		n.invs.byID[set.hash] = inv
	}
	inv.State = InvoiceSettled
	inv.Received = set.sum
	inv.SettledAt = n.now()
	inv.parts = nil
	for _, part := range set.parts {
		inv.parts = append(inv.parts, fwdKey{part.cs.id, part.id})
	}
	n.invs.save(inv)
	for _, part := range set.parts {
		part := part
		n.claimIncoming(part.cs, part.id, part.cltv, *pre, attribution{secret: part.secret, inner: part.inner}, nil, nil)
	}
	delete(n.invs.sets, set.hash)
	ev := &PaymentReceived{PaymentHash: set.hash, Amount: set.sum, Keysend: set.keysend != nil, CustomRecords: set.custom}
	n.afterCommit(func() { n.events.push(ev) })
}

// sha256Onion is sha256_of_onion for update_fail_malformed_htlc.
func sha256Onion(o *[wire.OnionPacketSize]byte) [32]byte {
	pkt, err := onion.DecodePacket(o[:])
	if err != nil {
		return sha256.Sum256(o[:])
	}
	return pkt.Hash()
}

// parseNodeID parses a 33-byte node id.
func parseNodeID(id [33]byte) (*btcec.PublicKey, error) { return btcec.ParsePubKey(id[:]) }

var _ = time.Second
