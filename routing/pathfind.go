package routing

import (
	"context"
	"fmt"
	"math"
	"sync"

	"github.com/lnkit/lnkit/wire"
)

// FindRoute returns the cheapest route for req under its cost model (see
// CostModel), or an error wrapping ErrNoRoute or ErrInvalidRequest.
//
// The search is Dijkstra's algorithm run from the payee back to the payer,
// so that each node's label is exactly what it must receive: the payee's
// amount, plus the fee each later hop charges on what it forwards (BOLT 7,
// "HTLC Fees", computed on amt_to_forward), and the sum of their
// cltv_expiry_deltas over the final delta. The payer charges itself no fee
// and adds no delta. Every hop honours its policy: htlc_minimum_msat ≤
// amount ≤ htlc_maximum_msat, not disabled, amount within the capacity;
// the payer's LocalChannels bound the first hop by their spendable
// balance; MaxFee, MaxCLTV and MaxHops bound the whole route.
//
// With IgnoreProbability and LockCostPPB 0 the label is the fee alone,
// and the route has the least fee among those the label-setting search can
// see. Constraints that are not monotone in the amount (an htlc_minimum
// that only a larger amount would meet, a MaxCLTV that a dearer but
// shorter-timelock branch would meet) can hide a feasible route; the
// search does not explore more than one label per node.
//
// ctx is checked every few thousand steps.
func (g *Graph) FindRoute(ctx context.Context, req *Request) (*Route, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.findRoute(ctx, req, nil)
}

// usage is the amount already committed to channel directions and local
// channels by earlier parts of a multi-part payment.
type usage struct {
	dirs  map[dirKey]uint64
	local map[uint64]uint64
}

// label is a node's best known way to the payee.
type label struct {
	dist   float64 // heap key
	weight float64 // fees and lock cost so far
	prob   float64 // probability of the path to the payee
	amt    uint64  // what the node must receive
	cltv   uint32  // delta over the current height of the HTLC it receives
	edge   int32   // graph channel index, or -1-i for overlay edge i
	next   uint32  // the node the edge leads to
	hops   uint8
}

// overlay edge: a route hint or local channel, valid for one query.
type xedge struct {
	from, to  uint32
	scid      wire.ShortChannelID
	pol       policy
	spendable uint64 // local channels
	local     bool
}

type heapItem struct {
	dist float64
	node uint32
}

// Bits of search.chanMark and search.nodeMark.
const (
	markExcluded uint8 = 1 << 0
	markMission  uint8 = 1 << 1 // mission control has a memory
	markUsed     uint8 = 1 << 2 // an earlier part uses it
	markOverlay  uint8 = 1 << 3 // node has overlay edges into it
)

// search is the scratch space of one query, pooled.
type search struct {
	labels []label
	// state[n] is gen<<1 when labels[n] was written by this search, plus
	// 1 once n is settled: 4 bytes per node, so the check for a settled
	// neighbour stays in cache.
	state    []uint32
	gen      uint32
	heap     []heapItem
	chanMark []uint8
	nodeMark []uint8
	touchedC []uint32
	touchedN []uint32

	// per query
	g        *Graph
	req      *Request
	cost     CostModel
	src, dst uint32
	ids      []wire.Point // ids of overlay nodes, from index len(g.nodes)
	xedges   []xedge
	xin      map[uint32][]int32
	mc       *mcView
	nodePen  map[uint32]float64 // probability factors of failed nodes
	use      *usage
	attempt  float64
	maxFee   uint64
	maxCLTV  uint32
	maxHops  int
	haveLoc  bool
}

var searchPool = sync.Pool{New: func() any { return new(search) }}

func (s *search) reset(nNodes, nChans int) {
	if len(s.labels) < nNodes {
		s.labels = make([]label, nNodes+nNodes/8)
		s.state = make([]uint32, len(s.labels))
		s.nodeMark = make([]uint8, len(s.labels))
		s.gen = 0
	}
	if len(s.chanMark) < nChans {
		s.chanMark = make([]uint8, nChans+nChans/8)
	}
	s.gen++
	if s.gen >= 1<<31 {
		clear(s.state)
		s.gen = 1
	}
	s.heap = s.heap[:0]
}

