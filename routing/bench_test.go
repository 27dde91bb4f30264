package routing

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/wire"
)

// The benchmark graph: 10,000 nodes and 50,000 channels grown by
// preferential attachment (so degrees follow a power law, a few hubs with
// hundreds of channels), with mixed fees (base 0, 1000 or random up to 5
// sat; proportional log-uniform up to 5000 ppm), cltv_expiry_deltas from
// 18 to 144, capacities log-uniform from 20,000 sat to 0.5 BTC, 5% of
// directions disabled and 3% without any channel_update.
const (
	benchNodes    = 10_000
	benchChannels = 50_000
	benchAmount   = 50_000_000 // 50,000 sat
)

var bench struct {
	once        sync.Once
	g           *Graph
	ids         []wire.Point
	pairs       [][2]wire.Point
	bytesPerChn float64
}

func benchSetup(tb testing.TB) {
	bench.once.Do(func() {
		rng := rand.New(rand.NewPCG(2026, 12))
		ids := make([]wire.Point, benchNodes)
		for i := range ids {
			ids[i][0] = 2 + byte(rng.IntN(2))
			for j := 1; j < 33; j++ {
				ids[i][j] = byte(rng.Uint32())
			}
		}
		pairs := make([][2]wire.Point, 256)
		for i := range pairs {
			a, b := rng.IntN(benchNodes), rng.IntN(benchNodes)
			for b == a {
				b = rng.IntN(benchNodes)
			}
			pairs[i] = [2]wire.Point{ids[a], ids[b]}
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g := buildBenchGraph(tb, rng, ids)
		runtime.GC()
		runtime.ReadMemStats(&after)
		bench.g, bench.ids, bench.pairs = g, ids, pairs
		bench.bytesPerChn = float64(after.HeapAlloc-before.HeapAlloc) / float64(g.NumChannels())
	})
}

func buildBenchGraph(tb testing.TB, rng *rand.Rand, ids []wire.Point) *Graph {
	g := NewGraph(testChain)
	var endpoints []int // each node once per channel end: picking from it is by degree
	seen := map[[2]int]bool{}
	next := uint32(1)
	add := func(a, b int) bool {
		if a == b || seen[[2]int{a, b}] || seen[[2]int{b, a}] {
			return false
		}
		seen[[2]int{a, b}] = true
		x, y := ids[a], ids[b]
		if string(x[:]) > string(y[:]) {
			x, y = y, x
		}
		scid := wire.ShortChannelID{BlockHeight: 500_000 + next/1000, TxIndex: next % 1000, OutputIndex: uint16(rng.IntN(4))}
		next++
		capSat := btcutil.Amount(math.Exp(math.Log(20_000) + rng.Float64()*(math.Log(50_000_000)-math.Log(20_000))))
		ann := &wire.ChannelAnnouncement{ChainHash: testChain, ShortChannelID: scid, NodeID1: x, NodeID2: y}
		if _, err := g.AddChannel(ann, capSat, t0); err != nil {
			tb.Fatal(err)
		}
		for d := uint8(0); d < 2; d++ {
			if rng.IntN(100) < 3 {
				continue
			}
			u := &wire.ChannelUpdate{ChainHash: testChain, ShortChannelID: scid, Timestamp: uint32(t0.Unix()),
				ChannelFlags: wire.ChanUpdateChanFlags(d), HTLCMinimum: 1000,
				CLTVExpiryDelta: []uint16{18, 34, 40, 40, 40, 80, 144}[rng.IntN(7)],
				HTLCMaximum:     wire.MilliSatoshi(capSat) * 990}
			switch r := rng.IntN(10); {
			case r < 4:
				u.FeeBase = 1000
			case r < 7:
				u.FeeBase = 0
			default:
				u.FeeBase = wire.MilliSatoshi(rng.IntN(5000))
			}
			u.FeeProportionalMillionths = uint32(math.Exp(rng.Float64() * math.Log(5000)))
			if rng.IntN(10) < 3 {
				u.HTLCMinimum = 1
				u.HTLCMaximum = wire.MilliSatoshi(capSat) * 1000
			}
			if rng.IntN(100) < 5 {
				u.ChannelFlags |= wire.ChanUpdateDisabled
			}
			if _, err := g.ApplyChannelUpdate(u); err != nil {
				tb.Fatal(err)
			}
		}
		endpoints = append(endpoints, a, b)
		return true
	}
	const m0, m = 6, 5
	for a := 0; a < m0; a++ {
		for b := a + 1; b < m0; b++ {
			add(a, b)
		}
	}
	for a := m0; a < len(ids); a++ {
		for k := 0; k < m; {
			b := endpoints[rng.IntN(len(endpoints))]
			if rng.IntN(5) == 0 {
				b = rng.IntN(a) // some links ignore degree
			}
			if add(a, b) {
				k++
			}
		}
	}
	for g.NumChannels() < benchChannels {
		add(rng.IntN(len(ids)), endpoints[rng.IntN(len(endpoints))])
	}
	return g
}

func benchRequest(i int, cost *CostModel) *Request {
	p := bench.pairs[i%len(bench.pairs)]
	return &Request{Source: p[0], Target: p[1], Amount: benchAmount, CurrentHeight: 900_000,
		FinalCLTVDelta: 18, MaxFee: benchAmount / 20, Cost: cost}
}

// BenchmarkPathfind measures FindRoute between random pairs of the
// benchmark graph with the default cost model (fees, timelocks and
// probabilities), 50,000 sat each. Reported beside ns/op: routes found
// per 100 queries, and the graph's heap bytes per channel.
//
// Measured on the shared 2-core machine (medians of -count 3, CPU time):
// 3.8 ms per route, 3 allocs, 236 bytes/channel; 5.9 times
// BenchmarkPathfindFloor (0.65 ms), a plain Dijkstra by fee alone over
// the same arrays, without any constraint, probability or route output.
// doc.go's "Performance" section has the table.
func BenchmarkPathfind(b *testing.B) {
	benchSetup(b)
	b.ReportAllocs()
	found := 0
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := bench.g.FindRoute(ctx, benchRequest(i, nil)); err == nil {
			found++
		}
	}
	reportCPU(b, start)
	b.ReportMetric(float64(found)*100/float64(b.N), "found/100")
	b.ReportMetric(bench.bytesPerChn, "bytes/channel")
}

