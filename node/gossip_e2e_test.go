package node

import (
	"testing"

	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/wire"
)

// graphView is what a node's graph holds: channels with both policies,
// and node announcements (loop read).
func graphView(tn *testNet, n *testNode) (chans map[wire.ShortChannelID]bool, announced map[wire.Point]bool) {
	chans, announced = map[wire.ShortChannelID]bool{}, map[wire.Point]bool{}
	_ = n.do(tn.ctx, func() error {
		n.graph.ForEachChannel(func(c routing.ChannelInfo) bool {
			chans[c.ShortChannelID] = c.Policy1 != nil && c.Policy2 != nil
			for _, id := range []wire.Point{c.Node1, c.Node2} {
				if n.graph.NodeAnnouncement(id) != nil {
					announced[id] = true
				}
			}
			return true
		})
		return nil
	})
	return chans, announced
}

// TestNodeGossipFreshNodeSyncsFromLnkit: lnkit serves what it syncs. Three
// public channels alice-bob-carol-dave are announced while erin is not
// connected to anyone; erin then connects to carol only and must learn
// the whole graph from carol's replies to her queries (no relay can bring
// it: it was all sent before she came), with each reply_channel_range
// holding one id so that the range comes in several parts. She pays dave
// over it. When alice and bob close their channel cooperatively, the spend
// of its funding output on chain removes it from every graph, erin's too.
func TestNodeGossipFreshNodeSyncsFromLnkit(t *testing.T) {
	old := maxReplyIDs
	maxReplyIDs = 1
	t.Cleanup(func() { maxReplyIDs = old })

	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 5_000_000)
	c := tn.addNode("carol", 5_000_000)
	d := tn.addNode("dave", 0)
	tn.connect(a, b)
	tn.connect(b, c)
	tn.connect(c, d)
	ab := tn.openChannel(a, b, 1_000_000, 0)
	tn.openChannel(b, c, 1_000_000, 0)
	tn.openChannel(c, d, 1_000_000, 0)
	tn.mine(6)
	for _, n := range []*testNode{a, b, c, d} {
		tn.waitGraph(n, 3)
	}
	tn.waitFor("carol has every node_announcement", func() bool {
		_, ann := graphView(tn, c)
		return len(ann) == 4
	})

	e := tn.addNode("erin", 5_000_000)
	tn.connect(e, c)
	tn.waitGraph(e, 3)
	tn.waitFor("erin has every node_announcement", func() bool {
		_, ann := graphView(tn, e)
		return len(ann) == 4
	})
	// The channels she learned are the ones carol has, with the funding
	// outputs checked on the chain (Config.UTXOs): capacity known.
	chans, _ := graphView(tn, e)
	want, _ := graphView(tn, c)
	if len(chans) != len(want) {
		t.Fatalf("erin has %d channels, carol %d", len(chans), len(want))
	}
	e.do(tn.ctx, func() error {
		e.graph.ForEachChannel(func(ci routing.ChannelInfo) bool {
			if !want[ci.ShortChannelID] || ci.Capacity != 1_000_000 {
				t.Errorf("erin's channel %v: capacity %v, carol knows it: %v", ci.ShortChannelID, ci.Capacity, want[ci.ShortChannelID])
			}
			return true
		})
		return nil
	})

	// Erin pays dave over the synced graph: her channel to carol, then
	// carol's to dave.
	tn.openChannel(e, c, 1_000_000, 0)
	inv, err := d.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 2_000_000, Description: "synced"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := e.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11}); err != nil || len(p.Route[0]) != 2 {
		t.Fatalf("pay over the synced graph: %+v, %v", p, err)
	}

	// A closed channel leaves every graph once its funding spend is mined.
	scid := a.channel(t, ab).ShortChannelID
	txid, err := a.CloseChannel(tn.ctx, ab, false)
	if err != nil {
		t.Fatal(err)
	}
	tn.waitFor("closing transaction in the mempool", func() bool { return tn.chain.Confirmations(txid) == 0 })
	tn.mine(1)
	for _, n := range []*testNode{a, b, c, d, e} {
		tn.waitFor(n.name+" forgets the closed channel", func() bool {
			closed := false
			n.do(tn.ctx, func() error { closed = n.graph.IsClosed(scid); return nil })
			chans, _ := graphView(tn, n)
			_, has := chans[scid]
			return closed && !has
		})
	}
}
