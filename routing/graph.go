package routing

import (
	"bytes"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// StaleAfter is the age past which BOLT 7 lets a node prune a channel:
// two weeks (1209600 seconds) since the older of the latest
// channel_updates of its two directions ("Pruning the Network View").
const StaleAfter = 1209600 * time.Second

// Graph is the channel graph a payer routes over: the public channels it
// learnt from gossip, with both directions' latest policies, and the
// node_announcements of their nodes. The caller verifies every message's
// signatures (and the funding output on chain) before handing it to the
// graph; the graph checks only what it can see: the chain, the order of
// node ids, timestamps.
//
// In memory a Graph keeps no signatures and no raw channel messages,
// only what routing needs: about 240 bytes per channel (see
// BenchmarkPathfind). A graph opened on a store keeps the signed
// channel_announcements and channel_updates there, for serving gossip
// (see Gossip); node_announcements are kept whole, in memory and in the
// store.
//
// A Graph is safe for concurrent use: pathfinding takes a read lock, so
// many routes can be computed at once while gossip waits for the writer's
// lock.
type Graph struct {
	mu    sync.RWMutex
	chain wire.ChainHash

	nodes     []node
	nodeIdx   map[wire.Point]uint32
	freeNodes []uint32

	chans     []chanSlot
	chanIdx   map[uint64]uint32
	freeChans []uint32

	closed map[uint64]struct{}

	// Persistence (nil st: the graph lives in memory only).
	st         store.Store
	prefix     string
	dirtyChans map[uint64]struct{}
	dirtyNodes map[wire.Point]struct{}
	// pendingRaw holds the encoded messages of channels changed since
	// the last Flush, flushingRaw those of the Flush being written
	// (gossipstore.go).
	pendingRaw  map[uint64]*rawGossip
	flushingRaw map[uint64]*rawGossip
}

// node is a graph node. adj holds, for each of its channels, the
// direction into this node: the node at the other end and that node's
// policy. The pathfinder, which walks from the payee back, reads a node's
// incoming directions in one sequential scan.
type node struct {
	id  wire.Point
	adj []adjEntry
	ann *wire.NodeAnnouncement
}

// adjEntry is one channel direction into a node: 48 bytes.
type adjEntry struct {
	pol     policy // the policy of other, for forwarding to this node
	capMsat uint64 // the capacity in msat; 0 when unknown
	ci      uint32 // the channel's index
	other   uint32 // the node at the other end
}

// chanSlot is a graph channel: 40 bytes. node[0] is node_id_1. The policy
// of direction d (from node[d]) is nodes[node[1-d]].adj[pos[d]].pol.
type chanSlot struct {
	scid     uint64
	capacity uint64 // satoshis; 0 when unknown
	node     [2]uint32
	pos      [2]uint32
	seen     uint32 // when the announcement was added (UNIX seconds)
}

// channel is a channel with both policies, as added and stored.
type channel struct {
	scid     uint64
	capacity uint64
	node     [2]uint32
	seen     uint32
	pol      [2]policy
}

// freeSlot marks an unused channel or node slot.
const freeSlot = math.MaxUint32

// ChannelInfo describes a channel of the graph.
type ChannelInfo struct {
	// ShortChannelID identifies the channel.
	ShortChannelID wire.ShortChannelID
	// Node1 and Node2 are node_id_1 and node_id_2 of the announcement;
	// Node1 is the lesser.
	Node1, Node2 wire.Point
	// Capacity is the funding output's value, or 0 when the caller did not
	// give it.
	Capacity btcutil.Amount
	// Policy1 is the policy of the direction from Node1 to Node2 (the
	// channel_update with direction bit 0), Policy2 the other; nil when no
	// update was received for that direction.
	Policy1, Policy2 *Policy
}

// NewGraph returns an empty graph for the chain whose genesis hash is
// chain, kept in memory only.
func NewGraph(chain wire.ChainHash) *Graph {
	return &Graph{
		chain:   chain,
		nodeIdx: make(map[wire.Point]uint32),
		chanIdx: make(map[uint64]uint32),
		closed:  make(map[uint64]struct{}),
	}
}

// NumNodes returns the number of nodes (every node has a channel).
func (g *Graph) NumNodes() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.nodeIdx)
}

// NumChannels returns the number of channels.
func (g *Graph) NumChannels() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.chanIdx)
}

