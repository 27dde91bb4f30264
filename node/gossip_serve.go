package node

import (
	"errors"
	"math"

	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/wire"
)

// Serving gossip (BOLT 7 "Query Messages", "The gossip_timestamp_filter
// Message", "Rebroadcasting").
//
// The graph keeps every channel's signed channel_announcement and latest
// channel_updates in the store (routing.Graph.Gossip) and the
// node_announcements in memory, so the node answers a peer's queries with
// them:
//
//   - query_channel_range: reply_channel_range messages in ascending,
//     contiguous block ranges from the query's first_blocknum to its end,
//     with the short_channel_ids of the graph in each (uncompressed), split
//     so that each message fits 65,535 bytes (splitRange), sync_complete =
//     0 on all but the last, which has 1. With query_option, the
//     timestamps_tlv and checksums_tlv asked for are added (which lowers
//     the ids per message).
//   - query_short_channel_ids: for each id the graph knows (and holds the
//     announcement of), what the query_flags ask for or, without them,
//     the channel_announcement, its latest channel_updates and the
//     node_announcements of both ends not already sent in this reply; then
//     reply_short_channel_ids_end with full_information = 1.
//   - gossip_timestamp_filter: the stored gossip whose timestamp is in
//     the filter (each channel_announcement, which has no timestamp of its
//     own, with and before its updates in the filter; the
//     node_announcements after the channels), and from then on relayed
//     gossip only if it is in the filter. A peer that negotiated
//     gossip_queries gets no relayed gossip before its first filter; our
//     own gossip (announce.go) is sent regardless.
//
// A reply is a job on the peer (at most maxServeJobs queued; a query past
// that is dropped, as BOLT 7 lets the receiver of a query sent before
// the previous one was answered fail the connection, and a peer following
// the spec never has more than one of each kind outstanding). Jobs are
// pumped from the loop, a few hundred messages per tick and only while
// the peer's send queue is below serveBacklog, so replies neither starve
// the peer's channel messages nor grow its queue to the drop limit. A
// job holds the ids it still has to serve: 16 bytes per channel for a
// range reply, 8 for the others, and at most the two node ids per
// channel of one query_short_channel_ids.

const (
	// maxServeJobs bounds the replies queued per peer.
	maxServeJobs = 3
	// servePerTick is how many messages one peer's replies may queue per
	// pump.
	servePerTick = 400
	// serveBacklog is the send queue length below which replies are
	// pumped.
	serveBacklog = relayQueueLimit / 2
)

// maxReplyIDs caps the short_channel_ids of one reply_channel_range below
// what fits in a message; a variable for tests.
var maxReplyIDs = math.MaxInt

// replyFixedLen is a reply_channel_range's size without its lists: type,
// chain_hash, first_blocknum, number_of_blocks, sync_complete, len, the
// encoding byte, and each TLV's type, length (3 bytes) and encoding byte.
const replyFixedLen = 2 + 32 + 4 + 4 + 1 + 2 + 1 + 2*(1+3+1)

// replyIDsLimit is how many short_channel_ids fit in one
// reply_channel_range with the lists opt asks for (8 bytes per id for the
// id, 8 for its timestamps, 8 for its checksums).
func replyIDsLimit(opt wire.QueryOption) int {
	per := 8
	if opt&wire.QueryOptionTimestamps != 0 {
		per += 8
	}
	if opt&wire.QueryOptionChecksums != 0 {
		per += 8
	}
	return min((wire.MaxMessageSize-replyFixedLen)/per, maxReplyIDs)
}

// rangePart is one reply_channel_range: its block range and the stamps
// [lo, hi) it lists.
type rangePart struct {
	first, num uint32
	lo, hi     int
}

