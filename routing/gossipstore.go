package routing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// The signed gossip of a stored graph.
//
// A graph opened on a store (OpenGraph) keeps, for each channel, its
// channel_announcement and the latest channel_update of each direction as
// the wire messages they were received as (signatures included), so that
// the node can serve them to peers (BOLT 7 "Query Messages",
// "Rebroadcasting"). They live in the store only, in a key space parallel
// to the channel records:
//
//	g/<16 hex digits of the short_channel_id>/a  the channel_announcement
//	g/<16 hex digits of the short_channel_id>/0  channel_update, direction 0
//	g/<16 hex digits of the short_channel_id>/1  channel_update, direction 1
//
// each value being recordVersion followed by the message (type and
// payload, as on the wire). Between a change and the Flush that writes it
// the encoded message waits in a map of the dirty channels, so the
// graph's memory per channel does not grow; Flush writes the messages in
// the same batches as the channel records, and deletes them with the
// channel. A graph stored before this key space existed loads as before:
// its channels simply have no stored messages until gossip brings new
// ones. A graph made with NewGraph keeps no messages.
const gossipKeys = "g/"

// Suffixes of the gossip keys.
const (
	gossipAnn  = "/a"
	gossipUpd0 = "/0"
	gossipUpd1 = "/1"
)

// rawGossip holds a dirty channel's encoded messages until Flush (nil:
// unchanged).
type rawGossip struct {
	ann []byte
	upd [2][]byte
	// fresh: the channel was (re-)added, so stored messages of an
	// earlier channel with the id are deleted.
	fresh bool
}

// ChannelGossip is a channel's signed gossip as stored.
type ChannelGossip struct {
	// Announcement is the channel_announcement, nil when none is stored
	// (a channel from a graph stored before messages were kept).
	Announcement *wire.ChannelAnnouncement
	// Updates are the latest channel_updates of direction 0 (from
	// node_id_1) and 1; nil where none is stored.
	Updates [2]*wire.ChannelUpdate
}

func gossipKey(prefix string, scid uint64, suffix string) string {
	return prefix + gossipKeys + scidKey(scid) + suffix
}

// keepAnnouncement remembers ann's encoding for the next Flush (caller
// holds the write lock).
func (g *Graph) keepAnnouncement(scid uint64, ann *wire.ChannelAnnouncement) {
	if g.st == nil {
		return
	}
	v, err := encodeGossip(ann)
	if err != nil {
		return
	}
	r := g.rawFor(scid)
	r.ann, r.fresh = v, true
}

// keepUpdate remembers u's encoding for the next Flush (caller holds the
// write lock).
func (g *Graph) keepUpdate(scid uint64, u *wire.ChannelUpdate) {
	if g.st == nil {
		return
	}
	v, err := encodeGossip(u)
	if err != nil {
		return
	}
	g.rawFor(scid).upd[u.Direction()] = v
}

func (g *Graph) rawFor(scid uint64) *rawGossip {
	if g.pendingRaw == nil {
		g.pendingRaw = make(map[uint64]*rawGossip)
	}
	r := g.pendingRaw[scid]
	if r == nil {
		r = new(rawGossip)
		g.pendingRaw[scid] = r
	}
	return r
}

// dropRaw forgets the pending messages of a removed channel (caller holds
// the write lock); Flush deletes the stored ones.
func (g *Graph) dropRaw(scid uint64) {
	delete(g.pendingRaw, scid)
}

// putGossip adds the writes of channel scid's messages to b: the pending
// ones when the channel is in the graph, deletes when it is not (caller
// holds the write lock).
func (g *Graph) putGossip(b *store.Batch, scid uint64, present bool, r *rawGossip) {
	keys := [3]string{gossipKey(g.prefix, scid, gossipAnn), gossipKey(g.prefix, scid, gossipUpd0), gossipKey(g.prefix, scid, gossipUpd1)}
	if !present {
		for _, k := range keys {
			b.Delete(k)
		}
		return
	}
	if r == nil {
		return
	}
	for i, v := range [3][]byte{r.ann, r.upd[0], r.upd[1]} {
		switch {
		case v != nil:
			b.Put(keys[i], v)
		case r.fresh:
			b.Delete(keys[i])
		}
	}
}

