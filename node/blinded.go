package node

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/wire"
)

// Route blinding (BOLT 4 "Route Blinding", payments).
//
// This node takes part in blinded routes in each role:
//   - payee: BlindedPaths builds paths to this node for an invoice, each
//     through a channel peer as introduction node and padded with dummy
//     hops (this node again, peeled by itself); the final hop's
//     path_id is an HMAC of the payment hash under a key derived from the
//     seed, so an HTLC over a path this node did not make for that
//     payment is refused, and nothing needs storing;
//   - introduction node or relay: an HTLC whose payload carries
//     encrypted_recipient_data is forwarded as its recipient data says
//     (payment_relay, payment_constraints), and only if it also meets
//     this node's own fee and CLTV policy;
//   - payer: PayBlinded pays over paths a payee gave (a BOLT 12 invoice's
//     paths and payinfo, say), with multi-part payments and retries over
//     the other paths.
//
// Failures inside a blinded route say nothing of where they happened
// (BOLT 4 "Returning Errors"): a relay (path key in update_add_htlc)
// fails as update_fail_malformed_htlc with invalid_onion_blinding; the
// introduction node returns invalid_onion_blinding in update_fail_htlc,
// for its own refusals and in place of any failure from downstream, which
// it holds for a random while first (Policy.BlindedFailureDelay). A
// payee that is itself the introduction node (a one-hop path) returns the
// ordinary final-node failures.

// blindRole is a node's place in the blinded route an HTLC travels.
type blindRole uint8

const (
	blindNone  blindRole = iota // not in a blinded route
	blindIntro                  // current_path_key came in the payload
	blindRelay                  // the path key came in update_add_htlc
)

// BlindedPaymentPath is a blinded route to a payee with what a payer
// needs to pay over it (BOLT 12's blinded_payinfo): the fee and CLTV
// delta of the whole path and the HTLC amounts it takes.
type BlindedPaymentPath struct {
	// Path is the blinded route: the introduction node's real id, the
	// first path key and the blinded hops, the payee last.
	Path *onion.BlindedPath
	// FeeBase and FeePPM are the path's total fee for an amount the
	// payee receives: FeeBase + amount*FeePPM/10^6, rounded up.
	FeeBase wire.MilliSatoshi
	FeePPM  uint32
	// CLTVExpiryDelta is the path's total delta, the payee's final
	// delta included: the introduction node's HTLC must expire at
	// least this many blocks after the current height.
	CLTVExpiryDelta uint16
	// HTLCMinimum and HTLCMaximum bound the amount of one HTLC the
	// payee receives over the path (HTLCMaximum zero: no bound given).
	HTLCMinimum wire.MilliSatoshi
	HTLCMaximum wire.MilliSatoshi
}

// withFee is amt plus what the payer adds for the path, rounded up; a
// total past 64 bits (a hostile payinfo) saturates, and no route then
// carries it.
func (bp *BlindedPaymentPath) withFee(amt wire.MilliSatoshi) wire.MilliSatoshi {
	hi, lo := bits.Mul64(uint64(amt), uint64(bp.FeePPM))
	lo, c := bits.Add64(lo, 999_999, 0)
	if hi+c >= 1_000_000 {
		return math.MaxUint64
	}
	q, _ := bits.Div64(hi+c, lo, 1_000_000)
	total, c1 := bits.Add64(uint64(amt), q, 0)
	total, c2 := bits.Add64(total, uint64(bp.FeeBase), 0)
	if c1+c2 != 0 {
		return math.MaxUint64
	}
	return wire.MilliSatoshi(total)
}

// validate checks a path given by a caller before a payment uses it.
func (bp *BlindedPaymentPath) validate() error {
	p := bp.Path
	if p == nil || p.IntroductionNode == nil || p.FirstPathKey == nil || len(p.Hops) == 0 {
		return errors.New("blinded path without introduction node, path key or hops")
	}
	if len(p.Hops) > 20 {
		return fmt.Errorf("blinded path of %d hops", len(p.Hops))
	}
	for i, h := range p.Hops {
		if h.BlindedNodeID == nil || len(h.EncryptedData) == 0 || len(h.EncryptedData) > 1000 {
			return fmt.Errorf("blinded hop %d: no blinded id, or encrypted data of %d bytes", i, len(h.EncryptedData))
		}
	}
	if bp.HTLCMaximum != 0 && bp.HTLCMaximum < bp.HTLCMinimum {
		return errors.New("blinded path with htlc_maximum below htlc_minimum")
	}
	return nil
}

// fail fails a held part back with msg, or as a blinded route requires
// (loop).
func (p heldPart) fail(n *Node, msg *onion.FailureMessage) {
	switch {
	case p.relay:
		n.failMalformed(p.cs, p.id, p.onionHash, uint16(onion.CodeInvalidOnionBlinding))
	case p.hidden:
		n.failBack(p.cs, p.id, p.secret, &onion.FailureMessage{Code: onion.CodeInvalidOnionBlinding, OnionHash: p.onionHash})
	default:
		n.failBack(p.cs, p.id, p.secret, msg)
	}
}

