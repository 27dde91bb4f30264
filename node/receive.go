package node

import (
	"crypto/sha256"
	"errors"
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
func (n *Node) failBack(cs *chanState, id uint64, secret [32]byte, msg *onion.FailureMessage) {
	reason, err := onion.NewFailure(secret, msg)
	if err != nil {
		n.log.Error("building a failure", "err", err)
		return
	}
	acts, err := cs.m.FailHTLC(id, reason, nil)
	if err != nil {
		n.log.Warn("failing an incoming HTLC", "channel", cs.id, "id", id, "err", err)
		return
	}
	n.execute(cs, acts)
	n.signSoon(cs)
}

// failBackReason fails an incoming HTLC with a reason already encrypted
// (a downstream failure being passed back).
func (n *Node) failBackReason(cs *chanState, id uint64, secret [32]byte, reason []byte) {
	out := append([]byte(nil), reason...)
	onion.ObfuscateFailure(secret, out)
	acts, err := cs.m.FailHTLC(id, out, nil)
	if err != nil {
		n.log.Warn("failing an incoming HTLC", "channel", cs.id, "id", id, "err", err)
		return
	}
	n.execute(cs, acts)
	n.signSoon(cs)
}

// settle fulfills an incoming HTLC.
func (n *Node) settle(cs *chanState, id uint64, pre htlc.Preimage) {
	acts, err := cs.m.FulfillHTLC(id, pre, nil)
	if err != nil {
		n.log.Warn("fulfilling an incoming HTLC", "channel", cs.id, "id", id, "err", err)
		return
	}
	n.execute(cs, acts)
	n.signSoon(cs)
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
			acts, ferr := cs.m.FailMalformedHTLC(ev.HTLC.ID, pe.OnionHash, uint16(pe.Code))
			if ferr == nil {
				n.execute(cs, acts)
				n.signSoon(cs)
			}
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
		acts, ferr := cs.m.FailMalformedHTLC(ev.HTLC.ID, sha256Onion(ev.Onion), uint16(onion.CodeInvalidOnionVersion))
		if ferr == nil {
			n.execute(cs, acts)
			n.signSoon(cs)
		}
		return
	}
	payload, perr := onion.DecodeHopPayload(res.Payload)
	if perr == nil {
		perr = payload.Validate(res.Final, ev.PathKey != nil)
	}
	if perr != nil {
		n.failBack(cs, ev.HTLC.ID, res.SharedSecret, &onion.FailureMessage{Code: onion.CodeInvalidOnionPayload})
		return
	}
	if ev.DustExposureExceeded {
		n.failBack(cs, ev.HTLC.ID, res.SharedSecret, &onion.FailureMessage{Code: onion.CodeTemporaryChannelFailure})
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
	part := heldPart{cs: cs, id: h.ID, amount: h.Amount, secret: secret}

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
	if inv != nil {
		inv.State = InvoiceSettled
		inv.Received = set.sum
		inv.SettledAt = n.now()
		n.invs.save(inv)
	}
	for _, part := range set.parts {
		n.settle(part.cs, part.id, *pre)
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
