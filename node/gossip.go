package node

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/wire"
)

// Gossip and pathfinding.
//
// The node keeps the channel graph (package routing) in its store under
// "graph/". Gossip from peers (channel_announcement with its four
// signatures checked, channel_update and node_announcement with theirs) is
// applied to it; a peer that supports gossip_queries is asked for the
// channels the graph lacks (query_channel_range, then
// query_short_channel_ids: see gossip_sync.go) and, with
// gossip_timestamp_filter, for everything new. The graph keeps the signed
// messages in the store, and the node serves them: it answers the same
// queries and honours peers' filters (gossip_serve.go).
// With Config.UTXOs, the funding output of each announced channel is
// looked up off the loop (gossip_verify.go) before the channel enters the
// graph, with its value as capacity; without, channels are taken
// unverified with no capacity, and pathfinding treats their capacity as
// unknown. Channels whose updates are all older than two weeks are pruned.
//
// Payments route over the graph with this node's own channels as the
// first hops (their live balances), the invoice's route hints, and a
// mission control that remembers failures and successes.

const graphPrefix = "graph/"

// maxGraphChannels bounds the channel graph: about four times the
// public network of 2026, ~50 MB of graph at 236 bytes a channel plus the
// store's copy. A variable for tests.
var maxGraphChannels = 200_000

// missionHalfLife is how fast payment results fade from pathfinding.
const missionHalfLife = time.Hour

func (n *Node) loadGraph(ctx context.Context) error {
	g, err := routing.OpenGraph(ctx, wire.ChainHash(*n.cfg.Network.GenesisHash), n.st, graphPrefix)
	if err != nil {
		return err
	}
	n.graph = g
	n.mission = routing.NewMissionControl(missionHalfLife)
	n.rebuildFundingIndex()
	return nil
}

// handleGossip handles a message that names no channel (loop).
func (n *Node) handleGossip(pc *peerConn, msg wire.Message) {
	if n.handleGossipQuery(pc, msg) {
		return
	}
	now := n.now()
	switch m := msg.(type) {
	case *wire.ChannelAnnouncement:
		_, known := n.graph.Channel(m.ShortChannelID)
		if !known && n.graph.NumChannels() >= maxGraphChannels {
			// Unverified channels cost nothing to invent: the graph's
			// size bounds them.
			return
		}
		if err := m.VerifySignatures(); err != nil {
			n.log.Debug("bad channel_announcement", "err", err)
			return
		}
		if !known && n.cfg.UTXOs != nil {
			n.verifyFunding(pc, m)
			return
		}
		added, err := n.graph.AddChannel(m, 0, now)
		if err != nil && !errors.Is(err, routing.ErrChannelExists) {
			n.log.Debug("channel_announcement refused", "err", err)
		}
		if added {
			n.watchFunding(m)
			n.relay(pc, m)
		}
	case *wire.ChannelUpdate:
		n.notePeerUpdate(pc, m)
		info, ok := n.graph.Channel(m.ShortChannelID)
		if !ok {
			n.holdUpdate(m)
			return
		}
		node := info.Node1
		if m.Direction() == 1 {
			node = info.Node2
		}
		if err := m.VerifySignature(node); err != nil {
			n.log.Debug("bad channel_update", "err", err)
			return
		}
		first := info.Policy1 == nil && info.Policy2 == nil
		if applied, _ := n.graph.ApplyChannelUpdate(m); applied {
			n.relayUpdate(pc, m, first)
		}
	case *wire.NodeAnnouncement:
		if err := m.VerifySignature(); err != nil {
			return
		}
		applied, err := n.graph.ApplyNodeAnnouncement(m)
		if applied {
			n.relay(pc, m)
		} else if errors.Is(err, routing.ErrUnknownNode) {
			n.holdNodeAnnouncement(m)
		}
	}
}