// failIncoming refuses an incoming HTLC: with msg outside a blinded route
// (and at a payee that is its own introduction node), else with
// invalid_onion_blinding as role requires (loop).
func (n *Node) failIncoming(cs *chanState, ev *channel.HTLCLockedIn, res *onion.ProcessedPacket, role blindRole, msg *onion.FailureMessage) {
	switch {
	case role == blindRelay:
		n.failMalformed(cs, ev.HTLC.ID, sha256Onion(ev.Onion), uint16(onion.CodeInvalidOnionBlinding))
	case role == blindIntro && !res.Final:
		n.failBack(cs, ev.HTLC.ID, res.SharedSecret, &onion.FailureMessage{Code: onion.CodeInvalidOnionBlinding, OnionHash: sha256Onion(ev.Onion)})
	default:
		n.failBack(cs, ev.HTLC.ID, res.SharedSecret, msg)
	}
}

// onBlinded handles a validated HTLC whose payload is a blinded route's
// (loop). Dummy hops, layers whose recipient data names this node as the
// next one, are peeled here until the final layer or a real forward; a
// failure after the first layer is the one the previous node sees (res),
// as if the route went on past this node.
func (n *Node) onBlinded(cs *chanState, ev *channel.HTLCLockedIn, res *onion.ProcessedPacket, p *onion.HopPayload, role blindRole) {
	h := ev.HTLC
	unknown := &onion.FailureMessage{Code: onion.CodeIncorrectOrUnknownPaymentDetails, HTLCAmount: h.Amount, Height: n.height}
	refuse := func(why string, err error) {
		n.log.Debug("blinded HTLC refused", "channel", cs.id, "htlc", h.ID, "why", why, "err", err)
		n.failIncoming(cs, ev, res, role, unknown)
	}
	layer, payload := res, p
	var inner [][32]byte // the shared secrets of the layers after res
	for {
		var rd *onion.RecipientData
		var err error
		if role == blindRelay || len(inner) > 0 {
			rd, err = layer.DecryptRecipientData(payload.EncryptedRecipientData)
		} else {
			var pk *btcec.PublicKey
			if pk, err = payload.CurrentPathKey.PublicKey(); err == nil {
				rd, err = n.onion.DecryptRecipientData(pk, payload.EncryptedRecipientData)
			}
		}
		if err == nil {
			err = rd.Data.CheckConstraints(h.Amount, h.CLTVExpiry)
		}
		if err != nil {
			refuse("recipient data", err)
			return
		}
		if layer.Final {
			n.receiveBlinded(cs, ev, res, payload, rd, role, inner)
			return
		}
		if !n.isDummyHop(rd.Data) {
			if len(inner) > 0 {
				// This node's paths have dummy hops only at the end.
				refuse("a forward after a dummy hop", nil)
				return
			}
			n.forwardBlinded(cs, ev, res, rd, role)
			return
		}
		if len(inner) == MaxBlindedDummyHops {
			refuse("too many dummy hops", nil)
			return
		}
		if rl := rd.Data.PaymentRelay; rl == nil || *rl != (onion.PaymentRelay{}) {
			// Amounts and expiries pass a dummy hop unchanged: a relay
			// with a fee or a delta is not one this node made.
			refuse("a dummy hop with a fee or delta", nil)
			return
		}
		next, err := n.onion.Process(n.ctx, &layer.Next, h.PaymentHash[:], &onion.ProcessOptions{PathKey: rd.NextPathKey, CLTVExpiry: h.CLTVExpiry})
		if err != nil {
			refuse("dummy layer", err)
			return
		}
		np, err := onion.DecodeHopPayload(next.Payload)
		if err == nil {
			err = np.Validate(next.Final, true)
		}
		if err != nil {
			refuse("dummy layer payload", err)
			return
		}
		inner = append(inner, next.SharedSecret)
		layer, payload = next, np
	}
}

// isDummyHop reports whether a blinded hop's data names this node as the
// next node: a dummy hop (BOLT 4), which this node peels itself.
func (n *Node) isDummyHop(d *onion.EncryptedData) bool {
	return d.ShortChannelID == nil && d.NextNodeID != nil && *d.NextNodeID == wire.Point(n.id)
}

// forwardBlinded passes an HTLC on inside a blinded route (loop).
func (n *Node) forwardBlinded(in *chanState, ev *channel.HTLCLockedIn, res *onion.ProcessedPacket, rd *onion.RecipientData, role blindRole) {
	h := ev.HTLC
	fail := func(code onion.FailureCode) {
		n.log.Debug("blinded forward refused", "channel", in.id, "htlc", h.ID, "reason", code)
		n.failIncoming(in, ev, res, role, nil)
	}
	amt, cltv, err := onion.ForwardBlinded(rd.Data, h.Amount, h.CLTVExpiry)
	if err != nil {
		fail(onion.CodeInvalidOnionBlinding)
		return
	}
	var out *chanState
	if scid := rd.Data.ShortChannelID; scid != nil {
		out = n.channelBySCID(*scid)
	} else {
		out = n.channelToPeer([33]byte(*rd.Data.NextNodeID))
	}
	next := wire.Point(rd.NextPathKey.SerializeCompressed())
	n.forwardOn(in, ev, res, out, amt, cltv, &next, role, fail)
}

