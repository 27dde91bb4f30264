package node

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/wire"
)

// TestNodeRestartAfterCloseStillSweeps restarts a node after its force
// close confirmed but before its to_local output matured: the restarted
// node must still watch the channel and sweep it.
func TestNodeRestartAfterCloseStillSweeps(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id := tn.openChannel(a, b, 1_000_000, 0)
	before := a.wallet.Balance()
	txid, err := a.CloseChannel(tn.ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	tn.waitFor("commitment in the mempool", func() bool { return tn.chain.Confirmations(txid) == 0 })
	tn.mine(1)
	tn.waitFor("alice sees the channel closed", func() bool { return a.channel(t, id).Status == "closed" })
	tn.restart(a)
	for i := 0; i < 200 && a.wallet.Balance() == before; i++ {
		tn.mine(1)
		time.Sleep(20 * time.Millisecond)
	}
	if got := a.wallet.Balance() - before; got < 980_000 {
		t.Fatalf("alice swept %v after the restart, want about 1,000,000 sat", got)
	}
}

// TestNodePreimageUpstreamOffline has the payee release the preimage
// while the payer (upstream of the forwarder) is offline. The forwarder
// has paid downstream, so it must claim the incoming HTLC on chain before
// it expires: force-close the upstream channel at the fulfill deadline
// and sweep the HTLC with the preimage.
func TestNodePreimageUpstreamOffline(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 5_000_000)
	c := tn.addNode("carol", 0)
	tn.connect(a, b)
	tn.connect(b, c)
	ab := tn.openChannel(a, b, 1_000_000, 0)
	bc := tn.openChannel(b, c, 1_000_000, 0)
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 100_000_000, PrivateRouteHints: true})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := invoice.Decode(inv.Bolt11)
	if err != nil {
		t.Fatal(err)
	}
	// Alice sends one half of a multi-part payment, which carol holds.
	err = a.do(tn.ctx, func() error {
		p := &payment{total: 100_000_000, secret: dec.PaymentSecret, finalCLTV: uint16(dec.MinFinalCLTVExpiryDelta()), hints: dec.RouteHints,
			maxFee: 1_000_000, excluded: map[wire.ShortChannelID]bool{}}
		p.ID = PaymentID{9}
		p.PaymentHash = dec.PaymentHash
		copy(p.Destination[:], dec.Destination.SerializeCompressed())
		p.Amount = 100_000_000
		p.CreatedAt = a.now()
		p.deadline = p.CreatedAt.Add(time.Hour)
		a.pays.byID[p.ID] = p
		r, err := a.findRoute(p, 50_000_000)
		if err != nil {
			return err
		}
		return a.pays.send(p, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	tn.waitFor("carol holds the part", func() bool {
		var ok bool
		c.do(tn.ctx, func() error { s := c.invs.sets[dec.PaymentHash]; ok = s != nil && s.sum == 50_000_000; return nil })
		return ok
	})
	old := a.Node // alice goes away for good
	a.Node = nil
	old.Stop()
	tn.waitFor("bob sees alice gone", func() bool { ps, _ := b.ListPeers(tn.ctx); return len(ps) == 1 })
	// Carol releases the preimage for the part she holds.
	c.do(tn.ctx, func() error {
		s := c.invs.sets[dec.PaymentHash]
		for _, p := range s.parts {
			if err := c.settle(p.cs, p.id, c.invs.byID[dec.PaymentHash].preimage, nil); err != nil {
				t.Errorf("carol settle: %v", err)
			}
		}
		delete(c.invs.sets, dec.PaymentHash)
		return nil
	})
	tn.waitFor("bob paid carol", func() bool { return c.channel(t, bc).Local == 50_000_000 })
	var cltv uint32
	b.do(tn.ctx, func() error {
		for _, li := range b.channels[ab].m.PendingIncoming() {
			cltv = li.HTLC.CLTVExpiry
		}
		return nil
	})
	if cltv == 0 {
		t.Fatal("bob has no pending incoming HTLC from alice")
	}
	for tn.chain.Height() < cltv-10 { // past the fulfill deadline (18 blocks)
		tn.mine(1)
	}
	tn.waitFor("bob goes on chain with alice", func() bool { return b.channel(t, ab).Status != "open" })
	before := b.wallet.Balance()
	for i := 0; i < 200 && b.wallet.Balance()-before < 45_000; i++ {
		tn.mine(1)
		time.Sleep(10 * time.Millisecond)
	}
	if got := b.wallet.Balance() - before; got < 45_000 {
		t.Fatalf("bob claimed %v of alice's 50,000 sat HTLC", got)
	}
}

// flakyBroadcaster fails while fail is set.
type flakyBroadcaster struct {
	chain.Broadcaster
	fail atomic.Bool
}

func (f *flakyBroadcaster) Broadcast(ctx context.Context, txs ...*btcwire.MsgTx) error {
	if f.fail.Load() {
		return errors.New("bitcoind is down")
	}
	return f.Broadcaster.Broadcast(ctx, txs...)
}

// TestNodeForceCloseRetriedByMonitor fails the first broadcast of a
// host-requested force close: the monitor, which owns the close, must
// broadcast the commitment again on the next blocks.
func TestNodeForceCloseRetriedByMonitor(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id := tn.openChannel(a, b, 1_000_000, 0)
	fb := &flakyBroadcaster{Broadcaster: tn.chain}
	a.broadcaster = fb
	tn.restart(a) // the node and its monitors broadcast through fb
	tn.connect(a, b)
	tn.waitFor("channel reestablished", func() bool { return a.channel(t, id).Ready })
	old := b.Node // bob must not broadcast his own
	b.Node = nil
	old.Stop()
	fb.fail.Store(true)
	txid, err := a.CloseChannel(tn.ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	a.do(tn.ctx, func() error { return nil })
	if tn.chain.Confirmations(txid) >= 0 {
		t.Fatal("the commitment reached the chain through a failing broadcaster")
	}
	fb.fail.Store(false)
	for i := 0; i < 6 && tn.chain.Confirmations(txid) < 0; i++ {
		tn.mine(1)
		a.do(tn.ctx, func() error { return nil })
	}
	if tn.chain.Confirmations(txid) < 0 {
		t.Fatal("alice's commitment was never broadcast again after the first attempt failed")
	}
}

// TestNodeRestartAfterRecovery recovers a channel from peer storage after
// data loss, then restarts: the finished recovery must not stop the node
// from starting, nor start again.
func TestNodeRestartAfterRecovery(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	tn.openChannel(a, b, 1_000_000, 0)
	before := a.wallet.Balance()
	old := a.Node
	a.Node = nil
	old.Stop()
	a.dir = t.TempDir() // all of alice's state is lost
	tn.start(a)
	tn.waitFor("bob sees alice gone", func() bool { ps, _ := b.ListPeers(tn.ctx); return len(ps) == 0 })
	tn.connect(a, b)
	tn.waitFor("bob force-closes", func() bool { return len(tn.chain.Mempool()) > 0 })
	for i := 0; i < 6 && a.wallet.Balance() == before; i++ {
		tn.mine(1)
		time.Sleep(50 * time.Millisecond)
	}
	if a.wallet.Balance() == before {
		t.Fatal("alice did not sweep")
	}
	a.do(tn.ctx, func() error { return nil })
	tn.restart(a) // fails the test if Start fails
	tn.connect(a, b)
	var again int
	a.do(tn.ctx, func() error { again = len(a.recovering); return nil })
	if again != 0 {
		t.Fatalf("%d recoveries restarted after the sweep", again)
	}
}
