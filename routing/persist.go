package routing

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// Key layout under the graph's prefix:
//
//	c/<16 hex digits of the short_channel_id>  a channel record
//	n/<66 hex digits of the node id>           a node_announcement
//	x/<16 hex digits of the short_channel_id>  a closed channel (empty value)
//	g/<16 hex digits of the short_channel_id>/… the channel's signed gossip
//	                                           (see gossipstore.go)
const (
	chanKeys   = "c/"
	nodeKeys   = "n/"
	closedKeys = "x/"
)

// recordVersion is the first byte of every stored value.
const recordVersion = 1

// chanRecordLen is the size of a channel record: version, two node ids,
// capacity, seen, two policies of 31 bytes.
const chanRecordLen = 1 + 33 + 33 + 8 + 4 + 2*policyRecordLen

const policyRecordLen = 1 + 4 + 2 + 8 + 4 + 4 + 8

// flushChunk bounds one batch of Flush; each chunk is atomic on its own.
const flushChunk = 4 << 20

// flushMu serialises Flush calls of every graph, so that an older batch is
// never written after a newer one.
var flushMu sync.Mutex

// OpenGraph loads the graph stored in st under prefix (written by earlier
// Flush calls; nothing there gives an empty graph) and binds it to st:
// later changes are written back by Flush, as one record per changed
// channel or node.
func OpenGraph(ctx context.Context, chain wire.ChainHash, st store.Store, prefix string) (*Graph, error) {
	g := NewGraph(chain)
	g.st, g.prefix = st, prefix
	g.dirtyChans = make(map[uint64]struct{})
	g.dirtyNodes = make(map[wire.Point]struct{})

	closed, err := st.List(ctx, prefix+closedKeys)
	if err != nil {
		return nil, err
	}
	for _, k := range closed {
		scid, err := parseSCIDKey(k[len(prefix)+len(closedKeys):])
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrCorruptRecord, k, err)
		}
		g.closed[scid] = struct{}{}
	}

	keys, err := st.List(ctx, prefix+chanKeys)
	if err != nil {
		return nil, err
	}
	g.chans = make([]chanSlot, 0, len(keys))
	for _, k := range keys {
		v, err := st.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		scid, err := parseSCIDKey(k[len(prefix)+len(chanKeys):])
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrCorruptRecord, k, err)
		}
		if _, ok := g.closed[scid]; ok {
			g.markChan(scid) // a leftover record: the flush deletes it
			continue
		}
		id1, id2, c, err := decodeChannel(v)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrCorruptRecord, k, err)
		}
		c.scid = scid
		c.node = [2]uint32{g.nodeFor(id1), g.nodeFor(id2)}
		g.insertChannel(c)
	}

	keys, err = st.List(ctx, prefix+nodeKeys)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		v, err := st.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		a, err := decodeNode(v)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrCorruptRecord, k, err)
		}
		if k != prefix+nodeKeys+hex.EncodeToString(a.NodeID[:]) {
			return nil, fmt.Errorf("%w: key %q holds node %v", ErrCorruptRecord, k, a.NodeID)
		}
		ni, ok := g.nodeIdx[a.NodeID]
		if !ok {
			g.markNode(a.NodeID) // the node lost its channels: delete
			continue
		}
		g.nodes[ni].ann = a
	}
	return g, nil
}

// Flush writes every channel and node changed since the last Flush to the
// store the graph was opened on (a no-op for a NewGraph): a changed
// channel_update rewrites one channel record. Batches are chunked at a few
// MB, each chunk atomic. Losing unflushed changes in a crash is harmless:
// gossip is fetched again from peers. On error the changes stay pending
// for the next Flush.
func (g *Graph) Flush(ctx context.Context) error {
	if g.st == nil {
		return nil
	}
	flushMu.Lock()
	defer flushMu.Unlock()

	g.mu.Lock()
	chans, nodes := g.dirtyChans, g.dirtyNodes
	g.dirtyChans = make(map[uint64]struct{})
	g.dirtyNodes = make(map[wire.Point]struct{})
	raw := g.pendingRaw
	g.pendingRaw, g.flushingRaw = nil, raw
	var batches []*store.Batch
	b := new(store.Batch)
	next := func() {
		if b.Size() >= flushChunk {
			batches = append(batches, b)
			b = new(store.Batch)
		}
	}
	var err error
	for scid := range chans {
		ck := g.prefix + chanKeys + scidKey(scid)
		ci, ok := g.chanIdx[scid]
		if ok {
			c := g.record(ci)
			b.Put(ck, encodeChannel(g.nodes[c.node[0]].id, g.nodes[c.node[1]].id, &c))
		} else {
			b.Delete(ck)
		}
		g.putGossip(b, scid, ok, raw[scid])
		if _, ok := g.closed[scid]; ok {
			b.Put(g.prefix+closedKeys+scidKey(scid), nil)
		}
		next()
	}
	for id := range nodes {
		nk := g.prefix + nodeKeys + hex.EncodeToString(id[:])
		ni, ok := g.nodeIdx[id]
		if ok && g.nodes[ni].ann != nil {
			v, e := encodeNode(g.nodes[ni].ann)
			if e != nil {
				err = e
				continue
			}
			b.Put(nk, v)
		} else {
			b.Delete(nk)
		}
		next()
	}
	g.mu.Unlock()
	if b.Len() > 0 {
		batches = append(batches, b)
	}
	for i, b := range batches {
		if werr := g.st.Write(ctx, b); werr != nil {
			g.requeue(chans, nodes, raw)
			return fmt.Errorf("routing: flush batch %d of %d: %w", i+1, len(batches), werr)
		}
	}
	g.mu.Lock()
	g.flushingRaw = nil
	g.mu.Unlock()
	if err != nil {
		return fmt.Errorf("routing: flush: node_announcement: %w", err)
	}
	return nil
}