// channelToPeer is the ready channel to peer with the most to send, for
// a blinded hop named by next_node_id (loop).
func (n *Node) channelToPeer(peer [33]byte) *chanState {
	var best *chanState
	var bestSpend wire.MilliSatoshi
	for _, cs := range n.channels {
		if cs.peer != peer || cs.status != chanOpen || !cs.m.Ready() {
			continue
		}
		if s := cs.m.Spendable(0); best == nil || s > bestSpend {
			best, bestSpend = cs, s
		}
	}
	return best
}

// blindedPathID is the path_id of this node's blinded paths for a
// payment: only this node can make it, and it ties a path to one payment
// hash.
func (n *Node) blindedPathID(hash htlc.PaymentHash) []byte {
	m := hmac.New(sha256.New, n.pathIDKey[:])
	m.Write(hash[:])
	return m.Sum(nil)
}

// receiveBlinded handles an HTLC for this node over one of its blinded
// paths (loop).
//
// res is the layer the previous node sent; inner holds the shared secrets
// of the dummy layers peeled after it, the final one last.
func (n *Node) receiveBlinded(cs *chanState, ev *channel.HTLCLockedIn, res *onion.ProcessedPacket, payload *onion.HopPayload, rd *onion.RecipientData, role blindRole, inner [][32]byte) {
	h := ev.HTLC
	part := heldPart{
		cs: cs, id: h.ID, amount: h.Amount, cltv: h.CLTVExpiry, secret: res.SharedSecret, inner: inner,
		relay: role == blindRelay, hidden: role == blindIntro && len(inner) > 0,
	}
	if part.relay || part.hidden {
		part.onionHash = sha256Onion(ev.Onion)
	}
	unknown := &onion.FailureMessage{Code: onion.CodeIncorrectOrUnknownPaymentDetails, HTLCAmount: h.Amount, Height: n.height}
	if n.holdFinal != nil && n.holdFinal(h.PaymentHash) {
		return
	}
	inv, ok := n.invs.byID[h.PaymentHash]
	if !ok || inv.keysend || !hmac.Equal(rd.Data.PathID, n.blindedPathID(h.PaymentHash)) {
		// BOLT 4: a path_id that is not this node's for this payment
		// is ignored; the HTLC is refused as for an unknown payment.
		part.fail(n, unknown)
		return
	}
	if inv.State == InvoiceSettled && inv.hasPart(cs.id, h.ID) {
		// A replay after a restart: the decision is durable.
		n.claimIncoming(cs, h.ID, h.CLTVExpiry, inv.preimage, attribution{secret: res.SharedSecret, inner: inner}, nil, nil)
		return
	}
	if inv.State != InvoiceOpen || n.now().After(inv.ExpiresAt) {
		part.fail(n, unknown)
		return
	}
	if f := payload.CheckFinalHTLC(onion.FinalHTLC{
		Amount: h.Amount, CLTVExpiry: h.CLTVExpiry, BlockHeight: n.height,
		MinFinalCLTVExpiryDelta: uint32(n.cfg.Policy.MinFinalCLTVDelta),
	}); f != nil {
		part.fail(n, f)
		return
	}
	total := payload.TotalMsat()
	if inv.Amount > 0 && (total < inv.Amount || total > 2*inv.Amount) {
		part.fail(n, unknown)
		return
	}
	set := n.invs.set(h.PaymentHash, total, &inv.secret)
	if set == nil {
		part.fail(n, unknown)
		return
	}
	n.addPart(set, part)
}

// blindedPathSlack is how many blocks past the invoice's expiry a
// blinded path to this node still takes HTLCs (max_cltv_expiry), for
// payers' CLTV margins and random offsets.
const blindedPathSlack = 288