// unixSeconds converts t to a u32 timestamp, clamping.
func unixSeconds(t time.Time) uint32 {
	s := t.Unix()
	if s < 0 {
		return 0
	}
	if s > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(s)
}

// AddChannel adds the channel of a verified channel_announcement.
// capacity is the funding output's value (0 when unknown: the pathfinder
// then bounds the channel by htlc_maximum_msat); seen is when the
// announcement was received, which stands for a direction's missing
// channel_update when pruning. Adding an announced channel again with the
// same nodes updates a non-zero capacity and reports false.
func (g *Graph) AddChannel(ann *wire.ChannelAnnouncement, capacity btcutil.Amount, seen time.Time) (bool, error) {
	if ann == nil {
		return false, fmt.Errorf("%w: nil", ErrInvalidAnnouncement)
	}
	if ann.ChainHash != g.chain {
		return false, fmt.Errorf("%w: %v", ErrWrongChain, ann.ChainHash)
	}
	if !ann.ShortChannelID.Valid() {
		return false, fmt.Errorf("%w: short_channel_id %v out of range", ErrInvalidAnnouncement, ann.ShortChannelID)
	}
	if bytes.Compare(ann.NodeID1[:], ann.NodeID2[:]) >= 0 {
		return false, fmt.Errorf("%w: node_id_1 is not less than node_id_2", ErrInvalidAnnouncement)
	}
	if capacity < 0 {
		return false, fmt.Errorf("%w: negative capacity %v", ErrInvalidAnnouncement, capacity)
	}
	scid := ann.ShortChannelID.ToUint64()
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.closed[scid]; ok {
		return false, fmt.Errorf("%w: %v", ErrChannelClosed, ann.ShortChannelID)
	}
	if ci, ok := g.chanIdx[scid]; ok {
		c := &g.chans[ci]
		if g.nodes[c.node[0]].id != ann.NodeID1 || g.nodes[c.node[1]].id != ann.NodeID2 {
			return false, fmt.Errorf("%w: %v", ErrChannelExists, ann.ShortChannelID)
		}
		if capacity > 0 && uint64(capacity) != c.capacity {
			c.capacity = uint64(capacity)
			for d := range c.pos {
				g.nodes[c.node[1-d]].adj[c.pos[d]].capMsat = uint64(capacity) * 1000
			}
			g.markChan(scid)
		}
		return false, nil
	}
	n1 := g.nodeFor(ann.NodeID1)
	n2 := g.nodeFor(ann.NodeID2)
	c := channel{scid: scid, capacity: uint64(capacity), node: [2]uint32{n1, n2}, seen: unixSeconds(seen)}
	g.insertChannel(c)
	g.markChan(scid)
	g.keepAnnouncement(scid, ann)
	return true, nil
}

// nodeFor returns the index of id, adding the node if needed.
func (g *Graph) nodeFor(id wire.Point) uint32 {
	if i, ok := g.nodeIdx[id]; ok {
		return i
	}
	var i uint32
	if n := len(g.freeNodes); n > 0 {
		i = g.freeNodes[n-1]
		g.freeNodes = g.freeNodes[:n-1]
		g.nodes[i] = node{id: id}
	} else {
		i = uint32(len(g.nodes))
		g.nodes = append(g.nodes, node{id: id})
	}
	g.nodeIdx[id] = i
	return i
}

// insertChannel stores c and links it to its nodes.
func (g *Graph) insertChannel(c channel) uint32 {
	slot := chanSlot{scid: c.scid, capacity: c.capacity, node: c.node, seen: c.seen}
	var i uint32
	if n := len(g.freeChans); n > 0 {
		i = g.freeChans[n-1]
		g.freeChans = g.freeChans[:n-1]
	} else {
		i = uint32(len(g.chans))
		g.chans = append(g.chans, chanSlot{})
	}
	for d := range c.pol {
		to := &g.nodes[c.node[1-d]]
		slot.pos[d] = uint32(len(to.adj))
		to.adj = append(to.adj, adjEntry{pol: c.pol[d], capMsat: c.capacity * 1000, ci: i, other: c.node[d]})
	}
	g.chans[i] = slot
	g.chanIdx[c.scid] = i
	return i
}

// policyOf returns the policy of direction d of channel ci.
func (g *Graph) policyOf(ci uint32, d int) *policy {
	c := &g.chans[ci]
	return &g.nodes[c.node[1-d]].adj[c.pos[d]].pol
}

