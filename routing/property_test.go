package routing

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/wire"
)

// specEdge is one usable-or-not direction of the random graph, as the test
// itself knows it, independent of the graph's internals.
type specEdge struct {
	from, to  string
	scid      wire.ShortChannelID
	pol       *Policy // nil: no update
	capMsat   uint64  // 0 unknown
	local     bool
	spendable wire.MilliSatoshi
	hint      bool
}

type spec struct {
	b     *tgraph
	edges []specEdge
	req   *Request
}

// randomSpec builds a random graph of up to 8 nodes. monotone keeps every
// htlc_minimum at or below the amount and leaves MaxCLTV and MaxHops
// loose, the conditions under which the label-setting search is exact.
func randomSpec(t *testing.T, rng *rand.Rand, monotone bool) *spec {
	b := newTGraph(t)
	s := &spec{b: b}
	n := 4 + rng.IntN(5)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("n%d", i)
	}
	amt := wire.MilliSatoshi(1_000 + rng.Uint64N(5_000_000))
	randPol := func(capSat btcutil.Amount) *Policy {
		if rng.IntN(10) == 0 {
			return nil
		}
		p := pol(wire.MilliSatoshi(rng.Uint64N(2000)), uint32(rng.Uint64N(5000)), uint16(1+rng.IntN(144)))
		if monotone {
			p.HTLCMinimum = wire.MilliSatoshi(rng.Uint64N(uint64(amt)))
		} else {
			p.HTLCMinimum = wire.MilliSatoshi(rng.Uint64N(2 * uint64(amt)))
		}
		switch rng.IntN(4) {
		case 0:
			p.HTLCMaximum = wire.MilliSatoshi(uint64(amt)/2 + rng.Uint64N(uint64(amt)))
		case 1:
			p.HTLCMaximum = wire.MilliSatoshi(capSat)*1000 + 1 // above capacity: ignored
		default:
			p.HTLCMaximum = wire.MilliSatoshi(capSat) * 1000
		}
		p.Disabled = rng.IntN(10) == 0
		return p
	}
	nChans := n + rng.IntN(2*n)
	for i := 0; i < nChans; i++ {
		x, y := names[rng.IntN(n)], names[rng.IntN(n)]
		if x == y {
			continue
		}
		capSat := btcutil.Amount(uint64(amt)/1000 + rng.Uint64N(3*uint64(amt)/1000+1))
		ab, ba := randPol(capSat), randPol(capSat)
		scid := wire.ShortChannelID{BlockHeight: uint32(1000 + i), TxIndex: 1}
		b.addChannelRaw(scid, x, y, capSat, ab, ba)
		s.edges = append(s.edges,
			specEdge{from: x, to: y, scid: scid, pol: ab, capMsat: uint64(capSat) * 1000},
			specEdge{from: y, to: x, scid: scid, pol: ba, capMsat: uint64(capSat) * 1000})
	}
	req := &Request{Source: b.id(names[0]), Target: b.id(names[1]), Amount: amt, CurrentHeight: 1000,
		FinalCLTVDelta: uint16(rng.IntN(100)), MaxFee: wire.MilliSatoshi(rng.Uint64N(20_000)), Cost: noProb()}
	if rng.IntN(3) == 0 {
		req.MaxFee = NoFeeLimit
	}
	if !monotone {
		req.MaxCLTV = uint32(100 + rng.IntN(400))
		req.MaxHops = 1 + rng.IntN(4)
	}
	// Sometimes the payer has live local channels, replacing its graph
	// channels as first hops.
	if rng.IntN(2) == 0 {
		for i := 0; i < 1+rng.IntN(3); i++ {
			peer := names[1+rng.IntN(n-1)]
			lc := LocalChannel{ShortChannelID: wire.ShortChannelID{BlockHeight: uint32(5000 + i)}, Peer: b.id(peer),
				Spendable: wire.MilliSatoshi(rng.Uint64N(3 * uint64(amt)))}
			req.LocalChannels = append(req.LocalChannels, lc)
			s.edges = append(s.edges, specEdge{from: names[0], to: peer, scid: lc.ShortChannelID, local: true,
				spendable: lc.Spendable, pol: &Policy{HTLCMaximum: lc.Spendable}})
		}
	}
	// Sometimes a route hint through a private node.
	if rng.IntN(3) == 0 {
		entry := names[rng.IntN(n)]
		if entry != names[1] {
			h1 := invoice.HopHint{NodeID: b.key(entry), ChannelID: wire.ShortChannelID{BlockHeight: 6000}, FeeBase: wire.MilliSatoshi(rng.Uint64N(1000)), FeeProportionalMillionths: uint32(rng.Uint64N(1000)), CLTVExpiryDelta: uint16(rng.IntN(50))}
			h2 := invoice.HopHint{NodeID: b.key("priv"), ChannelID: wire.ShortChannelID{BlockHeight: 6001}, FeeBase: wire.MilliSatoshi(rng.Uint64N(1000)), FeeProportionalMillionths: uint32(rng.Uint64N(1000)), CLTVExpiryDelta: uint16(rng.IntN(50))}
			req.RouteHints = []invoice.RouteHint{{h1, h2}}
			s.edges = append(s.edges,
				specEdge{from: entry, to: "priv", scid: h1.ChannelID, hint: true, pol: &Policy{FeeBase: h1.FeeBase, FeeProportionalMillionths: h1.FeeProportionalMillionths, CLTVExpiryDelta: h1.CLTVExpiryDelta, HTLCMaximum: NoFeeLimit}},
				specEdge{from: "priv", to: names[1], scid: h2.ChannelID, hint: true, pol: &Policy{FeeBase: h2.FeeBase, FeeProportionalMillionths: h2.FeeProportionalMillionths, CLTVExpiryDelta: h2.CLTVExpiryDelta, HTLCMaximum: NoFeeLimit}})
		}
	}
	if rng.IntN(4) == 0 && len(s.edges) > 0 {
		req.ExcludeChannels = []wire.ShortChannelID{s.edges[rng.IntN(len(s.edges))].scid}
	}
	if rng.IntN(4) == 0 {
		req.ExcludeNodes = []wire.Point{b.id(names[2+rng.IntN(n-2)])}
	}
	s.req = req
	return s
}