func (s *search) release() {
	for _, c := range s.touchedC {
		s.chanMark[c] = 0
	}
	for _, n := range s.touchedN {
		s.nodeMark[n] = 0
	}
	s.touchedC, s.touchedN = s.touchedC[:0], s.touchedN[:0]
	s.g, s.req, s.mc, s.use, s.xin, s.nodePen = nil, nil, nil, nil, nil, nil
	s.ids, s.xedges = s.ids[:0], s.xedges[:0]
	searchPool.Put(s)
}

func (s *search) markChan(ci uint32, m uint8) {
	if s.chanMark[ci] == 0 {
		s.touchedC = append(s.touchedC, ci)
	}
	s.chanMark[ci] |= m
}

func (s *search) markNode(ni uint32, m uint8) {
	if s.nodeMark[ni] == 0 {
		s.touchedN = append(s.touchedN, ni)
	}
	s.nodeMark[ni] |= m
}

// nodeID returns the id of node index i (graph or overlay).
func (s *search) nodeID(i uint32) wire.Point {
	if int(i) < len(s.g.nodes) {
		return s.g.nodes[i].id
	}
	return s.ids[int(i)-len(s.g.nodes)]
}

// index returns the node index of id, adding an overlay node if asked.
func (s *search) index(id wire.Point, add bool) (uint32, bool) {
	if i, ok := s.g.nodeIdx[id]; ok {
		return i, true
	}
	for j, x := range s.ids {
		if x == id {
			return uint32(len(s.g.nodes) + j), true
		}
	}
	if !add {
		return 0, false
	}
	s.ids = append(s.ids, id)
	return uint32(len(s.g.nodes) + len(s.ids) - 1), true
}

func (s *search) addEdge(e xedge) {
	if s.xin == nil {
		s.xin = make(map[uint32][]int32)
	}
	s.xedges = append(s.xedges, e)
	s.xin[e.to] = append(s.xin[e.to], int32(len(s.xedges)-1))
}

func (s *search) hasEdgeFrom(n uint32) bool {
	for i := range s.xedges {
		if s.xedges[i].from == n {
			return true
		}
	}
	return false
}

