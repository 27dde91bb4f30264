package node_test

import (
	"fmt"
	"time"

	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// blindedDemo adds carol, with a channel to alice: carol - alice - bob.
func blindedDemo() (*demo, *node.Node) {
	d := newDemo()
	d.openChannel()
	carol, _, carolAddr := d.start("carol", 5_000_000, func(node.Event) {})
	d.extra = append(d.extra, carol)
	if err := d.alice.Connect(d.ctx, carol.NodeID(), carolAddr); err != nil {
		panic(err)
	}
	waitPeer(carol, d.alice)
	id, err := carol.OpenChannel(d.ctx, node.OpenChannelRequest{Peer: d.alice.NodeID(), Amount: 1_000_000})
	if err != nil {
		panic(err)
	}
	d.sim.Mine(d.ctx, 3)
	waitReady(d, []*node.Node{carol, d.alice}, id)
	return d, carol
}

func waitReady(d *demo, nodes []*node.Node, id wire.ChannelID) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ready := 0
		for _, n := range nodes {
			chs, _ := n.ListChannels(d.ctx)
			for _, c := range chs {
				if c.ChannelID == id && c.Ready {
					ready++
				}
			}
		}
		if ready == len(nodes) {
			return
		}
	}
	panic("channel not ready")
}

// Receive without revealing the node: bob makes blinded paths for an
// invoice, each through a channel peer (here alice, his only one) and
// padded with a dummy hop (Policy.BlindedDummyHops), and hands them to
// the payer instead of his node id.
func ExampleNode_BlindedPaths() {
	d, _ := blindedDemo()
	defer d.stop()
	inv, _ := d.bob.CreateInvoice(d.ctx, node.InvoiceRequest{Amount: 5_000_000, Description: "hidden"})
	paths, err := d.bob.BlindedPaths(d.ctx, inv.PaymentHash, 0)
	if err != nil {
		panic(err)
	}
	p := paths[0]
	fmt.Println(len(paths), p.Path.IntroductionNode.IsEqual(d.alice.NodeID()), len(p.Path.Hops))
	fmt.Println(p.Path.Hops[1].BlindedNodeID.IsEqual(d.bob.NodeID()), p.FeeBase, p.CLTVExpiryDelta)
	// Output:
	// 1 true 3
	// false 1000 msat 160
}

// Pay over blinded paths: carol pays bob knowing only the paths; alice,
// the introduction node, forwards by the path's relay data.
func ExampleNode_PayBlinded() {
	d, carol := blindedDemo()
	defer d.stop()
	inv, _ := d.bob.CreateInvoice(d.ctx, node.InvoiceRequest{Amount: 5_000_000, Description: "hidden"})
	paths, _ := d.bob.BlindedPaths(d.ctx, inv.PaymentHash, 0)
	p, err := carol.PayBlinded(d.ctx, node.PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: 5_000_000, Paths: paths})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Status, p.Blinded, p.Fee, p.Preimage.Hash() == inv.PaymentHash)
	// Output: succeeded true 1005 msat true
}