// BlindedPaths builds blinded payment paths to this node for the open
// invoice with the given hash, for a payer that should not learn this
// node's id or channels (hand them over as a BOLT 12 invoice does). Each
// path goes through a different ready channel. Its peer is the
// introduction node, or with Policy.BlindedRealHops 2 a node with a public
// channel to the peer (from the graph, announcing option_route_blinding,
// the one with the largest channel; the peer when there is none). The
// relay fees and CLTV deltas are the forwarding nodes' own (from their
// channel_update; for a peer without one, this node's policy as a guess),
// summed into the path's payinfo with this node's final delta. After
// this node's hop come Policy.BlindedDummyHops dummy hops, so that the
// path does not show where the payee is; at most max paths (3 when max is
// 0), those with the most inbound capacity first. The paths take HTLCs
// until a little after the invoice expires (max_cltv_expiry). ErrNoRoute
// when no channel is ready.
func (n *Node) BlindedPaths(ctx context.Context, hash htlc.PaymentHash, max int) ([]BlindedPaymentPath, error) {
	if max <= 0 {
		max = 3
	}
	var out []BlindedPaymentPath
	err := n.do(ctx, func() error {
		inv, ok := n.invs.byID[hash]
		if !ok || inv.keysend {
			return fmt.Errorf("%w: no invoice for %v", ErrInvalidRequest, hash)
		}
		if inv.State != InvoiceOpen || n.now().After(inv.ExpiresAt) {
			return fmt.Errorf("%w: invoice %v is %v", ErrInvalidRequest, hash, inv.State)
		}
		type cand struct {
			cs      *chanState
			inbound wire.MilliSatoshi
		}
		var cands []cand
		for _, cs := range n.channels {
			if _, ok := n.peerHop(cs); ok {
				cands = append(cands, cand{cs, cs.m.Spendable(channel.Remote)})
			}
		}
		// Most inbound first; ties by channel id, so that the choice
		// does not depend on map order.
		sort.Slice(cands, func(i, j int) bool {
			a, b := cands[i], cands[j]
			return a.inbound > b.inbound || a.inbound == b.inbound && string(a.cs.id[:]) < string(b.cs.id[:])
		})
		if len(cands) > max {
			cands = cands[:max]
		}
		blocks := uint32(inv.ExpiresAt.Sub(n.now())/(10*time.Minute)) + 1
		for _, c := range cands {
			last, err := n.peerRelay(c.cs, c.inbound)
			if err != nil {
				return err
			}
			var bp *BlindedPaymentPath
			if n.cfg.Policy.BlindedRealHops == 2 {
				if before, ok := n.relayTowards(c.cs.peer); ok {
					// A path whose fees or deltas do not add up
					// falls back to the peer alone.
					bp, _ = n.blindedPath([]blindedRelay{before, last}, hash, blocks)
				}
			}
			if bp == nil {
				if bp, err = n.blindedPath([]blindedRelay{last}, hash, blocks); err != nil {
					return err
				}
			}
			out = append(out, *bp)
		}
		if len(out) == 0 {
			return fmt.Errorf("%w: no ready channel to build a blinded path through", ErrNoRoute)
		}
		return nil
	})
	return out, err
}

// blindedRelay is a forwarding hop of a blinded path this node builds:
// the node, the channel it forwards over (towards this node) and that
// direction's policy.
type blindedRelay struct {
	node             *btcec.PublicKey
	scid             wire.ShortChannelID
	relay            onion.PaymentRelay
	htlcMin, htlcMax wire.MilliSatoshi // htlcMax 0: no bound
}

// peerRelay is the hop of cs's peer forwarding to this node, which can
// carry at most inbound (loop).
func (n *Node) peerRelay(cs *chanState, inbound wire.MilliSatoshi) (blindedRelay, error) {
	hop, _ := n.peerHop(cs)
	if hop.FeeBase > wire.MilliSatoshi(^uint32(0)) {
		return blindedRelay{}, fmt.Errorf("node: peer fee base %v does not fit payment_relay", hop.FeeBase)
	}
	r := blindedRelay{
		node: hop.NodeID, scid: hop.ChannelID, htlcMin: 1, htlcMax: inbound,
		relay: onion.PaymentRelay{CLTVExpiryDelta: hop.CLTVExpiryDelta, FeeProportionalMillionths: hop.FeeProportionalMillionths, FeeBaseMsat: uint32(hop.FeeBase)},
	}
	if u := cs.peerUpdate; u != nil {
		r.htlcMin = max(r.htlcMin, u.HTLCMinimum)
		if u.HTLCMaximum > 0 && u.HTLCMaximum < r.htlcMax {
			r.htlcMax = u.HTLCMaximum
		}
	}
	return r, nil
}