// addChannelRaw is addChannel without defaulting htlc_maximum_msat.
func (b *tgraph) addChannelRaw(scid wire.ShortChannelID, x, y string, capSat btcutil.Amount, ab, ba *Policy) {
	b.t.Helper()
	ix, iy := b.id(x), b.id(y)
	ann := &wire.ChannelAnnouncement{ChainHash: testChain, ShortChannelID: scid, NodeID1: ix, NodeID2: iy}
	dx := 0
	if string(ix[:]) > string(iy[:]) {
		ann.NodeID1, ann.NodeID2 = iy, ix
		dx = 1
	}
	if _, err := b.g.AddChannel(ann, capSat, t0); err != nil {
		b.t.Fatal(err)
	}
	for i, p := range []*Policy{ab, ba} {
		if p != nil {
			if _, err := b.g.ApplyChannelUpdate(updateFor(scid, p, uint8(dx^i))); err != nil {
				b.t.Fatal(err)
			}
		}
	}
}

// edgeUsable reports whether e may carry amt, by BOLT 7's rules as the
// test reads them.
func (s *spec) edgeUsable(e *specEdge, amt wire.MilliSatoshi) bool {
	req := s.req
	for _, c := range req.ExcludeChannels {
		if c == e.scid {
			return false
		}
	}
	for _, x := range req.ExcludeNodes {
		if x == s.b.id(e.from) || x == s.b.id(e.to) {
			return false
		}
	}
	if s.b.id(e.from) == req.Source && len(req.LocalChannels) > 0 && !e.local {
		return false
	}
	if e.local {
		return amt <= e.spendable
	}
	p := e.pol
	if p == nil || p.Disabled || p.HTLCMaximum < p.HTLCMinimum {
		return false
	}
	if e.capMsat != 0 && (uint64(p.HTLCMaximum) > e.capMsat || uint64(amt) > e.capMsat) {
		return false
	}
	return p.HTLCMinimum <= amt && amt <= p.HTLCMaximum
}