// BenchmarkPathfindFeesOnly is FindRoute with probabilities ignored: the
// cost of the constraints and the route output without the probability
// model.
func BenchmarkPathfindFeesOnly(b *testing.B) {
	benchSetup(b)
	b.ReportAllocs()
	cost := DefaultCostModel()
	cost.IgnoreProbability = true
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		bench.g.FindRoute(ctx, benchRequest(i, &cost))
	}
	reportCPU(b, start)
}

// BenchmarkPathfindMission is FindRoute with a mission control that
// remembers 2,000 channel directions and 100 failed nodes, each query at
// a new time (so each takes a new snapshot of the memory).
func BenchmarkPathfindMission(b *testing.B) {
	benchSetup(b)
	mc := NewMissionControl(0)
	rng := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 2000; {
		r, err := bench.g.FindRoute(ctx, benchRequest(rng.IntN(1<<20), nil))
		if err != nil {
			continue
		}
		n += len(r.Hops)
		mc.ReportFailure(t0, r, Failure{ErringNode: rng.IntN(len(r.Hops)), Code: codeTemporaryChannelFailure}, nil)
	}
	for n := 0; n < 100; n++ {
		mc.nodes[bench.ids[rng.IntN(benchNodes)]] = t0.UnixNano()
	}
	mc.version++
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		req := benchRequest(i, nil)
		req.Mission, req.Now = mc, t0.Add(600e9+time.Duration(i)) // a fresh snapshot each time
		bench.g.FindRoute(ctx, req)
	}
	reportCPU(b, start)
}

// BenchmarkPathfindFloor is the floor of BenchmarkPathfind: Dijkstra by
// fee alone (each edge's fee at the fixed amount, nothing accumulated)
// from the payee over the same graph arrays, stopping at the payer, with a
// binary heap and reused arrays; no constraint, no probability, no route.
func BenchmarkPathfindFloor(b *testing.B) {
	benchSetup(b)
	g := bench.g
	dist := make([]uint64, len(g.nodes))
	done := make([]bool, len(g.nodes))
	var h []heapItem
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	for i := 0; i < b.N; i++ {
		p := bench.pairs[i%len(bench.pairs)]
		src, dst := g.nodeIdx[p[0]], g.nodeIdx[p[1]]
		for j := range dist {
			dist[j], done[j] = math.MaxUint64, false
		}
		dist[dst] = 0
		s := search{heap: h[:0]}
		s.push(0, dst)
		for len(s.heap) > 0 {
			v := s.pop().node
			if done[v] {
				continue
			}
			done[v] = true
			if v == src {
				break
			}
			adj := g.nodes[v].adj
			for k := range adj {
				a := &adj[k]
				u := a.other
				if done[u] || !a.pol.usable(a.capMsat) {
					continue
				}
				nd := dist[v] // the payer charges itself nothing
				if u != src {
					nd += uint64(a.pol.feeBase) + benchAmount*uint64(a.pol.feeProp)/1e6
				}
				if nd < dist[u] {
					dist[u] = nd
					s.push(float64(nd), u)
				}
			}
		}
		h = s.heap
	}
	reportCPU(b, start)
}