// relayTowards finds, in the graph, the hop before peer for a blinded
// path with two real hops: a node other than this one with a public,
// enabled channel to peer whose update towards peer is known and whose
// node_announcement offers option_route_blinding; the largest such
// channel, ties by short_channel_id (loop).
func (n *Node) relayTowards(peer [33]byte) (blindedRelay, bool) {
	self, target := wire.Point(n.id), wire.Point(peer)
	var best *routing.ChannelInfo
	var bestPolicy *routing.Policy
	var bestNode wire.Point
	n.graph.ForEachChannel(func(ci routing.ChannelInfo) bool {
		var from wire.Point
		var pol *routing.Policy
		switch target {
		case ci.Node2:
			from, pol = ci.Node1, ci.Policy1
		case ci.Node1:
			from, pol = ci.Node2, ci.Policy2
		default:
			return true
		}
		if from == self || pol == nil || pol.Disabled || n.graph.IsClosed(ci.ShortChannelID) {
			return true
		}
		ann := n.graph.NodeAnnouncement(from)
		if ann == nil || !ann.Features.HasFeature(wire.FeatureRouteBlinding) {
			return true
		}
		if best == nil || ci.Capacity > best.Capacity || ci.Capacity == best.Capacity && ci.ShortChannelID.ToUint64() < best.ShortChannelID.ToUint64() {
			c := ci
			best, bestPolicy, bestNode = &c, pol, from
		}
		return true
	})
	if best == nil || bestPolicy.FeeBase > wire.MilliSatoshi(^uint32(0)) {
		return blindedRelay{}, false
	}
	key, err := btcec.ParsePubKey(bestNode[:])
	if err != nil {
		return blindedRelay{}, false
	}
	return blindedRelay{
		node: key, scid: best.ShortChannelID, htlcMin: max(1, bestPolicy.HTLCMinimum), htlcMax: bestPolicy.HTLCMaximum,
		relay: onion.PaymentRelay{CLTVExpiryDelta: bestPolicy.CLTVExpiryDelta, FeeProportionalMillionths: bestPolicy.FeeProportionalMillionths, FeeBaseMsat: uint32(bestPolicy.FeeBase)},
	}, true
}

// aggregateRelays is the payinfo fee of a run of blinded relays, first
// hop first (BOLT 4 "Route Blinding": the recipient sums the hops from
// the last one back, rounding up): base and proportional fee such that
// amount + base + amount*ppm/10^6 (rounded up) leaves the payee at least
// amount after every hop's payment_relay. false when the sum passes 32
// bits of ppm or 64 bits of base.
func aggregateRelays(hops []blindedRelay) (base wire.MilliSatoshi, ppm uint32, ok bool) {
	const million = 1_000_000
	var b, p uint64
	for i := len(hops) - 1; i >= 0; i-- {
		hb, hp := uint64(hops[i].relay.FeeBaseMsat), uint64(hops[i].relay.FeeProportionalMillionths)
		// b' = ceil(hb + b*(10^6+hp)/10^6); p' = ceil(p + hp + p*hp/10^6).
		bf, ok1 := ceilMillionths(b, hp)
		pf, ok2 := ceilMillionths(p, hp)
		b, p = hb+b+bf, p+hp+pf
		if !ok1 || !ok2 || p > math.MaxUint32 || b > math.MaxUint32*uint64(len(hops)+1) {
			return 0, 0, false
		}
	}
	return wire.MilliSatoshi(b), uint32(p), true
}

// ceilMillionths is x*ppm/10^6 rounded up; false past 64 bits.
func ceilMillionths(x, ppm uint64) (uint64, bool) {
	hi, lo := bits.Mul64(x, ppm)
	lo, c := bits.Add64(lo, 999_999, 0)
	hi += c
	if hi >= 1_000_000 {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, 1_000_000)
	return q, true
}

// blindedPath builds a blinded path over the relay hops (the first is the
// introduction node, the last this node's peer) to this node, with the
// policy's dummy hops after this node's own (loop).
func (n *Node) blindedPath(hops []blindedRelay, hash htlc.PaymentHash, blocks uint32) (*BlindedPaymentPath, error) {
	finalDelta := uint32(n.cfg.Policy.MinFinalCLTVDelta)
	maxFinal := n.height + blocks + finalDelta + blindedPathSlack
	htlcMin, htlcMax := wire.MilliSatoshi(1), wire.MilliSatoshi(0)
	delta := finalDelta
	for _, h := range hops {
		htlcMin = max(htlcMin, h.htlcMin)
		if h.htlcMax > 0 && (htlcMax == 0 || h.htlcMax < htlcMax) {
			htlcMax = h.htlcMax
		}
		delta += uint32(h.relay.CLTVExpiryDelta)
	}
	if delta > 0xffff {
		return nil, fmt.Errorf("node: blinded path delta %d", delta)
	}
	feeBase, feePPM, ok := aggregateRelays(hops)
	if !ok {
		return nil, errors.New("node: blinded path fees out of range")
	}
	// Each relay's max_cltv_expiry is the final one plus the deltas of
	// it and the hops after it: the latest its incoming HTLC may expire.
	data := make([]*onion.EncryptedData, len(hops))
	nodes := make([]*btcec.PublicKey, len(hops))
	after := uint32(0)
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		after += uint32(h.relay.CLTVExpiryDelta)
		scid, relay := h.scid, h.relay
		data[i] = &onion.EncryptedData{ShortChannelID: &scid, PaymentRelay: &relay, PaymentConstraints: &onion.PaymentConstraints{MaxCLTVExpiry: maxFinal + after, HTLCMinimumMsat: htlcMin}}
		nodes[i] = h.node
	}
	self := wire.Point(n.id)
	// Dummy hops: this node's own hop names this node as the next one,
	// as many times as the policy says, with no fee and no delta; the
	// last hop is the final one, with the path_id.
	for range n.cfg.Policy.BlindedDummyHops {
		data = append(data, &onion.EncryptedData{NextNodeID: &self, PaymentRelay: &onion.PaymentRelay{}, PaymentConstraints: &onion.PaymentConstraints{MaxCLTVExpiry: maxFinal, HTLCMinimumMsat: htlcMin}})
		nodes = append(nodes, n.nodeKey.PubKey())
	}
	data = append(data, &onion.EncryptedData{PathID: n.blindedPathID(hash), PaymentConstraints: &onion.PaymentConstraints{MaxCLTVExpiry: maxFinal, HTLCMinimumMsat: htlcMin}})
	nodes = append(nodes, n.nodeKey.PubKey())
	plain, err := padEncryptedData(data)
	if err != nil {
		return nil, err
	}
	path, err := onion.BuildBlindedPath(n.rand, nodes, plain)
	if err != nil {
		return nil, err
	}
	return &BlindedPaymentPath{
		Path: path, FeeBase: feeBase, FeePPM: feePPM,
		CLTVExpiryDelta: uint16(delta), HTLCMinimum: htlcMin, HTLCMaximum: htlcMax,
	}, nil
}