// notePeerUpdate keeps a peer's channel_update for a channel with it
// (loop), whether or not the channel is public: route hints need the
// peer's fee for forwarding to us.
func (n *Node) notePeerUpdate(pc *peerConn, u *wire.ChannelUpdate) {
	for _, cs := range n.channels {
		if cs.peer != pc.id || !refersTo(cs, u.ShortChannelID) {
			continue
		}
		peerIsNode1 := bytes.Compare(pc.id[:], n.id[:]) < 0
		if (u.Direction() == 0) != peerIsNode1 {
			return // our direction, not the peer's
		}
		if err := u.VerifySignature(wire.Point(pc.id)); err != nil {
			n.log.Debug("bad channel_update from the peer", "channel", cs.id, "err", err)
			return
		}
		if cs.peerUpdate == nil || u.Timestamp > cs.peerUpdate.Timestamp {
			cs.peerUpdate = u
		}
		return
	}
}

// refersTo reports whether scid names cs: its short_channel_id or
// either alias.
func refersTo(cs *chanState, scid wire.ShortChannelID) bool {
	if real, ok := cs.m.ShortChannelID(); ok && real == scid {
		return true
	}
	local, remote := cs.m.Aliases()
	return local != nil && *local == scid || remote != nil && *remote == scid
}

// relay passes new gossip on to the other peers (BOLT 7 "Rebroadcasting"),
// those with gossip_queries only if their gossip_timestamp_filter admits it
// (see relayTo). A peer that is not reading gets no gossip until it
// catches up.
func (n *Node) relay(from *peerConn, msg wire.Message) {
	ts, stamped := gossipTimestamp(msg)
	for id, pc := range n.peers {
		if id != from.id && pc.backlog() < relayQueueLimit && pc.relayTo(ts, stamped) {
			n.sendTo(id, msg)
		}
	}
}

// relayUpdate relays a channel_update. A peer with a filter got no
// channel_announcement when the channel was added (it has no timestamp):
// BOLT 7 has it considered with the channel's first update, so the first
// update that passes a peer's filter goes behind the announcement.
func (n *Node) relayUpdate(from *peerConn, u *wire.ChannelUpdate, first bool) {
	var ann *wire.ChannelAnnouncement
	looked := false
	for id, pc := range n.peers {
		if id == from.id || pc.backlog() >= relayQueueLimit || !pc.relayTo(u.Timestamp, true) {
			continue
		}
		if first && pc.gossipQueries() {
			if !looked {
				looked = true
				if cg, err := n.graph.Gossip(n.ctx, u.ShortChannelID); err == nil {
					ann = cg.Announcement
				}
			}
			if ann != nil {
				n.sendTo(id, ann)
			}
		}
		n.sendTo(id, u)
	}
}

// askGossip asks a new peer for its graph (loop).
func (n *Node) askGossip(pc *peerConn) {
	if !pc.p.Features().Remote.HasFeature(wire.FeatureGossipQueries) {
		return
	}
	n.sendTo(pc.id, &wire.GossipTimestampFilter{
		ChainHash:      wire.ChainHash(*n.cfg.Network.GenesisHash),
		FirstTimestamp: 0, TimestampRange: 0xffffffff,
	})
	n.startRangeSync(pc)
}

// gossipTick flushes and prunes the graph (loop).
func (n *Node) gossipTick() {
	if n.graph == nil {
		return
	}
	n.pumpServes()
	if n.now().Sub(n.lastGraphFlush) < 5*time.Second {
		return
	}
	n.lastGraphFlush = n.now()
	n.graph.PruneStale(n.now())
	if n.graph.Pending() > 0 {
		if err := n.graph.Flush(n.ctx); err != nil {
			n.log.Warn("graph flush", "err", err)
		}
	}
}

// graphRoute finds a route to p's payee over the channel graph (loop);
// nil when none. With no route for amt it tries smaller parts, down to
// minPart.
func (n *Node) graphRoute(p *payment, amt wire.MilliSatoshi, finalCLTV uint32) *route {
	return n.graphRouteTo(p, p.Destination, amt, p.finalCLTV+finalCLTVMargin, true)
}

