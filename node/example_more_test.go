package node_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/node"
)

// Start a node, stop it, and start it again from the same store: the
// node id comes from the seed, the state from the store.
func ExampleNode_Start() {
	dir, _ := os.MkdirTemp("", "lnkit-example-")
	defer os.RemoveAll(dir)
	seed := sha256.Sum256([]byte("example start"))
	sim := chainsim.New()
	cfg := node.Config{Seed: seed[:], Network: &chaincfg.RegressionNetParams, DataDir: dir,
		Broadcaster: sim, FeeEstimator: sim, Wallet: sim.NewWallet()}
	var ids [2][33]byte
	for i := range ids {
		n, err := node.New(cfg)
		if err != nil {
			panic(err)
		}
		if err := n.Start(context.Background()); err != nil {
			panic(err)
		}
		ids[i] = [33]byte(n.NodeID().SerializeCompressed())
		// Stop returns once every goroutine the node started has ended.
		if err := n.Stop(); err != nil {
			panic(err)
		}
	}
	fmt.Println(ids[0] == ids[1])
	// Output: true
}

// Stop a node: calls after it return ErrStopped.
func ExampleNode_Stop() {
	d := newDemo()
	defer d.stop()
	if err := d.bob.Stop(); err != nil {
		panic(err)
	}
	_, err := d.bob.Info(d.ctx)
	fmt.Println(err)
	// Output: node: not running
}

// The node id is the public key peers and invoices know the node by.
func ExampleNode_NodeID() {
	d := newDemo()
	defer d.stop()
	info, _ := d.bob.Info(d.ctx)
	fmt.Println(len(d.bob.NodeID().SerializeCompressed()), info.NodeID.IsEqual(d.bob.NodeID()))
	// Output: 33 true
}

// List the connected peers and the features they sent in init.
func ExampleNode_ListPeers() {
	d := newDemo()
	defer d.stop()
	peers, _ := d.bob.ListPeers(d.ctx)
	fmt.Println(len(peers), peers[0].NodeID == [33]byte(d.alice.NodeID().SerializeCompressed()))
	// Output: 1 true
}

// Disconnect a peer; a peer with a channel would be redialed.
func ExampleNode_Disconnect() {
	d := newDemo()
	defer d.stop()
	if err := d.bob.Disconnect(d.ctx, d.alice.NodeID()); err != nil {
		panic(err)
	}
	peers, _ := d.bob.ListPeers(d.ctx)
	fmt.Println(len(peers))
	// Output: 0
}

// List invoices with their state.
func ExampleNode_ListInvoices() {
	d := newDemo()
	defer d.stop()
	d.bob.CreateInvoice(d.ctx, node.InvoiceRequest{Amount: 2_000_000, Description: "tea"})
	list, _ := d.bob.ListInvoices(d.ctx)
	fmt.Println(len(list), list[0].Amount, list[0].State)
	// Output: 1 2000000 msat open
}

// connectOverPipe runs a BOLT 8 handshake over a connection the host made
// (here an in-memory pipe): carol initiates, alice accepts.
func connectOverPipe(d *demo) *node.Node {
	carol, _, _ := d.start("carol", 0, func(node.Event) {})
	d.extra = append(d.extra, carol)
	c1, c2 := net.Pipe()
	errc := make(chan error, 1)
	go func() { errc <- d.alice.AcceptConn(d.ctx, c2) }()
	if err := carol.ConnectConn(d.ctx, c1, d.alice.NodeID()); err != nil {
		panic(err)
	}
	if err := <-errc; err != nil {
		panic(err)
	}
	return carol
}

// Connect over a connection the host dialed itself (Tor, a relay, a
// pipe), naming the peer's node id.
func ExampleNode_ConnectConn() {
	d := newDemo()
	defer d.stop()
	carol := connectOverPipe(d)
	peers, _ := carol.ListPeers(d.ctx)
	fmt.Println(len(peers), peers[0].NodeID == [33]byte(d.alice.NodeID().SerializeCompressed()))
	// Output: 1 true
}

// Accept a connection the host's own listener took; the handshake tells
// who the peer is.
func ExampleNode_AcceptConn() {
	d := newDemo()
	defer d.stop()
	carol := connectOverPipe(d)
	peers, _ := d.alice.ListPeers(d.ctx)
	found := false
	for _, p := range peers {
		found = found || p.NodeID == [33]byte(carol.NodeID().SerializeCompressed())
	}
	fmt.Println(len(peers), found)
	// Output: 2 true
}

// The host feeds blocks to the node; chainsim does it here, as a
// chain.Listener that calls BlockConnected for each block mined.
func ExampleNode_BlockConnected() {
	d := newDemo()
	defer d.stop()
	d.sim.Mine(d.ctx, 1) // the node's height is the last block it was given
	before, _ := d.alice.Info(d.ctx)
	d.sim.Mine(d.ctx, 2)
	after, _ := d.alice.Info(d.ctx)
	fmt.Println(after.Height - before.Height)
	// Output: 2
}

// A reorganisation: the chain calls BlockDisconnected for each block it
// takes back, then BlockConnected for the new ones.
func ExampleNode_BlockDisconnected() {
	d := newDemo()
	defer d.stop()
	d.sim.Mine(d.ctx, 3)
	before, _ := d.alice.Info(d.ctx)
	if _, err := d.sim.Reorg(d.ctx, 2); err != nil {
		panic(err)
	}
	after, _ := d.alice.Info(d.ctx)
	fmt.Println(before.Height == after.Height)
	// Output: true
}

// Recover from a backup after losing the store: alice starts again from
// her seed with an empty store, restores her backup, and bob closes the
// channel (option_data_loss_protect), whose output pays her wallet.
func ExampleNode_RestoreBackup() {
	d := newDemo()
	defer d.stop()
	d.openChannel()
	blob, _ := d.alice.ExportBackup(d.ctx)
	d.alice.Stop()
	alice, wallet, _ := d.start("alice#restored", 0, func(node.Event) {})
	d.extra = append(d.extra, alice)
	if err := alice.RestoreBackup(d.ctx, blob); err != nil {
		panic(err)
	}
	for deadline := time.Now().Add(30 * time.Second); wallet.Balance() == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if len(d.sim.Mempool()) > 0 {
			d.sim.Mine(d.ctx, 1)
		}
	}
	fmt.Println(wallet.Balance() > 990_000)
	// Output: true
}
