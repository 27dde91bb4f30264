package routing

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

// checkInvariants verifies the graph's internal links: every channel's
// adjacency entries point back to it with the right other node, every
// entry belongs to a live channel, and the indexes match.
func checkInvariants(t *testing.T, g *Graph) {
	t.Helper()
	live := 0
	for ci := range g.chans {
		c := &g.chans[ci]
		if c.node[0] == freeSlot {
			continue
		}
		live++
		if g.chanIdx[c.scid] != uint32(ci) {
			t.Fatalf("channel %d not indexed", ci)
		}
		for d := range c.pos {
			n := &g.nodes[c.node[1-d]]
			if int(c.pos[d]) >= len(n.adj) {
				t.Fatalf("channel %d direction %d: position %d of %d", ci, d, c.pos[d], len(n.adj))
			}
			e := &n.adj[c.pos[d]]
			if e.ci != uint32(ci) || e.other != c.node[d] || e.capMsat != c.capacity*1000 {
				t.Fatalf("channel %d direction %d: entry %+v", ci, d, e)
			}
		}
	}
	if live != len(g.chanIdx) {
		t.Fatalf("%d live channels, %d indexed", live, len(g.chanIdx))
	}
	entries := 0
	for ni := range g.nodes {
		n := &g.nodes[ni]
		if len(n.adj) == 0 {
			continue
		}
		if g.nodeIdx[n.id] != uint32(ni) {
			t.Fatalf("node %d not indexed", ni)
		}
		entries += len(n.adj)
	}
	if entries != 2*live {
		t.Fatalf("%d adjacency entries for %d channels", entries, live)
	}
}

// TestGraphRandomMutations adds, updates, removes, closes and prunes at
// random against a model of what each channel should hold.
func TestGraphRandomMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	b := newTGraph(t)
	type want struct {
		x, y string
		ab   Policy
	}
	model := map[wire.ShortChannelID]want{}
	var scids []wire.ShortChannelID
	for step := 0; step < 4000; step++ {
		switch op := rng.IntN(10); {
		case op < 5 || len(scids) == 0:
			x, y := fmt.Sprint("n", rng.IntN(30)), fmt.Sprint("n", rng.IntN(30))
			if x == y {
				continue
			}
			p := pol(wire.MilliSatoshi(rng.IntN(1000)), uint32(rng.IntN(1000)), uint16(rng.IntN(100)))
			scid := b.channel(x, y, 1000, p, pol(1, 1, 1))
			p.HTLCMaximum = 1_000_000
			model[scid] = want{x, y, *p}
			scids = append(scids, scid)
		case op < 7:
			scid := scids[rng.IntN(len(scids))]
			w := model[scid]
			p := w.ab
			p.Timestamp += uint32(1 + rng.IntN(10))
			p.FeeBase = wire.MilliSatoshi(rng.IntN(1000))
			b.update(scid, w.x, w.y, &p)
			w.ab = p
			model[scid] = w
		default:
			i := rng.IntN(len(scids))
			scid := scids[i]
			if rng.IntN(2) == 0 {
				b.g.RemoveChannel(scid)
			} else {
				b.g.MarkClosed(scid)
			}
			delete(model, scid)
			scids[i] = scids[len(scids)-1]
			scids = scids[:len(scids)-1]
		}
		if step%97 == 0 {
			checkInvariants(t, b.g)
		}
	}
	checkInvariants(t, b.g)
	if b.g.NumChannels() != len(model) {
		t.Fatalf("%d channels, model %d", b.g.NumChannels(), len(model))
	}
	for scid, w := range model {
		info, ok := b.g.Channel(scid)
		if !ok {
			t.Fatalf("%v missing", scid)
		}
		got := info.Policy1
		if info.Node1 != b.id(w.x) {
			got = info.Policy2
		}
		if got == nil || *got != w.ab {
			t.Fatalf("%v: policy %+v, want %+v", scid, got, w.ab)
		}
	}
}