// graphRouteTo finds a route delivering amt to target, whose HTLC must
// expire finalDelta blocks from now (loop); nil when none. With split, a
// smaller part is tried when amt finds no route.
func (n *Node) graphRouteTo(p *payment, target [33]byte, amt wire.MilliSatoshi, finalDelta uint16, split bool) *route {
	if n.graph == nil {
		return nil
	}
	var locals []routing.LocalChannel
	byRef := map[wire.ShortChannelID]*chanState{}
	for _, cs := range n.channels {
		if !n.canSend(cs) {
			continue
		}
		ref := n.channelRef(cs)
		if p.excluded[ref] {
			continue
		}
		byRef[ref] = cs
		locals = append(locals, routing.LocalChannel{ShortChannelID: ref, Peer: wire.Point(cs.peer), Spendable: cs.m.Spendable(0), HTLCMinimum: 1})
	}
	if len(locals) == 0 {
		return nil
	}
	var excluded []wire.ShortChannelID
	for scid := range p.excluded {
		excluded = append(excluded, scid)
	}
	hints := p.hints
	if target != p.Destination {
		hints = nil
	}
	const minPart = 10_000_000
	for part := amt; part > 0; part /= 2 {
		if part < amt && (!split || part < minPart) {
			break
		}
		r, err := n.graph.FindRoute(n.ctx, &routing.Request{
			Source: wire.Point(n.id), Target: wire.Point(target), Amount: part,
			CurrentHeight: n.height, FinalCLTVDelta: finalDelta, MaxFee: p.maxFee,
			LocalChannels: locals, RouteHints: hints, ExcludeChannels: excluded,
			Mission: n.mission, Now: n.now(),
		})
		if err != nil || r == nil || len(r.Hops) == 0 {
			continue
		}
		cs := byRef[r.Hops[0].ShortChannelID]
		if cs == nil {
			continue
		}
		hops := make([]RouteHop, len(r.Hops))
		for i, h := range r.Hops {
			hops[i] = RouteHop{Node: [33]byte(h.NodeID), ShortChannelID: h.ShortChannelID}
			if i == 0 {
				hops[i].Amount, hops[i].CLTV = r.TotalAmount, r.TotalTimeLock
			} else {
				hops[i].Amount, hops[i].CLTV = r.Hops[i-1].AmountToForward, r.Hops[i-1].OutgoingCLTV
			}
		}
		return &route{hops: hops, first: cs, amount: r.Amount()}
	}
	return nil
}

// routingRoute turns our route record back into package routing's form.
func routingRoute(src [33]byte, hops []RouteHop) *routing.Route {
	r := &routing.Route{Source: wire.Point(src)}
	if len(hops) == 0 {
		return r
	}
	r.TotalAmount, r.TotalTimeLock = hops[0].Amount, hops[0].CLTV
	for i, h := range hops {
		rh := routing.Hop{ShortChannelID: h.ShortChannelID, NodeID: wire.Point(h.Node)}
		if i+1 < len(hops) {
			rh.AmountToForward, rh.OutgoingCLTV = hops[i+1].Amount, hops[i+1].CLTV
			rh.Fee = h.Amount - hops[i+1].Amount
			rh.CLTVExpiryDelta = uint16(h.CLTV - hops[i+1].CLTV)
		} else {
			rh.AmountToForward, rh.OutgoingCLTV = h.Amount, h.CLTV
		}
		r.Hops = append(r.Hops, rh)
		r.TotalFees += rh.Fee
	}
	return r
}

// graphPenalize records a failed route for pathfinding (loop). The
// failing hop's position in df is counted from the first hop after the
// payer; mission control counts the payer as 0.
func (n *Node) graphPenalize(r []RouteHop, df *onion.DecryptedFailure) {
	if n.mission == nil {
		return
	}
	f := routing.Failure{ErringNode: df.SourceIndex + 1, Code: uint16(df.Code)}
	if df.Message != nil && len(df.Message.ChannelUpdate) > 0 {
		if u, err := df.Message.DecodeChannelUpdate(); err == nil && df.SourceIndex < len(r) {
			if u.VerifySignature(wire.Point(r[df.SourceIndex].Node)) == nil {
				f.Update = u
			}
		}
	}
	n.mission.ReportFailure(n.now(), routingRoute(n.id, r), f, n.graph)
}

// graphSuccess records a successful route (loop).
func (n *Node) graphSuccess(r []RouteHop) {
	if n.mission != nil {
		n.mission.ReportSuccess(n.now(), routingRoute(n.id, r))
	}
}