// requeue marks chans and nodes dirty again after a failed write, and
// puts back the messages of raw that nothing newer replaced.
func (g *Graph) requeue(chans map[uint64]struct{}, nodes map[wire.Point]struct{}, raw map[uint64]*rawGossip) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.flushingRaw = nil
	for scid, old := range raw {
		if _, ok := g.chanIdx[scid]; !ok {
			continue
		}
		r := g.rawFor(scid)
		if r.ann == nil {
			r.ann, r.fresh = old.ann, old.fresh
		}
		for d := range r.upd {
			if r.upd[d] == nil {
				r.upd[d] = old.upd[d]
			}
		}
	}
	for k := range chans {
		g.dirtyChans[k] = struct{}{}
	}
	for k := range nodes {
		g.dirtyNodes[k] = struct{}{}
	}
}

// Pending returns the number of channel and node records Flush would
// write.
func (g *Graph) Pending() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.dirtyChans) + len(g.dirtyNodes)
}

func (g *Graph) markChan(scid uint64) {
	if g.dirtyChans != nil {
		g.dirtyChans[scid] = struct{}{}
	}
}

func (g *Graph) markNode(id wire.Point) {
	if g.dirtyNodes != nil {
		g.dirtyNodes[id] = struct{}{}
	}
}

func scidKey(scid uint64) string {
	var b [8]byte
	for i := range b {
		b[i] = byte(scid >> (56 - 8*i))
	}
	return hex.EncodeToString(b[:])
}

func parseSCIDKey(s string) (uint64, error) {
	if len(s) != 16 || strings.ToLower(s) != s {
		return 0, fmt.Errorf("short_channel_id key %q is not 16 lower-case hex digits", s)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return 0, err
	}
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v, nil
}

func encodeChannel(id1, id2 wire.Point, c *channel) []byte {
	b := make([]byte, 0, chanRecordLen)
	b = append(b, recordVersion)
	b = append(b, id1[:]...)
	b = append(b, id2[:]...)
	b = wire.AppendU64(b, c.capacity)
	b = wire.AppendU32(b, c.seen)
	for d := range c.pol {
		p := &c.pol[d]
		b = append(b, p.flags)
		b = wire.AppendU32(b, p.timestamp)
		b = wire.AppendU16(b, p.cltvDelta)
		b = wire.AppendU64(b, p.htlcMin)
		b = wire.AppendU32(b, p.feeBase)
		b = wire.AppendU32(b, p.feeProp)
		b = wire.AppendU64(b, p.htlcMax)
	}
	return b
}

func decodeChannel(v []byte) (id1, id2 wire.Point, c channel, err error) {
	if len(v) != chanRecordLen {
		return id1, id2, c, fmt.Errorf("channel record of %d bytes, want %d", len(v), chanRecordLen)
	}
	if v[0] != recordVersion {
		return id1, id2, c, fmt.Errorf("channel record version %d", v[0])
	}
	r := wire.NewReader(v[1:])
	// Copied, not parsed: the ids were checked when the gossip arrived,
	// and parsing 100,000 points would dominate loading.
	r.Copy(id1[:], "node_id_1")
	r.Copy(id2[:], "node_id_2")
	c.capacity = r.U64("capacity")
	c.seen = r.U32("seen")
	for d := range c.pol {
		p := &c.pol[d]
		p.flags = r.U8("flags")
		p.timestamp = r.U32("timestamp")
		p.cltvDelta = r.U16("cltv_expiry_delta")
		p.htlcMin = r.U64("htlc_minimum_msat")
		p.feeBase = r.U32("fee_base_msat")
		p.feeProp = r.U32("fee_proportional_millionths")
		p.htlcMax = r.U64("htlc_maximum_msat")
		if p.flags&^(polKnown|polDisabled) != 0 || (p.flags != 0 && !p.known()) {
			return id1, id2, c, fmt.Errorf("policy %d flags %#x", d+1, p.flags)
		}
	}
	if err := r.Err(); err != nil {
		return id1, id2, c, err
	}
	if string(id1[:]) >= string(id2[:]) {
		return id1, id2, c, fmt.Errorf("node ids out of order")
	}
	return id1, id2, c, nil
}

func encodeNode(a *wire.NodeAnnouncement) ([]byte, error) {
	return a.AppendPayload([]byte{recordVersion})
}

func decodeNode(v []byte) (*wire.NodeAnnouncement, error) {
	if len(v) == 0 || v[0] != recordVersion {
		return nil, fmt.Errorf("node record without version %d", recordVersion)
	}
	a := new(wire.NodeAnnouncement)
	if err := a.DecodePayload(v[1:]); err != nil {
		return nil, err
	}
	return a, nil
}