// record returns channel ci with both policies.
func (g *Graph) record(ci uint32) channel {
	c := &g.chans[ci]
	return channel{scid: c.scid, capacity: c.capacity, node: c.node, seen: c.seen,
		pol: [2]policy{*g.policyOf(ci, 0), *g.policyOf(ci, 1)}}
}

// ApplyChannelUpdate applies a verified channel_update to its channel's
// direction if it is newer than the one held (BOLT 7: an update with a
// lower or equal timestamp is ignored). It reports whether the policy
// changed. The channel must have been added with AddChannel; the update's
// signature must have been verified against the announcement's node_id_1
// (direction 0) or node_id_2 (direction 1).
func (g *Graph) ApplyChannelUpdate(u *wire.ChannelUpdate) (bool, error) {
	if u == nil {
		return false, fmt.Errorf("%w: nil channel_update", ErrUnknownChannel)
	}
	if u.ChainHash != g.chain {
		return false, fmt.Errorf("%w: %v", ErrWrongChain, u.ChainHash)
	}
	scid := u.ShortChannelID.ToUint64()
	g.mu.Lock()
	defer g.mu.Unlock()
	ci, ok := g.chanIdx[scid]
	if !ok {
		if _, closed := g.closed[scid]; closed {
			return false, fmt.Errorf("%w: %v", ErrChannelClosed, u.ShortChannelID)
		}
		return false, fmt.Errorf("%w: %v", ErrUnknownChannel, u.ShortChannelID)
	}
	p := g.policyOf(ci, u.Direction())
	if p.known() && u.Timestamp <= p.timestamp {
		return false, nil
	}
	*p = policyFromUpdate(u)
	g.markChan(scid)
	g.keepUpdate(scid, u)
	return true, nil
}

// ApplyNodeAnnouncement keeps a verified node_announcement if its node has
// a channel and it is newer than the one held (BOLT 7: a node_announcement
// of a node not known from a channel_announcement is ignored, and so is one
// whose timestamp is not greater than the last). It reports whether it was
// kept. The graph keeps its own copy.
func (g *Graph) ApplyNodeAnnouncement(a *wire.NodeAnnouncement) (bool, error) {
	if a == nil {
		return false, fmt.Errorf("%w: nil node_announcement", ErrUnknownNode)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	ni, ok := g.nodeIdx[a.NodeID]
	if !ok {
		return false, fmt.Errorf("%w: %v", ErrUnknownNode, a.NodeID)
	}
	n := &g.nodes[ni]
	if n.ann != nil && a.Timestamp <= n.ann.Timestamp {
		return false, nil
	}
	n.ann = cloneNodeAnnouncement(a)
	g.markNode(a.NodeID)
	return true, nil
}

func cloneNodeAnnouncement(a *wire.NodeAnnouncement) *wire.NodeAnnouncement {
	c := *a
	c.Features = bytes.Clone(a.Features)
	c.Addresses = append([]wire.NetAddress(nil), a.Addresses...)
	for i := range c.Addresses {
		c.Addresses[i].Addr = bytes.Clone(c.Addresses[i].Addr)
	}
	c.Extra = append(wire.ExtraTLVs(nil), a.Extra...)
	for i := range c.Extra {
		c.Extra[i].Value = bytes.Clone(c.Extra[i].Value)
	}
	return &c
}

// NodeAnnouncement returns a copy of the latest node_announcement of id,
// or nil if none was received (or the node is not in the graph).
func (g *Graph) NodeAnnouncement(id wire.Point) *wire.NodeAnnouncement {
	g.mu.RLock()
	defer g.mu.RUnlock()
	ni, ok := g.nodeIdx[id]
	if !ok || g.nodes[ni].ann == nil {
		return nil
	}
	return cloneNodeAnnouncement(g.nodes[ni].ann)
}

// HasNode reports whether id has a channel in the graph.
func (g *Graph) HasNode(id wire.Point) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	_, ok := g.nodeIdx[id]
	return ok
}

// Channel returns the channel scid, if the graph has it.
func (g *Graph) Channel(scid wire.ShortChannelID) (ChannelInfo, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	ci, ok := g.chanIdx[scid.ToUint64()]
	if !ok {
		return ChannelInfo{}, false
	}
	return g.info(ci), true
}