// findRoute runs one search; the caller holds the read lock.
func (g *Graph) findRoute(ctx context.Context, req *Request, use *usage) (*Route, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: nil request", ErrInvalidRequest)
	}
	if req.Amount == 0 {
		return nil, fmt.Errorf("%w: zero amount", ErrInvalidRequest)
	}
	if req.Source == req.Target {
		return nil, fmt.Errorf("%w: payer and payee are the same node", ErrInvalidRequest)
	}
	cost := DefaultCostModel()
	if req.Cost != nil {
		cost = *req.Cost
	}
	if err := cost.validate(); err != nil {
		return nil, err
	}
	if req.MaxHops < 0 || req.MaxHops > 255 {
		return nil, fmt.Errorf("%w: MaxHops %d", ErrInvalidRequest, req.MaxHops)
	}
	s := searchPool.Get().(*search)
	defer s.release()
	s.g, s.req, s.cost, s.use = g, req, cost, use
	s.attempt = cost.attemptCost(req.Amount)
	s.maxFee = uint64(req.MaxFee)
	s.maxCLTV = req.MaxCLTV
	if s.maxCLTV == 0 {
		s.maxCLTV = DefaultMaxCLTV
	}
	if uint64(req.CurrentHeight)+uint64(s.maxCLTV) > math.MaxUint32 {
		return nil, fmt.Errorf("%w: height %d plus MaxCLTV %d overflows", ErrInvalidRequest, req.CurrentHeight, s.maxCLTV)
	}
	s.maxHops = req.MaxHops
	if s.maxHops == 0 {
		s.maxHops = DefaultMaxHops
	}
	final := uint32(req.FinalCLTVDelta)
	if final == 0 {
		final = DefaultFinalCLTVDelta
	}
	if final > s.maxCLTV {
		return nil, fmt.Errorf("%w: final CLTV delta %d exceeds MaxCLTV %d", ErrNoRoute, final, s.maxCLTV)
	}

	// The overlay: local channels and route hints.
	s.src, _ = s.index(req.Source, true)
	s.dst, _ = s.index(req.Target, true)
	s.haveLoc = len(req.LocalChannels) > 0
	for _, lc := range req.LocalChannels {
		if lc.Peer == req.Source {
			return nil, fmt.Errorf("%w: local channel %v to the payer itself", ErrInvalidRequest, lc.ShortChannelID)
		}
		to, _ := s.index(lc.Peer, true)
		max := uint64(lc.Spendable)
		if lc.HTLCMaximum != 0 {
			max = min(max, uint64(lc.HTLCMaximum))
		}
		s.addEdge(xedge{from: s.src, to: to, scid: lc.ShortChannelID, local: true, spendable: uint64(lc.Spendable),
			pol: policy{htlcMin: uint64(lc.HTLCMinimum), htlcMax: max, flags: polKnown}})
	}
	for hi, hint := range req.RouteHints {
		for k, h := range hint {
			if h.NodeID == nil {
				return nil, fmt.Errorf("%w: route hint %d hop %d has no node id", ErrInvalidRequest, hi, k)
			}
			from, _ := s.index(wire.NewPoint(h.NodeID), true)
			to := s.dst
			if k+1 < len(hint) {
				if hint[k+1].NodeID == nil {
					return nil, fmt.Errorf("%w: route hint %d hop %d has no node id", ErrInvalidRequest, hi, k+1)
				}
				to, _ = s.index(wire.NewPoint(hint[k+1].NodeID), true)
			}
			if from == to || (from == s.src && s.haveLoc) {
				continue // the payer's own channels are its LocalChannels
			}
			s.addEdge(xedge{from: from, to: to, scid: h.ChannelID, pol: policy{
				htlcMax: math.MaxUint64, feeBase: uint32(min(uint64(h.FeeBase), math.MaxUint32)),
				feeProp: h.FeeProportionalMillionths, cltvDelta: h.CLTVExpiryDelta, flags: polKnown}})
		}
	}
	s.reset(len(g.nodes)+len(s.ids), len(g.chans))
	for _, e := range s.xedges {
		s.markNode(e.to, markOverlay)
	}
	for _, id := range req.ExcludeNodes {
		if i, ok := s.index(id, false); ok {
			s.markNode(i, markExcluded)
		}
	}
	for _, c := range req.ExcludeChannels {
		if ci, ok := g.chanIdx[c.ToUint64()]; ok {
			s.markChan(ci, markExcluded)
		}
		for j := range s.xedges {
			if s.xedges[j].scid == c {
				s.xedges[j].pol.flags |= polDisabled
			}
		}
	}
	if req.Mission != nil && !cost.IgnoreProbability {
		s.mc = req.Mission.snapshot(req.Now)
		for k := range s.mc.chans {
			if ci, ok := g.chanIdx[k.scid]; ok {
				s.markChan(ci, markMission)
			}
		}
		if len(s.mc.nodes) > 0 {
			s.nodePen = make(map[uint32]float64, len(s.mc.nodes))
			for id, f := range s.mc.nodes {
				if i, ok := s.index(id, false); ok {
					s.markNode(i, markMission)
					s.nodePen[i] = f
				}
			}
		}
	}
	if use != nil {
		for k := range use.dirs {
			if ci, ok := g.chanIdx[k.scid]; ok {
				s.markChan(ci, markUsed)
			}
		}
	}
	if s.nodeMark[s.src]&markExcluded != 0 || s.nodeMark[s.dst]&markExcluded != 0 {
		return nil, fmt.Errorf("%w: payer or payee excluded", ErrNoRoute)
	}
	if _, ok := g.nodeIdx[req.Target]; !ok && s.nodeMark[s.dst]&markOverlay == 0 {
		return nil, fmt.Errorf("%w: %w: payee %v has no channel and no route hint", ErrNoRoute, ErrUnknownNode, req.Target)
	}
	if _, ok := g.nodeIdx[req.Source]; !ok && !s.hasEdgeFrom(s.src) {
		return nil, fmt.Errorf("%w: %w: payer %v has no channel", ErrNoRoute, ErrUnknownNode, req.Source)
	}

	if err := s.run(ctx, final); err != nil {
		return nil, err
	}
	return s.route(), nil
}

