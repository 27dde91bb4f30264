package mobile_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/lnkit/lnkit/mobile"
)

// TestTwoNodes runs a wallet's life through the bound API only: two nodes
// on a simulated chain that hands in only the watched transactions (as an
// Electrum host does) open a channel, pay an invoice and a keysend with a
// custom record, and close; the listeners hear every event.
func TestTwoNodes(t *testing.T) {
	sim := mobile.NewSimulatedChain()
	sim.SetFilteredBlocks(true)
	alice := newSimNode(t, sim, "alice", 5_000_000)
	bob := newSimNode(t, sim, "bob", 0)
	bob.events.mu.Lock()
	bob.events.node = bob.Node
	bob.events.mu.Unlock()

	id := openChannel(t, sim, alice, bob, 1_000_000)
	c := channel(t, alice.Node, id)
	if !c.Ready || c.Status != "open" || c.CapacitySat != 1_000_000 || !c.Initiator || c.ShortChannelID == "" || c.PeerID != bob.NodeID() {
		t.Fatalf("alice's channel: %+v", c)
	}
	info, err := alice.Info(5000)
	if err != nil {
		t.Fatal(err)
	}
	if info.Height != sim.Height() || info.Channels != 1 || info.Peers != 1 || info.Alias != "alice" {
		t.Fatalf("alice's info: %+v (chain at %d)", info, sim.Height())
	}

	// An invoice, decoded as a payer's wallet shows it, and paid.
	inv, err := bob.CreateInvoice(mobile.NewInvoiceRequest(50_000_000, "a coffee"), 5000)
	if err != nil {
		t.Fatal(err)
	}
	d, err := mobile.DecodeInvoice("lightning:" + inv.Bolt11)
	if err != nil {
		t.Fatal(err)
	}
	if !d.HasAmount || d.AmountMsat != 50_000_000 || d.Description != "a coffee" || d.Destination != bob.NodeID() ||
		d.PaymentHash != inv.PaymentHash || d.Network != "regtest" || d.RouteHints.Len() != 1 || d.IsExpired() {
		t.Fatalf("decoded invoice: %+v", d)
	}
	if hop := d.RouteHints.Get(0).Get(0); hop.NodeID != alice.NodeID() {
		t.Fatalf("route hint starts at %s, want alice", hop.NodeID)
	}
	pay, err := alice.PayInvoice(mobile.NewPayInvoiceRequest(inv.Bolt11), 30_000)
	if err != nil {
		t.Fatal(err)
	}
	pre, _ := hex.DecodeString(pay.Preimage)
	if sum := sha256.Sum256(pre); pay.Status != "succeeded" || hex.EncodeToString(sum[:]) != inv.PaymentHash || pay.AmountMsat != 50_000_000 {
		t.Fatalf("payment: %+v", pay)
	}

	// A keysend with a custom record.
	recs := mobile.NewCustomRecords()
	if err := recs.Add(696969, []byte("thanks for the coffee")); err != nil {
		t.Fatal(err)
	}
	ksReq := mobile.NewKeysendRequest(bob.NodeID(), 5_000_000)
	ksReq.Records = recs
	ks, err := alice.SendKeysend(ksReq, 30_000)
	if err != nil {
		t.Fatal(err)
	}
	if ks.Status != "succeeded" || !ks.Keysend {
		t.Fatalf("keysend: %+v", ks)
	}

	waitFor(t, "bob hears both payments", func() bool {
		return bob.events.snapshot(func(r *recorder) bool { return len(r.received) == 2 })
	})
	waitFor(t, "alice hears both payments", func() bool {
		return alice.events.snapshot(func(r *recorder) bool { return len(r.succeeded) == 2 })
	})
	bob.events.snapshot(func(r *recorder) bool {
		byInvoice, byKeysend := r.received[0], r.received[1]
		if byInvoice.hash != inv.PaymentHash || byInvoice.amount != 50_000_000 || byInvoice.keysend || len(byInvoice.records) != 0 {
			t.Errorf("invoice payment event: %+v", byInvoice)
		}
		if byKeysend.hash != ks.PaymentHash || byKeysend.amount != 5_000_000 || !byKeysend.keysend ||
			len(byKeysend.records) != 1 || byKeysend.records[0].Type != 696969 || string(byKeysend.records[0].Value) != "thanks for the coffee" {
			t.Errorf("keysend event: %+v", byKeysend)
		}
		if r.calls != 2 || r.callErr != nil {
			t.Errorf("calls into the node from the listener: %d, %v", r.calls, r.callErr)
		}
		return true
	})
	alice.events.snapshot(func(r *recorder) bool {
		if r.succeeded[0].PaymentHash != inv.PaymentHash || r.succeeded[1].PaymentHash != ks.PaymentHash || r.succeeded[0].Preimage != pay.Preimage {
			t.Errorf("alice's success events: %+v %+v", r.succeeded[0], r.succeeded[1])
		}
		if len(r.failed) != 0 {
			t.Errorf("failure events: %+v", r.failed)
		}
		return true
	})

	// Lists and balances.
	pays, err := alice.ListPayments(5000)
	if err != nil {
		t.Fatal(err)
	}
	if pays.Len() != 2 || pays.Get(2) != nil {
		t.Fatalf("%d payments", pays.Len())
	}
	for i := 0; i < pays.Len(); i++ {
		if p := pays.Get(i); p.Status != "succeeded" || p.Keysend != (p.PaymentHash == ks.PaymentHash) || p.Hops != 1 || p.CreatedAtMs == 0 {
			t.Errorf("payment %d: %+v", i, p)
		}
	}
	invs, err := bob.ListInvoices(5000)
	if err != nil {
		t.Fatal(err)
	}
	if invs.Len() != 1 || invs.Get(0).State != "settled" || invs.Get(0).ReceivedMsat != 50_000_000 || invs.Get(0).SettledAtMs == 0 {
		t.Fatalf("bob's invoices: %d, %+v", invs.Len(), invs.Get(0))
	}
	// Balances move when the commitments are updated, just after the
	// payments settle.
	var bb, ab *mobile.Balances
	waitFor(t, "balances updated", func() bool {
		bb, err = bob.Balances(5000)
		if err != nil {
			t.Fatal(err)
		}
		ab, err = alice.Balances(5000)
		if err != nil {
			t.Fatal(err)
		}
		return bb.LightningMsat == 55_000_000 && ab.LightningMsat == 1_000_000_000-55_000_000
	})
	if bb.SendableMsat <= 0 || bb.SendableMsat > 55_000_000 || bb.ReceivableMsat <= 0 || bb.PendingOpenMsat != 0 || bb.ClosingMsat != 0 {
		t.Fatalf("bob's balances: %+v", bb)
	}
	if ab.LightningMsat != channel(t, alice.Node, id).LocalMsat || ab.SendableMsat >= ab.LightningMsat {
		t.Fatalf("alice's balances: %+v", ab)
	}

	// A cooperative close: the closing transaction reaches the chain.
	txid, err := alice.CloseChannel(id, false, 30_000)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Mine(1); err != nil {
		t.Fatal(err)
	}
	if got := sim.Confirmations(txid); got != 1 {
		t.Fatalf("closing transaction %s has %d confirmations", txid, got)
	}
	if st := channel(t, alice.Node, id).Status; st != "closing" && st != "closed" {
		t.Fatalf("channel status after close: %s", st)
	}

	// After Stop, calls say NOT_RUNNING, and a second Stop is harmless.
	if err := alice.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := alice.Stop(); err != nil {
		t.Fatal(err)
	}
	_, err = alice.ListPayments(1000)
	var ce *mobile.CodedError
	if !errors.As(err, &ce) || ce.Code != mobile.CodeNotRunning || mobile.ErrorCode(err.Error()) != mobile.CodeNotRunning {
		t.Fatalf("after stop: %v", err)
	}
	if err := alice.Start(1000); err == nil || mobile.ErrorCode(err.Error()) != mobile.CodeNotRunning {
		t.Fatalf("restart of a stopped node: %v", err)
	}
}
