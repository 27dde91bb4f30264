package node

import (
	"sync"
	"testing"
	"time"
)

// TestNodeReconnectsChannelPeer drops alice's connection to bob from bob's
// side: alice, who has a channel with bob and reached him at a known
// address, dials him again by herself and the channel works again. Bob,
// who has no address for alice, does not dial, and a connection the host
// closes with Disconnect is not dialed again.
func TestNodeReconnectsChannelPeer(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id := tn.openChannel(a, b, 1_000_000, 0)

	if err := b.Disconnect(tn.ctx, a.NodeID()); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	tn.waitFor("bob sees alice again", func() bool {
		ps, _ := b.ListPeers(tn.ctx)
		return len(ps) == 1 && ps[0].Inbound
	})
	if d := time.Since(start); d > 3*redialFirst {
		t.Fatalf("reconnected after %v", d)
	}
	tn.waitFor("channel usable", func() bool {
		_, err := a.SendKeysend(tn.ctx, KeysendRequest{Destination: b.NodeID(), Amount: 1_000_000})
		return err == nil
	})
	tn.waitFor("bob paid", func() bool { return b.channel(t, id).Local == 1_000_000 })

	// The host's own Disconnect is respected.
	if err := a.Disconnect(tn.ctx, b.NodeID()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * redialFirst)
	if ps, _ := a.ListPeers(tn.ctx); len(ps) != 0 {
		t.Fatalf("alice dialed bob again after her host disconnected: %+v", ps)
	}
}

// TestNodeConcurrentConnect has the host call Connect eight times at once
// (as a host's retry loop and the node's own reconnection may): one
// connection is set up and it stays up. Before, each call dialed, and the
// two ends could keep different connections of the same pair and close
// both.
func TestNodeConcurrentConnect(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 0)
	b := tn.addNode("bob", 0)
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- a.Connect(tn.ctx, b.NodeID(), b.addr)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		// Both ends keep the one connection.
		time.Sleep(100 * time.Millisecond)
		pa, _ := a.ListPeers(tn.ctx)
		pb, _ := b.ListPeers(tn.ctx)
		if len(pa) != 1 || len(pb) != 1 || pa[0].Address != b.addr {
			t.Fatalf("round %d: alice has %+v, bob has %+v", round, pa, pb)
		}
		if err := a.Disconnect(tn.ctx, b.NodeID()); err != nil {
			t.Fatal(err)
		}
		tn.waitFor("bob sees alice gone", func() bool {
			ps, _ := b.ListPeers(tn.ctx)
			return len(ps) == 0
		})
	}
}

// TestNodePayWhileFirstHopReconnects pays while the only channel's peer
// is away for a moment (bob drops alice, who dials him again by herself):
// the payment waits and completes once the channel is back. (The case
// TestNodeCrashEveryWrite found under -race, an attempt refused by a
// channel whose peer had connected but not yet reestablished, which then
// stayed excluded, depends on timing this test does not control.)
func TestNodePayWhileFirstHopReconnects(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id := tn.openChannel(a, b, 1_000_000, 0)
	inv, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 2_000_000, Description: "while away"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Disconnect(tn.ctx, a.NodeID()); err != nil {
		t.Fatal(err)
	}
	tn.waitFor("alice sees bob gone", func() bool {
		ps, _ := a.ListPeers(tn.ctx)
		return len(ps) == 0
	})
	p, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil || p.Status != PaymentStatusSucceeded {
		t.Fatalf("pay: %+v, %v", p, err)
	}
	tn.waitFor("bob paid", func() bool { return b.channel(t, id).Local == 2_000_000 })
}