// splitRange splits the reply to a query for blocks [first, first+num)
// whose channels are stamps (ascending, all in the range) into parts of
// at most maxIDs ids. The parts start at first and follow each other
// without gaps (the next starts at the block after the previous one's
// last), each ends before a block rather than in it, and the last reaches
// the end of the query. Only a block with more channels than maxIDs is
// split across parts, which BOLT 7 allows: the next part then starts in
// that same block.
func splitRange(first, num uint32, stamps []routing.ChannelStamp, maxIDs int) []rangePart {
	maxIDs = max(maxIDs, 1)
	end := uint64(first) + uint64(num)
	var parts []rangePart
	start, lo := first, 0
	for {
		hi := lo + maxIDs
		if hi >= len(stamps) {
			// The last part: BOLT 7 wants first+num to reach the query's
			// end, which a u32 count may not express from a late start.
			n := min(end-uint64(start), math.MaxUint32)
			return append(parts, rangePart{first: start, num: uint32(n), lo: lo, hi: len(stamps)})
		}
		// stamps[hi] is the first id that does not fit: end the part
		// before its block, unless that block starts the part.
		h := stamps[hi].ShortChannelID.BlockHeight
		k := hi
		for k > lo && stamps[k-1].ShortChannelID.BlockHeight == h {
			k--
		}
		if k > lo {
			parts = append(parts, rangePart{first: start, num: h - start, lo: lo, hi: k})
			start, lo = h, k
		} else {
			parts = append(parts, rangePart{first: start, num: h - start + 1, lo: lo, hi: hi})
			start, lo = h, hi
		}
	}
}

type serveKind uint8

const (
	serveRange serveKind = iota
	serveIDs
	serveFilter
)

// serveJob is a reply being sent to a peer (loop-owned).
type serveJob struct {
	kind serveKind
	pos  int

	// serveRange
	opt    wire.QueryOption
	stamps []routing.ChannelStamp
	parts  []rangePart

	// serveIDs and serveFilter: the channels to serve.
	ids []wire.ShortChannelID
	// serveIDs
	flags []wire.QueryFlags
	sent  map[wire.Point]struct{}
	// serveFilter: the filter, and the node_announcements sent after
	// the channels (nodes is set once ids are done).
	filter   wire.GossipTimestampFilter
	nodes    []routing.NodeStamp
	nodesSet bool
}

// gossipQueries reports whether pc negotiated gossip_queries.
func (pc *peerConn) gossipQueries() bool {
	return pc.p.Features().Remote.HasFeature(wire.FeatureGossipQueries)
}

// queueServe adds a reply job for pc and starts sending it (loop).
func (n *Node) queueServe(pc *peerConn, j *serveJob) {
	if len(pc.sync.jobs) >= maxServeJobs {
		n.log.Debug("gossip query dropped: too many outstanding", "peer", pc.pub)
		return
	}
	pc.sync.jobs = append(pc.sync.jobs, j)
	n.pumpServe(pc)
}

// serveRangeQuery queues the reply to a query_channel_range (loop).
func (n *Node) serveRangeQuery(pc *peerConn, m *wire.QueryChannelRange) {
	j := &serveJob{kind: serveRange}
	if m.QueryOption != nil {
		j.opt = *m.QueryOption & (wire.QueryOptionTimestamps | wire.QueryOptionChecksums)
	}
	j.stamps = n.graph.ChannelStamps(m.FirstBlockNum, m.EndBlock())
	j.parts = splitRange(m.FirstBlockNum, m.NumberOfBlocks, j.stamps, replyIDsLimit(j.opt))
	n.queueServe(pc, j)
}

// serveIDQuery queues the reply to a query_short_channel_ids (loop).
func (n *Node) serveIDQuery(pc *peerConn, m *wire.QueryShortChannelIDs) {
	chainHash := wire.ChainHash(*n.cfg.Network.GenesisHash)
	ids, err := m.ShortChannelIDs()
	var flags []wire.QueryFlags
	if err == nil {
		flags, err = m.Flags()
	}
	if m.ChainHash != chainHash || err != nil {
		// Another chain, or a query we cannot read: we know nothing
		// of it.
		n.sendTo(pc.id, &wire.ReplyShortChannelIDsEnd{ChainHash: m.ChainHash, FullInformation: 0})
		return
	}
	n.queueServe(pc, &serveJob{kind: serveIDs, ids: ids, flags: flags, sent: map[wire.Point]struct{}{}})
}

