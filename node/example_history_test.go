package node_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/node"
)

// Prune the payment history: finished payments keep a summary that still
// answers for their id and hash.
func ExampleNode_PrunePayments() {
	d := newDemo()
	defer d.stop()
	d.openChannel()
	id := node.PaymentID{7}
	req := node.KeysendRequest{Destination: d.bob.NodeID(), Amount: 3_000_000, ID: &id}
	if _, err := d.alice.SendKeysend(d.ctx, req); err != nil {
		panic(err)
	}
	n, _ := d.alice.PrunePayments(d.ctx, time.Now().Add(time.Second))
	// The same id again returns the pruned payment; nothing is paid twice.
	p, err := d.alice.SendKeysend(d.ctx, req)
	fmt.Println(n, p.Status, p.Pruned, err)
	// Output: 1 succeeded true <nil>
}

// Delete finished invoices (and received keysend records).
func ExampleNode_PruneInvoices() {
	d := newDemo()
	defer d.stop()
	d.openChannel()
	inv, _ := d.bob.CreateInvoice(d.ctx, node.InvoiceRequest{Amount: 1_000_000, Description: "paid"})
	if _, err := d.alice.PayInvoice(d.ctx, node.PayInvoiceRequest{Invoice: inv.Bolt11}); err != nil {
		panic(err)
	}
	open, _ := d.bob.CreateInvoice(d.ctx, node.InvoiceRequest{Amount: 1_000_000, Description: "open"})
	// The payee settles when the payment's last part arrives; wait for it.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if list, _ := d.bob.ListInvoices(d.ctx); len(list) == 2 && list[1].State == node.InvoiceSettled {
			break
		}
	}
	n, _ := d.bob.PruneInvoices(d.ctx, time.Now().Add(time.Second))
	list, _ := d.bob.ListInvoices(d.ctx)
	fmt.Println(n, len(list), list[0].PaymentHash == open.PaymentHash)
	// Output: 1 1 true
}

// Cancel an open invoice: payments for it are refused from then on.
func ExampleNode_CancelInvoice() {
	d := newDemo()
	defer d.stop()
	inv, _ := d.bob.CreateInvoice(d.ctx, node.InvoiceRequest{Amount: 1_000_000, Description: "never mind"})
	if err := d.bob.CancelInvoice(d.ctx, inv.PaymentHash); err != nil {
		panic(err)
	}
	list, _ := d.bob.ListInvoices(d.ctx)
	fmt.Println(list[0].State)
	// Output: canceled
}

// Connect to a peer, list the peers, disconnect.
func ExampleNode_Connect() {
	d := newDemo() // alice is already connected to bob
	defer d.stop()
	peers, _ := d.alice.ListPeers(d.ctx)
	fmt.Println(len(peers), peers[0].NodeID == [33]byte(d.bob.NodeID().SerializeCompressed()))
	if err := d.alice.Disconnect(d.ctx, d.bob.NodeID()); err != nil {
		panic(err)
	}
	peers, _ = d.alice.ListPeers(d.ctx)
	fmt.Println(len(peers))
	// Output:
	// 1 true
	// 0
}

// List channels with their balances and reserves.
func ExampleNode_ListChannels() {
	d := newDemo()
	defer d.stop()
	d.openChannel()
	chs, _ := d.bob.ListChannels(d.ctx)
	c := chs[0]
	fmt.Println(c.Status, c.Local, c.Remote > 0, c.Initiator)
	// Output: open 0 msat true false
}

// Build, start and stop a node on a simulated chain, its store a
// directory on disk.
func ExampleNew() {
	ctx := context.Background()
	sim := chainsim.New()
	dir, _ := os.MkdirTemp("", "lnkit-new-")
	defer os.RemoveAll(dir)
	seed := sha256.Sum256([]byte("example seed"))
	n, err := node.New(node.Config{
		Seed: seed[:], Network: &chaincfg.RegressionNetParams, DataDir: dir,
		Broadcaster: sim, FeeEstimator: sim, Wallet: sim.NewWallet(),
	})
	if err != nil {
		panic(err)
	}
	if err := n.Start(ctx); err != nil {
		panic(err)
	}
	info, _ := n.Info(ctx)
	fmt.Println(info.Channels, n.Stop())
	// Output: 0 <nil>
}
