package node

import (
	"cmp"
	"slices"

	"github.com/lnkit/lnkit/wire"
)

// Gossip queries (BOLT 7 "Query Messages").
//
// On connecting to a peer that supports gossip_queries, the node asks
// for every channel of the chain with query_channel_range, collects the
// short_channel_ids of the replies, and asks for the ones its graph does
// not hold with query_short_channel_ids, one query at a time (BOLT 7
// forbids a second before reply_short_channel_ids_end). The peer answers
// with the announcements and updates, which go through handleGossip like
// any other gossip. A gossip_timestamp_filter is sent as well, for what
// the peer learns later.
//
// The node serves the same queries from its own graph: see
// gossip_serve.go.

// gossipSync is a peer's query state (loop-owned).
type gossipSync struct {
	// ranging is set while the replies to our query_channel_range come.
	ranging bool
	// wanted are the ids still to ask for; asking is set while a
	// query_short_channel_ids is outstanding.
	wanted []wire.ShortChannelID
	asking bool
	// seen holds every id taken from this connection's replies, so
	// overlapping replies do not ask twice.
	seen map[wire.ShortChannelID]struct{}

	// filter is the peer's gossip_timestamp_filter, nil before its first
	// (gossip_serve.go).
	filter *wire.GossipTimestampFilter
	// jobs are the replies being sent to the peer (gossip_serve.go).
	jobs []*serveJob
}

const (
	// maxSyncIDs bounds the ids collected from one connection's range
	// replies (about 40 bytes each in seen): several times the public
	// network.
	maxSyncIDs = 400_000
	// queryChunk is how many ids one query_short_channel_ids carries:
	// 8000 uncompressed ids fill 64,000 of a message's 65,535 bytes.
	queryChunk = 8000
)

// startRangeSync sends query_channel_range for the whole chain (loop).
func (n *Node) startRangeSync(pc *peerConn) {
	pc.sync.ranging = true
	n.sendTo(pc.id, &wire.QueryChannelRange{
		ChainHash: wire.ChainHash(*n.cfg.Network.GenesisHash), FirstBlockNum: 0, NumberOfBlocks: 0xffffffff,
	})
}

// handleGossipQuery handles the query messages; it reports false for any
// other message (loop).
func (n *Node) handleGossipQuery(pc *peerConn, msg wire.Message) bool {
	chainHash := wire.ChainHash(*n.cfg.Network.GenesisHash)
	switch m := msg.(type) {
	case *wire.ReplyChannelRange:
		if !pc.sync.ranging || m.ChainHash != chainHash {
			return true
		}
		ids, err := m.EncodedShortIDs.Decode()
		if err != nil {
			n.log.Debug("reply_channel_range refused", "peer", pc.pub, "err", err)
			pc.sync.ranging = false
			return true
		}
		for _, id := range ids {
			if len(pc.sync.seen) >= maxSyncIDs {
				break
			}
			if _, dup := pc.sync.seen[id]; dup {
				continue
			}
			if _, known := n.graph.Channel(id); !known && !n.graph.IsClosed(id) {
				if pc.sync.seen == nil {
					pc.sync.seen = map[wire.ShortChannelID]struct{}{}
				}
				pc.sync.seen[id] = struct{}{}
				pc.sync.wanted = append(pc.sync.wanted, id)
			}
		}
		// The last reply reaches the end of the queried range (all of
		// it); sync_complete only says whether the peer's view is
		// up to date.
		if uint64(m.FirstBlockNum)+uint64(m.NumberOfBlocks) >= 0xffffffff {
			pc.sync.ranging = false
		}
		n.askNextIDs(pc)
	case *wire.ReplyShortChannelIDsEnd:
		if m.ChainHash == chainHash && pc.sync.asking {
			pc.sync.asking = false
			n.askNextIDs(pc)
		}
	case *wire.QueryChannelRange:
		if m.ChainHash != chainHash {
			return true
		}
		n.serveRangeQuery(pc, m)
	case *wire.QueryShortChannelIDs:
		n.serveIDQuery(pc, m)
	case *wire.GossipTimestampFilter:
		n.setFilter(pc, m)
	default:
		return false
	}
	return true
}

// askNextIDs sends the next query_short_channel_ids, if none is
// outstanding (loop). It does not wait for the last range reply: a peer
// that clamps its replies to its own height never sends one that reaches
// the end of the range.
func (n *Node) askNextIDs(pc *peerConn) {
	if pc.sync.asking || len(pc.sync.wanted) == 0 {
		return
	}
	chunk := pc.sync.wanted
	if len(chunk) > queryChunk {
		chunk = chunk[:queryChunk]
	}
	pc.sync.wanted = pc.sync.wanted[len(chunk):]
	if len(pc.sync.wanted) == 0 {
		pc.sync.wanted = nil
	}
	// Ascending, as BOLT 7 requires of the list (seen keeps repeats out).
	slices.SortFunc(chunk, func(a, b wire.ShortChannelID) int { return cmp.Compare(a.ToUint64(), b.ToUint64()) })
	q := &wire.QueryShortChannelIDs{ChainHash: wire.ChainHash(*n.cfg.Network.GenesisHash)}
	if err := q.SetShortChannelIDs(wire.EncodingUncompressed, chunk); err != nil {
		n.log.Debug("query_short_channel_ids", "err", err)
		return
	}
	pc.sync.asking = true
	n.sendTo(pc.id, q)
}
