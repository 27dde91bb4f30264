package node_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// demo is two nodes on a simulated chain, connected, for the examples.
type demo struct {
	ctx         context.Context
	sim         *chainsim.Chain
	alice, bob  *node.Node
	bobAddr     string
	aliceWallet *chainsim.Wallet
	dir         string
	stop        func()
	// start starts another node on the same chain (stopped by stop).
	start func(name string, funds btcutil.Amount, onEvent func(node.Event)) (*node.Node, *chainsim.Wallet, string)
	extra []*node.Node
}

func newDemo() *demo {
	ctx := context.Background()
	d := &demo{ctx: ctx, sim: chainsim.New(chainsim.WithStartHeight(500))}
	d.dir, _ = os.MkdirTemp("", "lnkit-example-")
	d.start = func(name string, funds btcutil.Amount, onEvent func(node.Event)) (*node.Node, *chainsim.Wallet, string) {
		w := d.sim.NewWallet()
		if funds > 0 {
			if _, err := w.Fund(ctx, funds); err != nil {
				panic(err)
			}
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		// "alice#2" is alice again (same seed) with a new store.
		seed := sha256.Sum256([]byte("example " + strings.Split(name, "#")[0]))
		n, err := node.New(node.Config{
			Seed: seed[:], Network: &chaincfg.RegressionNetParams, DataDir: d.dir + "/" + name,
			Broadcaster: d.sim, FeeEstimator: d.sim, Wallet: w, Listener: ln, Alias: name,
			OnEvent: onEvent,
		})
		if err != nil {
			panic(err)
		}
		if err := n.Start(ctx); err != nil {
			panic(err)
		}
		d.sim.AddListener(n)
		return n, w, ln.Addr().String()
	}
	// Alice's events go to a callback that ignores them; bob's are read
	// from bob.Events() (see ExampleNode_Events).
	d.alice, d.aliceWallet, _ = d.start("alice", 5_000_000, func(node.Event) {})
	d.bob, _, d.bobAddr = d.start("bob", 0, nil)
	if err := d.alice.Connect(ctx, d.bob.NodeID(), d.bobAddr); err != nil {
		panic(err)
	}
	// Connect returns once alice has bob's init; bob takes alice as a
	// peer when alice's init reaches him, which may be a moment later.
	waitPeer(d.bob, d.alice)
	d.stop = func() {
		for _, n := range d.extra {
			n.Stop()
		}
		d.alice.Stop()
		d.bob.Stop()
		os.RemoveAll(d.dir)
	}
	return d
}

// waitPeer waits until n lists peer as connected.
func waitPeer(n, peer *node.Node) {
	id := [33]byte(peer.NodeID().SerializeCompressed())
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		peers, _ := n.ListPeers(context.Background())
		for _, p := range peers {
			if p.NodeID == id {
				return
			}
		}
	}
	panic("peer never connected")
}

// openChannel opens alice's channel to bob and mines it to lock-in.
func (d *demo) openChannel() wire.ChannelID {
	id, err := d.alice.OpenChannel(d.ctx, node.OpenChannelRequest{Peer: d.bob.NodeID(), Amount: 1_000_000})
	if err != nil {
		panic(err)
	}
	d.sim.Mine(d.ctx, 3)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		ready := 0
		for _, n := range []*node.Node{d.alice, d.bob} {
			chs, _ := n.ListChannels(d.ctx)
			for _, c := range chs {
				if c.ChannelID == id && c.Ready {
					ready++
				}
			}
		}
		if ready == 2 {
			return id
		}
	}
	panic("channel not ready")
}

// Open a channel: OpenChannel returns once the funding transaction is
// broadcast; the channel is ready after the confirmations it needs.
func ExampleNode_OpenChannel() {
	d := newDemo()
	defer d.stop()
	id := d.openChannel()
	chs, _ := d.alice.ListChannels(d.ctx)
	for _, c := range chs {
		if c.ChannelID == id {
			fmt.Println(c.Status, c.Ready, c.Capacity, c.Local)
		}
	}
	// Output: open true 0.01000000 BTC 1000000000 msat
}