// padEncryptedData encodes each hop's encrypted_data_tlv padded to one
// length (BOLT 4: SHOULD), so that the payer cannot tell the payee's hop
// from the others by size.
func padEncryptedData(data []*onion.EncryptedData) ([][]byte, error) {
	out := make([][]byte, len(data))
	longest := 0
	for i, d := range data {
		b, err := d.Encode()
		if err != nil {
			return nil, err
		}
		out[i] = b
		longest = max(longest, len(b))
	}
	// Every hop gets a padding record, the longest an empty one, so
	// that a difference of one byte can be made up too (the record's
	// header is 2 bytes while it is shorter than 253 bytes).
	for i, d := range data {
		d.Padding = make([]byte, longest-len(out[i]))
		b, err := d.Encode()
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// PayBlindedRequest asks to pay over blinded paths to a payee that did
// not reveal itself.
type PayBlindedRequest struct {
	// PaymentHash is the payment's hash.
	PaymentHash htlc.PaymentHash
	// Amount is what the payee receives.
	Amount wire.MilliSatoshi
	// Paths are the payee's blinded paths; a payment may use several
	// (multi-part) and retries over the others when one fails.
	Paths []BlindedPaymentPath
	// MaxFee bounds the fee, the paths' own included (default
	// Policy.MaxFeePercent).
	MaxFee wire.MilliSatoshi
	// ID, when set, makes the call idempotent.
	ID *PaymentID
}

// PayBlinded pays over the payee's blinded paths and returns the payment
// once it has succeeded or failed (or ctx ends: the payment then goes on;
// see ListPayments). The payment's Destination is zero and Blinded is
// set: the payer does not know the payee. The route to each path's
// introduction node is found as for any payment; the rest is the path's.
// When this node is a path's introduction node (an LSP paying its own
// client, say), it reads its own hop and sends straight to the next one.
func (n *Node) PayBlinded(ctx context.Context, req PayBlindedRequest) (*Payment, error) {
	if req.Amount == 0 || len(req.Paths) == 0 {
		return nil, fmt.Errorf("%w: an amount and at least one blinded path are required", ErrInvalidRequest)
	}
	if len(req.Paths) > 64 {
		return nil, fmt.Errorf("%w: %d blinded paths", ErrInvalidRequest, len(req.Paths))
	}
	for i := range req.Paths {
		if err := req.Paths[i].validate(); err != nil {
			return nil, fmt.Errorf("%w: path %d: %v", ErrInvalidRequest, i, err)
		}
	}
	p := &payment{total: req.Amount, blinded: append([]BlindedPaymentPath(nil), req.Paths...)}
	p.PaymentHash = req.PaymentHash
	p.Amount = req.Amount
	p.Blinded = true
	return n.startPayment(ctx, p, req.ID, req.MaxFee)
}

// allBlindedOut reports a payment over blinded paths that has left every
// one of them out.
func (p *payment) allBlindedOut() bool {
	if len(p.blinded) == 0 {
		return false
	}
	for i := range p.blinded {
		if !p.blindedOut[i] {
			return false
		}
	}
	return true
}

// blindedOf finds which of p's blinded paths a route ends in: the path's
// index and the route index of its introduction node; -1, -1 for a route
// that is not blinded.
func (p *payment) blindedOf(route []RouteHop) (int, int) {
	if len(p.blinded) == 0 || len(route) == 0 {
		return -1, -1
	}
	last := route[len(route)-1].Node
	for i := range p.blinded {
		hops := p.blinded[i].Path.Hops
		if len(hops) > len(route)+1 {
			continue
		}
		if [33]byte(hops[len(hops)-1].BlindedNodeID.SerializeCompressed()) != last {
			continue
		}
		// intro is -1 when the payer is the introduction node: the
		// route starts at the path's second hop.
		intro := len(route) - len(hops)
		if len(hops) == 1 && route[intro].Node != [33]byte(p.blinded[i].Path.IntroductionNode.SerializeCompressed()) {
			continue
		}
		return i, intro
	}
	return -1, -1
}

// blindedPayload is the onion payload of the j-th hop of a blinded path
// (BOLT 4 writer rules): the hop's encrypted_recipient_data, the path key
// for the introduction node, and amount, CLTV and total at the payee.
func blindedPayload(bp *BlindedPaymentPath, j int, h RouteHop, total wire.MilliSatoshi, last bool) *onion.HopPayload {
	pl := &onion.HopPayload{EncryptedRecipientData: bp.Path.Hops[j].EncryptedData}
	if j == 0 {
		pk := wire.Point(bp.Path.FirstPathKey.SerializeCompressed())
		pl.CurrentPathKey = &pk
	}
	if last {
		pl.AmountToForward, pl.OutgoingCLTV, pl.TotalAmount = onion.Amount(h.Amount), onion.U32(h.CLTV), onion.Amount(total)
	}
	return pl
}

// clearPart is the part of a route outside its blinded path bi: up to
// the introduction node (all of it when bi < 0, none of it when the payer
// is the introduction node).
func clearPart(route []RouteHop, bi, intro int) []RouteHop {
	if bi < 0 {
		return route
	}
	return route[:intro+1]
}

// findBlindedRoute finds a route for amt (at most) of p's missing amount
// over one of its blinded paths (loop): to the introduction node over a
// direct channel or the graph, then the path. The part shrinks when no
// route carries all of amt.
func (n *Node) findBlindedRoute(p *payment, amt wire.MilliSatoshi) (*route, error) {
	finalCLTV := n.height + finalCLTVMargin
	var best *route
	for i := range p.blinded {
		bp := &p.blinded[i]
		intro := [33]byte(bp.Path.IntroductionNode.SerializeCompressed())
		if p.blindedOut[i] {
			continue
		}
		var self *selfIntro
		if intro == n.id {
			// This node is the path's introduction node: it reads
			// its own hop's data and sends to the second hop.
			var err error
			if self, err = n.readOwnIntro(bp); err != nil {
				n.log.Debug("blinded path through this node refused", "err", err)
				p.blindedOut[i] = true
				continue
			}
		}
		part := amt
		if bp.HTLCMaximum > 0 && part > bp.HTLCMaximum {
			part = bp.HTLCMaximum
		}
		const minPart = 10_000_000
		for ; part > 0 && part >= bp.HTLCMinimum; part /= 2 {
			if part < minPart && part < amt {
				break
			}
			var r *route
			if self != nil {
				r = self.route(p, bp.withFee(part), finalCLTV+uint32(bp.CLTVExpiryDelta))
			} else {
				r = n.routeToIntro(p, intro, bp.withFee(part), finalCLTV+uint32(bp.CLTVExpiryDelta))
			}
			if r == nil {
				continue
			}
			sent := r.firstAmount
			if self == nil {
				sent = r.hops[0].Amount
			}
			if sent-part > p.maxFee {
				continue
			}
			for j, h := range bp.Path.Hops {
				if j == 0 {
					continue // the introduction node is the route's last hop, or this node
				}
				r.hops = append(r.hops, RouteHop{Node: [33]byte(h.BlindedNodeID.SerializeCompressed()), Amount: part, CLTV: finalCLTV})
			}
			if self != nil {
				// The first hop gets what this node's own
				// payment_relay forwards.
				r.hops[0].Amount, r.hops[0].CLTV, r.hops[0].ShortChannelID = r.firstAmount, r.firstCLTV, n.channelRef(r.first)
			}
			if len(bp.Path.Hops) == 1 {
				last := &r.hops[len(r.hops)-1]
				last.Amount, last.CLTV = part, finalCLTV
			}
			r.amount = part
			if best == nil || r.amount > best.amount {
				best = r
			}
			break
		}
	}
	if best == nil {
		return nil, fmt.Errorf("%w over %d blinded path(s) for %v", ErrNoRoute, len(p.blinded), amt)
	}
	return best, nil
}

// selfIntro is what this node, the introduction node of a payee's
// blinded path it pays over, reads in its own hop: where the path goes
// next and on what terms.
type selfIntro struct {
	n  *Node
	rd *onion.RecipientData
}

// readOwnIntro decrypts this node's hop of bp (loop).
func (n *Node) readOwnIntro(bp *BlindedPaymentPath) (*selfIntro, error) {
	if len(bp.Path.Hops) < 2 {
		return nil, errors.New("a blinded path to this node itself")
	}
	rd, err := n.onion.DecryptRecipientData(bp.Path.FirstPathKey, bp.Path.Hops[0].EncryptedData)
	if err != nil {
		return nil, err
	}
	if rd.Data.ShortChannelID == nil && rd.Data.NextNodeID == nil {
		return nil, errors.New("the introduction hop names no next hop")
	}
	return &selfIntro{n: n, rd: rd}, nil
}

// route is the first leg of a route over the path for an HTLC this node
// would have received with amt and cltv: the channel its hop names,
// carrying what its payment_relay forwards; nil when the relay refuses or
// the channel cannot carry it (loop).
func (s *selfIntro) route(p *payment, amt wire.MilliSatoshi, cltv uint32) *route {
	n := s.n
	fwd, fwdCLTV, err := onion.ForwardBlinded(s.rd.Data, amt, cltv)
	if err != nil {
		return nil
	}
	var out *chanState
	if scid := s.rd.Data.ShortChannelID; scid != nil {
		out = n.channelBySCID(*scid)
	} else {
		out = n.channelToPeer([33]byte(*s.rd.Data.NextNodeID))
	}
	if out == nil || !n.canSend(out) || p.excluded[n.channelRef(out)] || out.m.Spendable(0) < fwd {
		return nil
	}
	pk := wire.Point(s.rd.NextPathKey.SerializeCompressed())
	return &route{first: out, pathKey: &pk, firstAmount: fwd, firstCLTV: fwdCLTV}
}

// routeToIntro is a route that delivers exactly amt with cltv to node
// (loop): over a direct channel with the most to spend, else the graph.
func (n *Node) routeToIntro(p *payment, node [33]byte, amt wire.MilliSatoshi, cltv uint32) *route {
	var best *route
	var bestSpend wire.MilliSatoshi
	for _, cs := range n.channels {
		if cs.peer != node || !n.canSend(cs) {
			continue
		}
		scid := n.channelRef(cs)
		if p.excluded[scid] {
			continue
		}
		if spend := cs.m.Spendable(0); spend >= amt && (best == nil || spend > bestSpend) {
			best, bestSpend = buildRoute(cs, scid, node, nil, amt, cltv), spend
		}
	}
	if best != nil || cltv <= n.height || cltv-n.height > 0xffff {
		return best
	}
	r := n.graphRouteTo(p, node, amt, uint16(cltv-n.height), false)
	if r == nil || r.amount != amt {
		return nil
	}
	return r
}

// Stored form of blinded paths (in a payment record).

func appendBlindedPaths(b []byte, paths []BlindedPaymentPath) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(paths)))
	for _, bp := range paths {
		b = append(b, bp.Path.IntroductionNode.SerializeCompressed()...)
		b = append(b, bp.Path.FirstPathKey.SerializeCompressed()...)
		b = binary.BigEndian.AppendUint64(b, uint64(bp.FeeBase))
		b = binary.BigEndian.AppendUint32(b, bp.FeePPM)
		b = binary.BigEndian.AppendUint16(b, bp.CLTVExpiryDelta)
		b = binary.BigEndian.AppendUint64(b, uint64(bp.HTLCMinimum))
		b = binary.BigEndian.AppendUint64(b, uint64(bp.HTLCMaximum))
		b = binary.BigEndian.AppendUint16(b, uint16(len(bp.Path.Hops)))
		for _, h := range bp.Path.Hops {
			b = append(b, h.BlindedNodeID.SerializeCompressed()...)
			b = appendVar(b, h.EncryptedData)
		}
	}
	return b
}