// evaluate computes the route over a path of edges by the BOLT 4/7
// rules, or reports that the path breaks a constraint.
func (s *spec) evaluate(path []*specEdge) (fee wire.MilliSatoshi, timelock uint32, ok bool) {
	req := s.req
	final := uint32(req.FinalCLTVDelta)
	if final == 0 {
		final = DefaultFinalCLTVDelta
	}
	maxCLTV, maxHops := req.MaxCLTV, req.MaxHops
	if maxCLTV == 0 {
		maxCLTV = DefaultMaxCLTV
	}
	if maxHops == 0 {
		maxHops = DefaultMaxHops
	}
	if len(path) > maxHops {
		return 0, 0, false
	}
	amt, cltv := req.Amount, final
	for i := len(path) - 1; i >= 0; i-- {
		e := path[i]
		if !s.edgeUsable(e, amt) {
			return 0, 0, false
		}
		if i > 0 { // the payer charges nothing
			f := e.pol.Fee(amt)
			if amt+f < amt {
				return 0, 0, false
			}
			amt += f
			cltv += uint32(e.pol.CLTVExpiryDelta)
		}
	}
	fee = amt - req.Amount
	if fee > req.MaxFee || cltv > maxCLTV {
		return 0, 0, false
	}
	return fee, req.CurrentHeight + cltv, true
}

// bruteForce returns the least fee over every simple path, or false.
func (s *spec) bruteForce() (wire.MilliSatoshi, bool) {
	src, dst := s.nameOf(s.req.Source), s.nameOf(s.req.Target)
	best, found := wire.MilliSatoshi(0), false
	seen := map[string]bool{src: true}
	var path []*specEdge
	var walk func(at string)
	walk = func(at string) {
		if at == dst {
			if f, _, ok := s.evaluate(path); ok && (!found || f < best) {
				best, found = f, true
			}
			return
		}
		for i := range s.edges {
			e := &s.edges[i]
			if e.from != at || seen[e.to] {
				continue
			}
			seen[e.to] = true
			path = append(path, e)
			walk(e.to)
			path = path[:len(path)-1]
			seen[e.to] = false
		}
	}
	walk(src)
	return best, found
}

func (s *spec) nameOf(p wire.Point) string {
	for n, id := range s.b.ids {
		if id == p {
			return n
		}
	}
	return "?"
}