// setFilter records a gossip_timestamp_filter and queues the stored
// gossip it selects, replacing the one a previous filter queued (loop).
func (n *Node) setFilter(pc *peerConn, m *wire.GossipTimestampFilter) {
	if m.ChainHash != wire.ChainHash(*n.cfg.Network.GenesisHash) {
		return
	}
	f := *m
	pc.sync.filter = &f
	jobs := pc.sync.jobs[:0]
	for _, j := range pc.sync.jobs {
		if j.kind != serveFilter {
			jobs = append(jobs, j)
		}
	}
	pc.sync.jobs = jobs
	j := &serveJob{kind: serveFilter, filter: f}
	for _, s := range n.graph.ChannelStamps(0, math.MaxUint32+1) {
		if stampsIn(&f, s.Timestamps) {
			j.ids = append(j.ids, s.ShortChannelID)
		}
	}
	n.queueServe(pc, j)
}

// stampsIn reports whether a channel has an update in f.
func stampsIn(f *wire.GossipTimestampFilter, ts [2]uint32) bool {
	return ts[0] != 0 && f.Contains(ts[0]) || ts[1] != 0 && f.Contains(ts[1])
}

// pumpServes pumps every peer's replies (loop, each tick).
func (n *Node) pumpServes() {
	for _, pc := range n.peers {
		if len(pc.sync.jobs) > 0 {
			n.pumpServe(pc)
		}
	}
}

// pumpServe sends the next messages of pc's replies (loop).
func (n *Node) pumpServe(pc *peerConn) {
	budget := min(servePerTick, serveBacklog-pc.backlog())
	for budget > 0 && len(pc.sync.jobs) > 0 {
		j := pc.sync.jobs[0]
		if n.serveStep(pc, j, &budget) {
			pc.sync.jobs[0] = nil
			pc.sync.jobs = pc.sync.jobs[1:]
		}
	}
	if len(pc.sync.jobs) == 0 {
		pc.sync.jobs = nil
	}
}

// serveStep sends one unit of j (a reply_channel_range, or one channel's
// messages) and reports whether j is done (loop).
func (n *Node) serveStep(pc *peerConn, j *serveJob, budget *int) bool {
	send := func(m wire.Message) {
		n.sendTo(pc.id, m)
		*budget--
	}
	chainHash := wire.ChainHash(*n.cfg.Network.GenesisHash)
	switch j.kind {
	case serveRange:
		p := j.parts[j.pos]
		j.pos++
		last := j.pos == len(j.parts)
		r, err := n.rangeReply(chainHash, p, j.stamps[p.lo:p.hi], j.opt)
		if err != nil {
			// Not expected (the ids are ascending and fit): answer
			// the part with no ids rather than leave a gap.
			n.log.Warn("reply_channel_range", "err", err)
			r = &wire.ReplyChannelRange{ChainHash: chainHash, FirstBlockNum: p.first, NumberOfBlocks: p.num,
				EncodedShortIDs: wire.EncodedShortIDs{byte(wire.EncodingUncompressed)}}
		}
		if last {
			r.SyncComplete = 1
		}
		send(r)
		if last {
			j.stamps, j.parts = nil, nil
		}
		return last
	case serveIDs:
		if j.pos == len(j.ids) {
			send(&wire.ReplyShortChannelIDsEnd{ChainHash: chainHash, FullInformation: 1})
			return true
		}
		id := j.ids[j.pos]
		flags := ^wire.QueryFlags(0)
		if j.flags != nil {
			flags = j.flags[j.pos]
		}
		j.pos++
		n.serveChannel(id, flags, j.sent, nil, send)
		return false
	case serveFilter:
		if j.pos < len(j.ids) {
			id := j.ids[j.pos]
			j.pos++
			n.serveChannel(id, wire.QueryChannelAnnouncement|wire.QueryChannelUpdate1|wire.QueryChannelUpdate2, nil, &j.filter, send)
			return false
		}
		if !j.nodesSet {
			j.ids, j.nodesSet = nil, true
			j.nodes = n.graph.NodeStamps(j.filter.Contains)
			j.pos = 0
		}
		if j.pos == len(j.nodes) {
			return true
		}
		if na := n.graph.NodeAnnouncement(j.nodes[j.pos].NodeID); na != nil && j.filter.Contains(na.Timestamp) {
			send(na)
		}
		j.pos++
		return false
	}
	return true
}