// run labels nodes from the payee until the payer is settled.
func (s *search) run(ctx context.Context, final uint32) error {
	t := &s.labels[s.dst]
	*t = label{amt: uint64(s.req.Amount), cltv: final, prob: 1, edge: -1, next: s.dst}
	s.state[s.dst] = s.gen << 1
	t.dist = s.distance(t.weight, t.prob)
	s.push(t.dist, s.dst)
	g := s.g
	steps := 0
	for len(s.heap) > 0 {
		it := s.pop()
		v := it.node
		lv := &s.labels[v]
		if s.state[v]&1 != 0 || it.dist > lv.dist {
			continue
		}
		s.state[v] |= 1
		if v == s.src {
			return nil
		}
		if steps++; steps&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if s.nodeMark[v]&markOverlay != 0 {
			for _, xi := range s.xin[v] {
				e := &s.xedges[xi]
				s.relax(e.from, v, -1-xi, &e.pol, 0, e)
			}
		}
		if int(v) >= len(g.nodes) {
			continue
		}
		adj := g.nodes[v].adj
		for k := range adj {
			a := &adj[k]
			u := a.other
			if s.state[u] == s.gen<<1|1 {
				continue
			}
			if s.chanMark[a.ci]&markExcluded != 0 {
				continue
			}
			if u == s.src && s.haveLoc {
				continue // the payer's live channels replace the graph's
			}
			s.relax(u, v, int32(a.ci), &a.pol, a.capMsat, nil)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fmt.Errorf("%w: from %v to %v for %v", ErrNoRoute, s.req.Source, s.req.Target, s.req.Amount)
}

// distance is the heap key of a label.
func (s *search) distance(weight, prob float64) float64 {
	if s.cost.IgnoreProbability {
		return weight
	}
	return weight + s.attempt/prob
}

// relax considers the edge u -> v (u forwards to v under pol). capMsat is
// the channel's capacity (0 unknown); x is the overlay edge, if any.
func (s *search) relax(u, v uint32, edge int32, pol *policy, capMsat uint64, x *xedge) {
	st := s.state[u]
	if st == s.gen<<1|1 {
		return
	}
	if s.nodeMark[u]&markExcluded != 0 {
		return
	}
	if !pol.usable(capMsat) {
		return
	}
	lv := &s.labels[v]
	amt := lv.amt
	if amt < pol.htlcMin || amt > pol.htlcMax {
		return
	}
	var used uint64
	if s.use != nil {
		if x != nil && x.local {
			used = s.use.local[x.scid.ToUint64()]
		} else if edge >= 0 && s.chanMark[edge]&markUsed != 0 {
			used = s.use.dirs[s.dirOf(u, v, edge)]
		}
	}
	if capMsat != 0 && (amt > capMsat || used > capMsat-amt) {
		return
	}
	if x != nil && x.local && (amt > x.spendable || used > x.spendable-amt) {
		return
	}
	if int(lv.hops) >= s.maxHops {
		return
	}
	var fee uint64
	var delta uint32
	if u != s.src {
		fee = feeFor(uint64(pol.feeBase), pol.feeProp, amt)
		delta = uint32(pol.cltvDelta)
	}
	amtU := amt + fee
	if amtU < amt || amtU-uint64(s.req.Amount) > s.maxFee {
		return
	}
	cltv := lv.cltv + delta
	if cltv > s.maxCLTV {
		return
	}
	prob := 1.0
	if !s.cost.IgnoreProbability {
		p := s.hopProbability(u, v, edge, capMsat, pol, float64(amt+used), x)
		prob = lv.prob * p
		if prob < s.cost.MinProbability || prob <= 0 {
			return
		}
	}
	weight := lv.weight + float64(fee) + float64(amt)*float64(delta)*float64(s.cost.LockCostPPB)/1e9
	dist := s.distance(weight, prob)
	lu := &s.labels[u]
	if st == s.gen<<1 && dist >= lu.dist {
		return
	}
	s.state[u] = s.gen << 1
	*lu = label{dist: dist, weight: weight, prob: prob, amt: amtU, cltv: cltv,
		edge: edge, next: v, hops: lv.hops + 1}
	s.push(dist, u)
}

// dirOf returns the direction key of graph channel ci used from u to v.
func (s *search) dirOf(u, v uint32, ci int32) dirKey {
	c := &s.g.chans[ci]
	k := dirKey{scid: c.scid}
	if c.node[1] == u {
		k.dir = 1
	}
	return k
}

// hopProbability estimates the chance that u forwards amt (plus what
// earlier parts use) to v.
func (s *search) hopProbability(u, v uint32, edge int32, capMsat uint64, pol *policy, amt float64, x *xedge) float64 {
	if x != nil && x.local {
		return 1 // the payer knows its balance
	}
	p := s.cost.HopProbability
	bound := float64(capMsat)
	if bound == 0 && x == nil {
		bound = float64(pol.htlcMax) // a lower bound of the capacity
	}
	var k dirKey
	var b mcBounds
	have := false
	if s.mc != nil {
		if edge >= 0 {
			if s.chanMark[edge]&markMission != 0 {
				k = s.dirOf(u, v, edge)
				b, have = s.mc.chans[k]
			}
		} else if len(s.mc.chans) > 0 {
			b, have = s.mc.chans[keyFor(x.scid, s.nodeID(u), s.nodeID(v))]
		}
		if s.nodeMark[u]&markMission != 0 {
			p *= s.nodePen[u]
		}
	}
	if have {
		return p * b.probability(amt, bound)
	}
	if bound == 0 {
		return p
	}
	return p * uniformProbability(amt, 0, bound)
}

func (s *search) push(d float64, n uint32) {
	s.heap = append(s.heap, heapItem{d, n})
	h := s.heap
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].dist <= h[i].dist {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (s *search) pop() heapItem {
	h := s.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].dist < h[l].dist {
			m = r
		}
		if h[i].dist <= h[m].dist {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	s.heap = h
	return top
}

// route builds the Route from the labels, walking from the payer.
func (s *search) route() *Route {
	ls := &s.labels[s.src]
	r := &Route{
		Source:        s.req.Source,
		TotalAmount:   wire.MilliSatoshi(ls.amt),
		TotalFees:     wire.MilliSatoshi(ls.amt - uint64(s.req.Amount)),
		TotalTimeLock: s.req.CurrentHeight + ls.cltv,
		Probability:   ls.prob,
		Hops:          make([]Hop, 0, ls.hops),
	}
	for x := s.src; x != s.dst; {
		lx := &s.labels[x]
		w := lx.next
		lw := &s.labels[w]
		h := Hop{NodeID: s.nodeID(w)}
		if lx.edge >= 0 {
			h.ShortChannelID = wire.NewShortChannelIDFromUint64(s.g.chans[lx.edge].scid)
		} else {
			h.ShortChannelID = s.xedges[-1-lx.edge].scid
			h.Private = true
		}
		if w == s.dst {
			h.AmountToForward = wire.MilliSatoshi(lw.amt)
			h.OutgoingCLTV = s.req.CurrentHeight + lw.cltv
		} else {
			ln := &s.labels[lw.next]
			h.AmountToForward = wire.MilliSatoshi(ln.amt)
			h.OutgoingCLTV = s.req.CurrentHeight + ln.cltv
			h.Fee = wire.MilliSatoshi(lw.amt - ln.amt)
			h.CLTVExpiryDelta = uint16(lw.cltv - ln.cltv)
		}
		r.Hops = append(r.Hops, h)
		x = w
	}
	return r
}
