package node

import (
	"fmt"

	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// route is a candidate path for one part of a payment.
type route struct {
	hops  []RouteHop
	first *chanState
	// amount is what the payee gets from this part.
	amount wire.MilliSatoshi
	// pathKey, firstAmount and firstCLTV are set when this node is the
	// introduction node of the blinded path the route ends in: the path
	// key for update_add_htlc, and the first HTLC's amount and expiry.
	pathKey     *wire.Point
	firstAmount wire.MilliSatoshi
	firstCLTV   uint32
}

// finalCLTVMargin is added to the payee's final delta, so that a block
// found while the HTLC travels does not make it too short.
const finalCLTVMargin = 3

// feeFor is a channel policy's fee for forwarding amt.
func feeFor(base wire.MilliSatoshi, ppm uint32, amt wire.MilliSatoshi) wire.MilliSatoshi {
	return base + amt*wire.MilliSatoshi(ppm)/1_000_000
}

// edge is one hop of a path beyond our own channel: into node over scid,
// with the policy the previous node applies.
type edge struct {
	node  [33]byte
	scid  wire.ShortChannelID
	base  wire.MilliSatoshi
	ppm   uint32
	delta uint16
}

// findRoute finds a route for amt (at most) of p's missing amount (loop).
// It tries, in order: a direct channel to the payee, a route hint whose
// first node is a peer, and the channel graph. With several candidates it
// takes the one with the most to spend, and sends less than amt when no
// single route carries it all (multi-part payment).
func (n *Node) findRoute(p *payment, amt wire.MilliSatoshi) (*route, error) {
	if len(p.blinded) > 0 {
		return n.findBlindedRoute(p, amt)
	}
	finalCLTV := n.height + uint32(p.finalCLTV) + finalCLTVMargin
	var paths [][]edge // each: the edges after our own channel, ending at the payee
	paths = append(paths, nil)
	for _, hint := range p.hints {
		if len(hint) == 0 {
			continue
		}
		path := make([]edge, 0, len(hint))
		for i, h := range hint {
			next := p.Destination
			if i+1 < len(hint) {
				copy(next[:], hint[i+1].NodeID.SerializeCompressed())
			}
			path = append(path, edge{node: next, scid: h.ChannelID, base: h.FeeBase, ppm: h.FeeProportionalMillionths, delta: h.CLTVExpiryDelta})
		}
		paths = append(paths, path)
	}
	var best *route
	var bestSpend wire.MilliSatoshi
	for _, path := range paths {
		// The peer the path starts from.
		peer := p.Destination
		if len(path) > 0 {
			peer = n.hintStart(p, path)
		}
		for _, cs := range n.channels {
			if cs.peer != peer || !n.canSend(cs) {
				continue
			}
			scid := n.channelRef(cs)
			if p.excluded[scid] || pathExcluded(p, path) {
				continue
			}
			spend := cs.m.Spendable(0)
			r := buildRoute(cs, scid, peer, path, amt, finalCLTV)
			// Shrink the part until the first hop can carry it.
			for r != nil && r.hops[0].Amount > spend && r.amount > 1000 {
				part := r.amount * spend / r.hops[0].Amount
				if part >= r.amount {
					part = r.amount - 1
				}
				r = buildRoute(cs, scid, peer, path, part, finalCLTV)
			}
			if r == nil || r.amount == 0 || r.hops[0].Amount > spend || r.hops[0].Amount-r.amount > p.maxFee {
				continue
			}
			if best == nil || r.amount > best.amount || r.amount == best.amount && spend > bestSpend {
				best, bestSpend = r, spend
			}
		}
	}
	if best == nil {
		if g := n.graphRoute(p, amt, finalCLTV); g != nil {
			return g, nil
		}
		return nil, fmt.Errorf("%w to %x for %v", ErrNoRoute, p.Destination, amt)
	}
	return best, nil
}

// hintStart is the node a route hint path starts from: the first hint's
// node id.
func (n *Node) hintStart(p *payment, path []edge) [33]byte {
	for _, hint := range p.hints {
		if len(hint) > 0 && hint[0].ChannelID == path[0].scid {
			var id [33]byte
			copy(id[:], hint[0].NodeID.SerializeCompressed())
			return id
		}
	}
	return [33]byte{}
}

func pathExcluded(p *payment, path []edge) bool {
	for _, e := range path {
		if p.excluded[e.scid] {
			return true
		}
	}
	return false
}

// canSend is whether a channel can take an HTLC of ours now: open, ready
// and its peer connected (loop).
func (n *Node) canSend(cs *chanState) bool {
	if cs.status != chanOpen || !cs.m.Ready() {
		return false
	}
	_, ok := n.peers[cs.peer]
	return ok
}

// channelRef is the short channel id our peer knows a channel by.
func (n *Node) channelRef(cs *chanState) wire.ShortChannelID {
	if scid, ok := cs.m.ShortChannelID(); ok {
		return scid
	}
	if _, remote := cs.m.Aliases(); remote != nil {
		return *remote
	}
	local, _ := cs.m.Aliases()
	if local != nil {
		return *local
	}
	return wire.ShortChannelID{}
}

// buildRoute computes amounts and CLTVs backwards from the payee (BOLT 4:
// each hop's fee and cltv_expiry_delta are those of the channel it
// forwards over).
func buildRoute(cs *chanState, scid wire.ShortChannelID, peer [33]byte, path []edge, amt wire.MilliSatoshi, finalCLTV uint32) *route {
	hops := make([]RouteHop, len(path)+1)
	a, c := amt, finalCLTV
	for i := len(path) - 1; i >= 0; i-- {
		e := path[i]
		hops[i+1] = RouteHop{Node: e.node, ShortChannelID: e.scid, Amount: a, CLTV: c}
		a += feeFor(e.base, e.ppm, a)
		c += uint32(e.delta)
	}
	hops[0] = RouteHop{Node: peer, ShortChannelID: scid, Amount: a, CLTV: c}
	return &route{hops: hops, first: cs, amount: amt}
}

// penalize records a failure for pathfinding (loop).
func (n *Node) penalize(r []RouteHop, df *onion.DecryptedFailure) {
	n.graphPenalize(r, df)
}

// outboundCapacity sums what this node's ready channels can send now
// (loop). settled is false when more may become sendable without a new
// channel: some ready channel's peer is away, or some channel has HTLCs
// of its own out (other payments, forwards) whose balance may come back.
func (n *Node) outboundCapacity() (total wire.MilliSatoshi, settled bool) {
	settled = true
	for _, cs := range n.channels {
		if cs.status != chanOpen || !cs.m.Ready() {
			continue
		}
		if len(cs.m.OfferedHTLCs()) > 0 {
			settled = false
		}
		if _, ok := n.peers[cs.peer]; !ok {
			settled = false
			continue
		}
		total += cs.m.Spendable(0)
	}
	return total, settled
}