// rangeReply builds the reply_channel_range of part p (loop).
func (n *Node) rangeReply(chainHash wire.ChainHash, p rangePart, stamps []routing.ChannelStamp, opt wire.QueryOption) (*wire.ReplyChannelRange, error) {
	r := &wire.ReplyChannelRange{ChainHash: chainHash, FirstBlockNum: p.first, NumberOfBlocks: p.num}
	ids := make([]wire.ShortChannelID, len(stamps))
	for i, s := range stamps {
		ids[i] = s.ShortChannelID
	}
	if err := r.SetShortChannelIDs(wire.EncodingUncompressed, ids); err != nil {
		return nil, err
	}
	if opt&wire.QueryOptionTimestamps != 0 {
		ts := make([]wire.ChannelUpdateTimestamps, len(stamps))
		for i, s := range stamps {
			ts[i] = wire.ChannelUpdateTimestamps{NodeID1: s.Timestamps[0], NodeID2: s.Timestamps[1]}
		}
		if err := r.SetTimestamps(wire.EncodingUncompressed, ts); err != nil {
			return nil, err
		}
	}
	if opt&wire.QueryOptionChecksums != 0 {
		r.Checksums = make([]wire.ChannelUpdateChecksums, len(stamps))
		for i, s := range stamps {
			cg, err := n.graph.Gossip(n.ctx, s.ShortChannelID)
			if err != nil {
				continue // removed meanwhile, or unreadable: 0, as for no update
			}
			var sums [2]uint32
			for d, u := range cg.Updates {
				if u != nil {
					sums[d], _ = u.Checksum()
				}
			}
			r.Checksums[i] = wire.ChannelUpdateChecksums{NodeID1: sums[0], NodeID2: sums[1]}
		}
	}
	return r, nil
}

// serveChannel sends the stored messages of channel id that flags ask for:
// the announcement before its updates, then the node_announcements not in
// sent (which it adds to). With f, only updates in f are sent, and the
// announcement only with one; node_announcements are then left to the
// caller (loop).
func (n *Node) serveChannel(id wire.ShortChannelID, flags wire.QueryFlags, sent map[wire.Point]struct{}, f *wire.GossipTimestampFilter, send func(wire.Message)) {
	cg, err := n.graph.Gossip(n.ctx, id)
	if err != nil {
		if !errors.Is(err, routing.ErrUnknownChannel) {
			n.log.Warn("stored gossip", "scid", id, "err", err)
		}
		return
	}
	if cg.Announcement == nil {
		// Stored before messages were kept: nothing verifiable to send.
		return
	}
	var upd [2]*wire.ChannelUpdate
	for d, u := range cg.Updates {
		if u != nil && flags&(wire.QueryChannelUpdate1<<d) != 0 && (f == nil || f.Contains(u.Timestamp)) {
			upd[d] = u
		}
	}
	if f != nil && upd[0] == nil && upd[1] == nil {
		return
	}
	if flags&wire.QueryChannelAnnouncement != 0 {
		send(cg.Announcement)
	}
	for _, u := range upd {
		if u != nil {
			send(u)
		}
	}
	if f != nil {
		return
	}
	for d, nid := range [2]wire.Point{cg.Announcement.NodeID1, cg.Announcement.NodeID2} {
		if flags&(wire.QueryNodeAnnouncement1<<d) == 0 {
			continue
		}
		if _, dup := sent[nid]; dup {
			continue
		}
		if na := n.graph.NodeAnnouncement(nid); na != nil {
			sent[nid] = struct{}{}
			send(na)
		}
	}
}

// gossipTimestamp is the timestamp gossip_timestamp_filter compares for
// msg; false for a channel_announcement, which has none.
func gossipTimestamp(msg wire.Message) (uint32, bool) {
	switch m := msg.(type) {
	case *wire.ChannelUpdate:
		return m.Timestamp, true
	case *wire.NodeAnnouncement:
		return m.Timestamp, true
	}
	return 0, false
}

// relayTo reports whether relayed gossip stamped ts (stamped false: a
// channel_announcement) goes to pc now: a peer without gossip_queries gets
// everything, one with it only what its filter admits, and nothing
// before it sent one.
func (pc *peerConn) relayTo(ts uint32, stamped bool) bool {
	if !pc.gossipQueries() {
		return true
	}
	f := pc.sync.filter
	return f != nil && stamped && f.Contains(ts)
}