// Gossip returns the signed channel_announcement and latest
// channel_updates of channel scid, as received: from the changes not yet
// flushed, else from the store. It returns ErrUnknownChannel if the graph
// does not have the channel, and an error wrapping ErrCorruptRecord for a
// stored message that does not decode or does not belong to the channel.
// A graph made with NewGraph returns an empty ChannelGossip.
func (g *Graph) Gossip(ctx context.Context, scid wire.ShortChannelID) (ChannelGossip, error) {
	k := scid.ToUint64()
	var raw [3][]byte
	g.mu.RLock()
	_, ok := g.chanIdx[k]
	st, prefix := g.st, g.prefix
	for _, m := range []map[uint64]*rawGossip{g.pendingRaw, g.flushingRaw} {
		if r := m[k]; r != nil {
			for i, v := range [3][]byte{r.ann, r.upd[0], r.upd[1]} {
				if raw[i] == nil {
					raw[i] = v
				}
			}
		}
	}
	g.mu.RUnlock()
	if !ok {
		return ChannelGossip{}, fmt.Errorf("%w: %v", ErrUnknownChannel, scid)
	}
	var cg ChannelGossip
	if st == nil {
		return cg, nil
	}
	for i, suffix := range [3]string{gossipAnn, gossipUpd0, gossipUpd1} {
		v := raw[i]
		key := gossipKey(prefix, k, suffix)
		if v == nil {
			var err error
			v, err = st.Get(ctx, key)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return ChannelGossip{}, err
			}
		}
		msg, err := decodeGossip(v, k, i)
		if err != nil {
			return ChannelGossip{}, fmt.Errorf("%w: key %q: %v", ErrCorruptRecord, key, err)
		}
		if i == 0 {
			cg.Announcement = msg.(*wire.ChannelAnnouncement)
		} else {
			cg.Updates[i-1] = msg.(*wire.ChannelUpdate)
		}
	}
	return cg, nil
}

func encodeGossip(m wire.Message) ([]byte, error) {
	return wire.AppendMessage([]byte{recordVersion}, m)
}

// decodeGossip decodes a stored message of channel scid: kind 0 is the
// channel_announcement, 1 and 2 the channel_updates of directions 0 and 1.
func decodeGossip(v []byte, scid uint64, kind int) (wire.Message, error) {
	if len(v) == 0 || v[0] != recordVersion {
		return nil, fmt.Errorf("gossip record without version %d", recordVersion)
	}
	if len(v)-1 > wire.MaxMessageSize {
		return nil, fmt.Errorf("gossip record of %d bytes", len(v))
	}
	m, err := wire.DecodeMessage(v[1:])
	if err != nil {
		return nil, err
	}
	switch m := m.(type) {
	case *wire.ChannelAnnouncement:
		if kind != 0 {
			return nil, fmt.Errorf("channel_announcement stored as an update")
		}
		if m.ShortChannelID.ToUint64() != scid {
			return nil, fmt.Errorf("channel_announcement of %v", m.ShortChannelID)
		}
		return m, nil
	case *wire.ChannelUpdate:
		if kind == 0 || m.Direction() != kind-1 {
			return nil, fmt.Errorf("channel_update of direction %d stored as kind %d", m.Direction(), kind)
		}
		if m.ShortChannelID.ToUint64() != scid {
			return nil, fmt.Errorf("channel_update of %v", m.ShortChannelID)
		}
		return m, nil
	default:
		return nil, fmt.Errorf("stored %v", m.MsgType())
	}
}

// ChannelStamp is a channel's short_channel_id with the timestamps of its
// latest channel_updates (0 for a direction without one), as
// reply_channel_range's timestamps_tlv and gossip_timestamp_filter use them.
type ChannelStamp struct {
	ShortChannelID wire.ShortChannelID
	Timestamps     [2]uint32
}

// ChannelStamps returns the channels whose short_channel_id's block is in
// [first, end), in ascending short_channel_id order, with their update
// timestamps: 16 bytes a channel.
func (g *Graph) ChannelStamps(first uint32, end uint64) []ChannelStamp {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []ChannelStamp
	for i := range g.chans {
		c := &g.chans[i]
		if c.node[0] == freeSlot {
			continue
		}
		h := uint64(c.scid >> 40)
		if h < uint64(first) || h >= end {
			continue
		}
		s := ChannelStamp{ShortChannelID: wire.NewShortChannelIDFromUint64(c.scid)}
		for d := range s.Timestamps {
			if p := g.policyOf(uint32(i), d); p.known() {
				s.Timestamps[d] = p.timestamp
			}
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b ChannelStamp) int {
		return cmp.Compare(a.ShortChannelID.ToUint64(), b.ShortChannelID.ToUint64())
	})
	return out
}

// NodeStamp is a node with the timestamp of its node_announcement.
type NodeStamp struct {
	NodeID    wire.Point
	Timestamp uint32
}

// NodeStamps returns the nodes that have a node_announcement whose
// timestamp satisfies keep (nil: all), in no particular order.
func (g *Graph) NodeStamps(keep func(ts uint32) bool) []NodeStamp {
	g.mu.RLock()
	defer g.mu.RUnlock()
	var out []NodeStamp
	for i := range g.nodes {
		n := &g.nodes[i]
		if n.ann == nil || (keep != nil && !keep(n.ann.Timestamp)) {
			continue
		}
		out = append(out, NodeStamp{NodeID: n.id, Timestamp: n.ann.Timestamp})
	}
	return out
}