func (g *Graph) info(ci uint32) ChannelInfo {
	c := g.record(ci)
	return ChannelInfo{
		ShortChannelID: wire.NewShortChannelIDFromUint64(c.scid),
		Node1:          g.nodes[c.node[0]].id,
		Node2:          g.nodes[c.node[1]].id,
		Capacity:       btcutil.Amount(c.capacity),
		Policy1:        c.pol[0].export(),
		Policy2:        c.pol[1].export(),
	}
}

// ForEachChannel calls fn for every channel, in no particular order, until
// fn returns false. fn must not call the graph's writing methods.
func (g *Graph) ForEachChannel(fn func(ChannelInfo) bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	for i := range g.chans {
		if g.chans[i].node[0] == freeSlot {
			continue
		}
		if !fn(g.info(uint32(i))) {
			return
		}
	}
}

// RemoveChannel removes a channel (for example one whose funding output
// the caller found spent or never confirmed). Unlike MarkClosed it leaves
// no tombstone: the channel may be announced again. It reports whether
// the channel was in the graph.
func (g *Graph) RemoveChannel(scid wire.ShortChannelID) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.removeChannel(scid.ToUint64())
}

// MarkClosed removes a channel whose funding output was spent and
// remembers it as closed, so that later gossip about it is refused with
// ErrChannelClosed (BOLT 7: updates of a channel closed in the meantime
// are ignored). It reports whether the channel was in the graph.
func (g *Graph) MarkClosed(scid wire.ShortChannelID) bool {
	k := scid.ToUint64()
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed[k] = struct{}{}
	had := g.removeChannel(k)
	g.markChan(k)
	return had
}

// PruneStale removes every channel that BOLT 7 lets a node prune at time
// now: those whose older direction is more than StaleAfter old ("if the
// timestamp of the latest channel_update in either direction is older than
// two weeks"), so that a channel one end of which has vanished goes even
// while the other end keeps sending updates. A direction without any
// channel_update counts as updated when the announcement was added. It
// returns the pruned channels; they may be announced again.
func (g *Graph) PruneStale(now time.Time) []wire.ShortChannelID {
	cutoff := now.Add(-StaleAfter).Unix()
	g.mu.Lock()
	defer g.mu.Unlock()
	var pruned []wire.ShortChannelID
	for i := range g.chans {
		if g.chans[i].node[0] == freeSlot {
			continue
		}
		c := g.record(uint32(i))
		oldest := int64(math.MaxInt64)
		for d := range c.pol {
			ts := int64(c.seen)
			if c.pol[d].known() {
				ts = int64(c.pol[d].timestamp)
			}
			oldest = min(oldest, ts)
		}
		if oldest < cutoff {
			pruned = append(pruned, wire.NewShortChannelIDFromUint64(c.scid))
		}
	}
	for _, s := range pruned {
		g.removeChannel(s.ToUint64())
	}
	return pruned
}

// removeChannel unlinks a channel, and its nodes if they have no channel
// left. The caller holds the write lock.
func (g *Graph) removeChannel(scid uint64) bool {
	ci, ok := g.chanIdx[scid]
	if !ok {
		return false
	}
	c := g.chans[ci]
	delete(g.chanIdx, scid)
	g.dropRaw(scid)
	for d := range c.pos {
		g.unlink(c.node[1-d], c.pos[d])
	}
	g.chans[ci] = chanSlot{node: [2]uint32{freeSlot, freeSlot}}
	g.freeChans = append(g.freeChans, ci)
	g.markChan(scid)
	for _, ni := range c.node {
		n := &g.nodes[ni]
		if len(n.adj) == 0 {
			id := n.id
			delete(g.nodeIdx, id)
			g.nodes[ni] = node{}
			g.freeNodes = append(g.freeNodes, ni)
			g.markNode(id)
		}
	}
	return true
}

// unlink removes entry j of node ni's adjacency, moving the last entry
// into its place and updating that entry's channel.
func (g *Graph) unlink(ni, j uint32) {
	n := &g.nodes[ni]
	last := uint32(len(n.adj) - 1)
	if j != last {
		m := n.adj[last]
		n.adj[j] = m
		mc := &g.chans[m.ci]
		d := 0 // the moved entry is direction d of its channel, into node[1-d]
		if mc.node[0] == ni {
			d = 1
		}
		mc.pos[d] = j
	}
	n.adj = n.adj[:last]
}

// IsClosed reports whether scid was marked closed.
func (g *Graph) IsClosed(scid wire.ShortChannelID) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	_, ok := g.closed[scid.ToUint64()]
	return ok
}