func readBlindedPaths(r *wire.Reader) ([]BlindedPaymentPath, error) {
	np := int(r.U16("paths"))
	if np*(33+33+8+4+2+8+8+2) > r.Len() {
		return nil, errors.New("blinded path count")
	}
	key := func(what string) *btcec.PublicKey {
		var k [33]byte
		r.Copy(k[:], what)
		if r.Err() != nil {
			return nil
		}
		pk, err := btcec.ParsePubKey(k[:])
		if err != nil {
			r.Fail(fmt.Errorf("%s: %w", what, err))
		}
		return pk
	}
	out := make([]BlindedPaymentPath, 0, np)
	for i := 0; i < np; i++ {
		bp := BlindedPaymentPath{Path: &onion.BlindedPath{}}
		bp.Path.IntroductionNode = key("introduction node")
		bp.Path.FirstPathKey = key("path key")
		bp.FeeBase = wire.MilliSatoshi(r.U64("fee base"))
		bp.FeePPM = r.U32("fee ppm")
		bp.CLTVExpiryDelta = r.U16("cltv delta")
		bp.HTLCMinimum = wire.MilliSatoshi(r.U64("htlc min"))
		bp.HTLCMaximum = wire.MilliSatoshi(r.U64("htlc max"))
		nh := int(r.U16("hops"))
		if nh*(33+4) > r.Len() {
			return nil, errors.New("blinded hop count")
		}
		for j := 0; j < nh; j++ {
			var h onion.BlindedHop
			h.BlindedNodeID = key("blinded node id")
			h.EncryptedData = readVar(r, "encrypted data")
			bp.Path.Hops = append(bp.Path.Hops, h)
		}
		if err := r.Err(); err != nil {
			return nil, err
		}
		if err := bp.validate(); err != nil {
			return nil, err
		}
		out = append(out, bp)
	}
	return out, r.Err()
}