// Create an invoice and pay it.
func ExampleNode_PayInvoice() {
	d := newDemo()
	defer d.stop()
	d.openChannel()
	inv, err := d.bob.CreateInvoice(d.ctx, node.InvoiceRequest{Amount: 42_000_000, Description: "lunch"})
	if err != nil {
		panic(err)
	}
	p, err := d.alice.PayInvoice(d.ctx, node.PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Status, p.Amount, p.Fee, p.Preimage.Matches(inv.PaymentHash))
	// Output: succeeded 42000000 msat 0 msat true
}

// Send a keysend payment with a custom record; the payee sees the record
// in its PaymentReceived event.
func ExampleNode_SendKeysend() {
	d := newDemo()
	defer d.stop()
	d.openChannel()
	p, err := d.alice.SendKeysend(d.ctx, node.KeysendRequest{
		Destination: d.bob.NodeID(), Amount: 5_000_000,
		CustomRecords: []wire.TLVRecord{{Type: 65537, Value: []byte("order 7")}},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Status, p.Keysend, p.Amount)
	// Output: succeeded true 5000000 msat
}

// Close a channel cooperatively.
func ExampleNode_CloseChannel() {
	d := newDemo()
	defer d.stop()
	id := d.openChannel()
	txid, err := d.alice.CloseChannel(d.ctx, id, false)
	if err != nil {
		panic(err)
	}
	d.sim.Mine(d.ctx, 1)
	fmt.Println(d.sim.Confirmations(txid))
	// Output: 1
}

// Export the static channel backup (keep it off the device); after a
// total loss, RestoreBackup with the same seed recovers the balances.
func ExampleNode_ExportBackup() {
	d := newDemo()
	defer d.stop()
	d.openChannel()
	blob, err := d.alice.ExportBackup(d.ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(blob) > 0)
	// Output: true
}

// Read events from the node's stream: here the payee's view of a payment.
func ExampleNode_Events() {
	d := newDemo()
	defer d.stop()
	d.openChannel()
	inv, err := d.bob.CreateInvoice(d.ctx, node.InvoiceRequest{Amount: 7_000_000, Description: "coffee"})
	if err != nil {
		panic(err)
	}
	if _, err := d.alice.PayInvoice(d.ctx, node.PayInvoiceRequest{Invoice: inv.Bolt11}); err != nil {
		panic(err)
	}
	for e := range d.bob.Events() {
		if r, ok := e.(*node.PaymentReceived); ok {
			fmt.Println(r.Amount, r.PaymentHash == inv.PaymentHash)
			break
		}
	}
	// Output: 7000000 msat true
}

// Create an any-amount invoice and list the node's invoices.
func ExampleNode_CreateInvoice() {
	d := newDemo()
	defer d.stop()
	inv, err := d.bob.CreateInvoice(d.ctx, node.InvoiceRequest{Description: "tips", Expiry: time.Hour})
	if err != nil {
		panic(err)
	}
	list, _ := d.bob.ListInvoices(d.ctx)
	fmt.Println(len(list), list[0].PaymentHash == inv.PaymentHash, list[0].State, inv.ExpiresAt.Sub(inv.CreatedAt))
	// Output: 1 true open 1h0m0s
}

// List channels with their balances, and payments with their outcome.
func ExampleNode_ListPayments() {
	d := newDemo()
	defer d.stop()
	id := d.openChannel()
	if _, err := d.alice.SendKeysend(d.ctx, node.KeysendRequest{Destination: d.bob.NodeID(), Amount: 3_000_000}); err != nil {
		panic(err)
	}
	pays, _ := d.alice.ListPayments(d.ctx)
	fmt.Println(len(pays), pays[0].Status, pays[0].Amount)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		chs, _ := d.bob.ListChannels(d.ctx)
		if len(chs) == 1 && chs[0].ChannelID == id && chs[0].Local == 3_000_000 {
			fmt.Println(chs[0].Local, chs[0].Remote)
			break
		}
	}
	// Output:
	// 1 succeeded 3000000 msat
	// 3000000 msat 997000000 msat
}

// Node identity, peers and counters.
func ExampleNode_Info() {
	d := newDemo()
	defer d.stop()
	info, _ := d.alice.Info(d.ctx)
	peers, _ := d.alice.ListPeers(d.ctx)
	fmt.Println(info.Alias, info.Peers, info.Channels, len(peers), peers[0].Inbound)
	// Output: alice 1 0 1 false
}
