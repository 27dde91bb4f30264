package postgres

import (
	"context"
	"crypto/sha256"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// TestNodePaymentOnPostgres runs two lnkit nodes whose whole state is in
// PostgreSQL: a channel opens, an invoice and a keysend are paid, one node
// restarts from the database, pays again, and the channel closes.
func TestNodePaymentOnPostgres(t *testing.T) {
	dsn := testDSN(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sim := chainsim.New(chainsim.WithStartHeight(500))
	start := func(p *party) {
		st, err := Open(ctx, dsn, WithNamespace(p.ns))
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p.addr = ln.Addr().String()
		n, err := node.New(node.Config{Seed: p.seed[:], Network: &chaincfg.RegressionNetParams, Store: st,
			Broadcaster: sim, FeeEstimator: sim, Wallet: p.w, Listener: ln, OnEvent: func(node.Event) {}})
		if err != nil {
			t.Fatal(err)
		}
		if err := n.Start(ctx); err != nil {
			t.Fatal(err)
		}
		p.n, p.st = n, st
		t.Cleanup(func() { n.Stop(); st.Close() })
	}
	alice := &party{w: sim.NewWallet(), ns: newNamespace(t) + "/alice", seed: sha256.Sum256([]byte("pg alice"))}
	bob := &party{w: sim.NewWallet(), ns: newNamespace(t) + "/bob", seed: sha256.Sum256([]byte("pg bob"))}
	if _, err := alice.w.Fund(ctx, 5_000_000); err != nil {
		t.Fatal(err)
	}
	start(alice)
	start(bob)
	sim.AddListener(alice)
	sim.AddListener(bob)
	if err := alice.n.Connect(ctx, bob.n.NodeID(), bob.addr); err != nil {
		t.Fatal(err)
	}
	id, err := alice.n.OpenChannel(ctx, node.OpenChannelRequest{Peer: bob.n.NodeID(), Amount: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.Mine(ctx, 3); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out: %s", what)
			}
		}
	}
	local := func(p *party) wire.MilliSatoshi {
		chs, _ := p.n.ListChannels(ctx)
		for _, c := range chs {
			if c.ChannelID == id && c.Ready {
				return c.Local
			}
		}
		return 0
	}
	waitFor("ready", func() bool { return local(alice) > 0 })
	pay := func(amount wire.MilliSatoshi) {
		inv, err := bob.n.CreateInvoice(ctx, node.InvoiceRequest{Amount: amount})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := alice.n.PayInvoice(ctx, node.PayInvoiceRequest{Invoice: inv.Bolt11}); err != nil {
			t.Fatal(err)
		}
	}
	pay(10_000_000)
	if _, err := alice.n.SendKeysend(ctx, node.KeysendRequest{Destination: bob.n.NodeID(), Amount: 2_000_000}); err != nil {
		t.Fatal(err)
	}
	waitFor("bob paid", func() bool { return local(bob) == 12_000_000 })

	// Bob restarts from the database.
	old := bob.n
	bob.n = nil
	old.Stop()
	bob.st.Close() // releases the namespace's lock for the new process
	start(bob)
	waitFor("alice sees bob gone", func() bool { ps, _ := alice.n.ListPeers(ctx); return len(ps) == 0 })
	if err := alice.n.Connect(ctx, bob.n.NodeID(), bob.addr); err != nil {
		t.Fatal(err)
	}
	waitFor("channel back", func() bool { return local(bob) == 12_000_000 })
	pay(3_000_000)
	waitFor("bob paid again", func() bool { return local(bob) == 15_000_000 })
	txid, err := alice.n.CloseChannel(ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	waitFor("close in the mempool", func() bool { return sim.Confirmations(txid) == 0 })
}

// party is one node of the test; as a chain.Listener it lets the node
// miss blocks while it is restarting.
type party struct {
	n    *node.Node
	w    *chainsim.Wallet
	addr string
	ns   string
	seed [32]byte
	st   *Store
}

func (p *party) BlockConnected(ctx context.Context, b *chain.Block) error {
	if p.n == nil {
		return nil
	}
	if err := p.n.BlockConnected(ctx, b); err != nil && !errors.Is(err, node.ErrStopped) {
		return err
	}
	return nil
}

func (p *party) BlockDisconnected(ctx context.Context, h btcwire.BlockHeader, height uint32) error {
	if p.n == nil {
		return nil
	}
	if err := p.n.BlockDisconnected(ctx, h, height); err != nil && !errors.Is(err, node.ErrStopped) {
		return err
	}
	return nil
}