// check verifies every field of r against the spec's own computation.
func (s *spec) check(t *testing.T, r *Route) {
	t.Helper()
	req := s.req
	if r.Source != req.Source || len(r.Hops) == 0 || r.Hops[len(r.Hops)-1].NodeID != req.Target {
		t.Fatalf("route ends %+v", r)
	}
	var path []*specEdge
	prev := s.nameOf(req.Source)
	seen := map[string]bool{prev: true}
	for _, h := range r.Hops {
		to := s.nameOf(h.NodeID)
		if seen[to] {
			t.Fatalf("route visits %s twice", to)
		}
		seen[to] = true
		var e *specEdge
		for i := range s.edges {
			if s.edges[i].scid == h.ShortChannelID && s.edges[i].from == prev && s.edges[i].to == to {
				e = &s.edges[i]
			}
		}
		if e == nil {
			t.Fatalf("hop %v from %s to %s is no edge", h.ShortChannelID, prev, to)
		}
		path = append(path, e)
		prev = to
	}
	fee, timelock, ok := s.evaluate(path)
	if !ok {
		t.Fatalf("route breaks a constraint: %+v", r)
	}
	if fee != r.TotalFees || r.TotalAmount != req.Amount+fee || timelock != r.TotalTimeLock {
		t.Fatalf("route totals %v/%v/%d, computed fee %v timelock %d", r.TotalAmount, r.TotalFees, r.TotalTimeLock, fee, timelock)
	}
	// Each payload, recomputed forwards from the payer's HTLC.
	amt, cltv := r.TotalAmount, r.TotalTimeLock
	for i, h := range r.Hops {
		var f wire.MilliSatoshi
		var d uint16
		if i+1 < len(r.Hops) {
			f, d = path[i+1].pol.Fee(h.AmountToForward), path[i+1].pol.CLTVExpiryDelta
		}
		if h.AmountToForward+f != amt || h.OutgoingCLTV+uint32(d) != cltv || h.Fee != f || h.CLTVExpiryDelta != d {
			t.Fatalf("hop %d payload %+v does not follow from %v/%d", i, h, amt, cltv)
		}
		if h.Private != (path[i].local || path[i].hint) {
			t.Fatalf("hop %d Private=%v", i, h.Private)
		}
		amt, cltv = h.AmountToForward, h.OutgoingCLTV
	}
	if amt != req.Amount {
		t.Fatalf("payee gets %v", amt)
	}
}

// TestPropertyRoutes: on random graphs every route satisfies every
// constraint; under the monotone conditions its fee equals the brute-force
// minimum (and a route is found whenever one exists); otherwise the search
// never claims a route that does not exist. Probabilities are disabled.
func TestPropertyRoutes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var found, exact, missed int
	for i := 0; i < 3000; i++ {
		monotone := i%2 == 0
		s := randomSpec(t, rng, monotone)
		r, err := s.b.g.FindRoute(ctx, s.req)
		best, ok := s.bruteForce()
		if err != nil && !errors.Is(err, ErrNoRoute) {
			t.Fatalf("case %d: %v", i, err)
		}
		if err == nil {
			found++
			s.check(t, r)
			if !ok {
				t.Fatalf("case %d: a route where brute force finds none", i)
			}
		}
		if monotone {
			if ok != (err == nil) {
				t.Fatalf("case %d: brute force %v (fee %v), search %v", i, ok, best, err)
			}
			if ok {
				exact++
				if r.TotalFees != best {
					t.Fatalf("case %d: fee %v, brute-force minimum %v", i, r.TotalFees, best)
				}
			}
		} else if ok && err != nil {
			missed++
		}
	}
	t.Logf("%d routes, %d compared with the brute-force minimum, %d feasible routes missed under non-monotone constraints", found, exact, missed)
	if exact < 500 {
		t.Fatalf("only %d cases compared", exact)
	}
}

// TestPropertyRoutesWithProbabilities: with the default cost model and
// random mission control memories, every route still satisfies every
// constraint.
func TestPropertyRoutesWithProbabilities(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	n := 0
	for i := 0; i < 1000; i++ {
		s := randomSpec(t, rng, i%2 == 0)
		s.req.Cost = nil
		mc := NewMissionControl(time.Hour)
		s.req.Mission, s.req.Now = mc, t0.Add(time.Duration(rng.IntN(3600))*time.Second)
		for j := 0; j < 3; j++ {
			r, err := s.b.g.FindRoute(ctx, s.req)
			if err != nil {
				if !errors.Is(err, ErrNoRoute) {
					t.Fatal(err)
				}
				break
			}
			n++
			s.check(t, r)
			if r.Probability <= 0 || r.Probability > 1 {
				t.Fatalf("probability %v", r.Probability)
			}
			mc.ReportFailure(t0, r, Failure{ErringNode: rng.IntN(len(r.Hops) + 1), Code: []uint16{
				codeTemporaryChannelFailure, codeChannelDisabled, flagNode | 2, codeFeeInsufficient}[rng.IntN(4)]}, s.b.g)
		}
	}
	if n < 300 {
		t.Fatalf("only %d routes", n)
	}
}
