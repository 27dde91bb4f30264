package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// testLogger logs through t.
func testLogger(t testing.TB, name string) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t, name}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	t    testing.TB
	name string
}

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(w.name + ": " + strings.TrimSpace(string(b)))
	return len(b), nil
}

// testNet is several nodes on one simulated chain, on loopback TCP.
type testNet struct {
	t     testing.TB
	ctx   context.Context
	chain *chainsim.Chain
	nodes []*testNode
}

type testNode struct {
	*Node
	name   string
	addr   string
	wallet *chainsim.Wallet
	dir    string
	seed   []byte
	events chan Event
	// acceptZeroConf makes the node accept zero-conf channels.
	acceptZeroConf bool
	// policy, when set, adjusts the node's policy at each start.
	policy func(*Policy)
	// broadcaster, when set, replaces the chain's at the next start.
	broadcaster chain.Broadcaster
	// store, when set, is the node's store at the next start instead of
	// the default store.File in dir.
	store store.Store
	// utxos is the node's Config.UTXOs (the chain, by default).
	utxos chain.UTXOSource
}

func newTestNet(t testing.TB) *testNet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return &testNet{t: t, ctx: ctx, chain: chainsim.New(chainsim.WithStartHeight(500))}
}

// addNode starts a node with a funded wallet and a store.File on disk.
func (tn *testNet) addNode(name string, funds btcutil.Amount) *testNode {
	tn.t.Helper()
	return tn.addNodeWith(name, funds, nil)
}

// addNodeWith is addNode with a policy adjustment.
func (tn *testNet) addNodeWith(name string, funds btcutil.Amount, policy func(*Policy)) *testNode {
	tn.t.Helper()
	return tn.addNodeSetup(name, funds, func(tnode *testNode) { tnode.policy = policy })
}

// addNodeSetup is addNode with setup run on the node before its first
// start.
func (tn *testNet) addNodeSetup(name string, funds btcutil.Amount, setup func(*testNode)) *testNode {
	tn.t.Helper()
	seed := sha256.Sum256([]byte("node seed " + name))
	// Nodes check announced funding outputs on the simulated chain
	// unless setup says otherwise.
	tnode := &testNode{name: name, wallet: tn.chain.NewWallet(), dir: tn.t.TempDir(), seed: seed[:], events: make(chan Event, 1024), utxos: tn.chain}
	if setup != nil {
		setup(tnode)
	}
	if funds > 0 {
		if _, err := tnode.wallet.Fund(tn.ctx, funds); err != nil {
			tn.t.Fatal(err)
		}
	}
	tn.start(tnode)
	tn.chain.AddListener(tnode)
	tn.nodes = append(tn.nodes, tnode)
	return tnode
}

// BlockConnected lets a stopped node miss blocks without failing the
// chain.
func (tn *testNode) BlockConnected(ctx context.Context, b *chain.Block) error {
	if tn.Node == nil {
		return nil
	}
	err := tn.Node.BlockConnected(ctx, b)
	if err == ErrStopped {
		return nil
	}
	return err
}

func (tn *testNet) start(tnode *testNode) {
	tn.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tn.t.Fatal(err)
	}
	tnode.addr = ln.Addr().String()
	pol := Policy{MinDepth: 3, PaymentTimeout: 20 * time.Second, FundingTimeout: 2 * time.Second, AcceptZeroConf: tnode.acceptZeroConf}
	if tnode.policy != nil {
		tnode.policy(&pol)
	}
	var bc chain.Broadcaster = tn.chain
	if tnode.broadcaster != nil {
		bc = tnode.broadcaster
	}
	n, err := New(Config{
		Logger: testLogger(tn.t, tnode.name),
		Seed:   tnode.seed, Network: &chaincfg.RegressionNetParams, DataDir: tnode.dir,
		Store:       tnode.store,
		UTXOs:       tnode.utxos,
		Broadcaster: bc, FeeEstimator: tn.chain, Wallet: tnode.wallet, Listener: ln,
		Alias: tnode.name,
		OnEvent: func(e Event) {
			// OnEvent must not block the node: when the test is not
			// reading events (benchmarks), the oldest is dropped.
			for {
				select {
				case tnode.events <- e:
					return
				default:
				}
				select {
				case <-tnode.events:
				default:
				}
			}
		},
		Policy: pol,
	})
	if err != nil {
		tn.t.Fatal(err)
	}
	if err := n.Start(tn.ctx); err != nil {
		tn.t.Fatal(err)
	}
	tnode.Node = n
	tn.t.Cleanup(func() { n.Stop() })
}

func (tn *testNet) connect(a, b *testNode) {
	tn.t.Helper()
	if err := a.Connect(tn.ctx, b.NodeID(), b.addr); err != nil {
		tn.t.Fatal(err)
	}
	tn.waitFor(fmt.Sprintf("%s sees %s", b.name, a.name), func() bool {
		ps, _ := b.ListPeers(tn.ctx)
		return len(ps) > 0
	})
}

func (tn *testNet) mine(n int) {
	tn.t.Helper()
	if _, err := tn.chain.Mine(tn.ctx, n); err != nil {
		tn.t.Fatal(err)
	}
}

// waitFor polls cond (bounded) and fails the test with what it waited for.
func (tn *testNet) waitFor(what string, cond func() bool) {
	tn.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tn.t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// openChannel opens a channel from a to b and mines it to lock-in.
func (tn *testNet) openChannel(a, b *testNode, amount btcutil.Amount, push wire.MilliSatoshi) wire.ChannelID {
	tn.t.Helper()
	id, err := a.OpenChannel(tn.ctx, OpenChannelRequest{Peer: b.NodeID(), Amount: amount, Push: push})
	if err != nil {
		tn.t.Fatalf("open %s->%s: %v", a.name, b.name, err)
	}
	tn.mine(3)
	for _, n := range []*testNode{a, b} {
		tn.waitFor(n.name+" channel ready", func() bool {
			chs, _ := n.ListChannels(tn.ctx)
			for _, c := range chs {
				if c.ChannelID == id && c.Ready {
					return true
				}
			}
			return false
		})
	}
	return id
}

func (tn *testNode) channel(t testing.TB, id wire.ChannelID) ChannelInfo {
	t.Helper()
	// Bounded: a node that stopped answering fails the test, not hangs it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	chs, err := tn.ListChannels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chs {
		if c.ChannelID == id {
			return c
		}
	}
	t.Fatalf("%s has no channel %v", tn.name, id)
	return ChannelInfo{}
}

func TestNodeOpenPayKeysendClose(t *testing.T) {
	for _, typ := range []script.ChannelType{script.Anchors, script.StaticRemoteKey} {
		t.Run(typ.String(), func(t *testing.T) { testOpenPayKeysendClose(t, typ) })
	}
}

func testOpenPayKeysendClose(t *testing.T, typ script.ChannelType) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id, err := a.OpenChannel(tn.ctx, OpenChannelRequest{Peer: b.NodeID(), Amount: 1_000_000, Type: typ})
	if err != nil {
		t.Fatal(err)
	}
	tn.mine(3)
	tn.waitFor("ready", func() bool { return a.channel(t, id).Ready && b.channel(t, id).Ready })

	inv, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 50_000_000, Description: "coffee"})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if pay.Status != PaymentStatusSucceeded || !pay.Preimage.Matches(inv.PaymentHash) {
		t.Fatalf("payment %+v", pay)
	}
	tn.waitFor("bob's invoice settled", func() bool {
		invs, _ := b.ListInvoices(tn.ctx)
		return len(invs) == 1 && invs[0].State == InvoiceSettled && invs[0].Received == 50_000_000
	})
	// The payer learns the preimage before the fulfill is committed:
	// wait for the commitment dance to finish.
	tn.waitFor("bob's balance", func() bool { return b.channel(t, id).Local == 50_000_000 })

	// Keysend with a custom record.
	ks, err := a.SendKeysend(tn.ctx, KeysendRequest{Destination: b.NodeID(), Amount: 7_000_000,
		CustomRecords: []wire.TLVRecord{{Type: 65537, Value: []byte("hello bob")}}})
	if err != nil {
		t.Fatalf("keysend: %v", err)
	}
	if ks.Status != PaymentStatusSucceeded {
		t.Fatalf("keysend %+v", ks)
	}
	var got *PaymentReceived
	tn.waitFor("bob's keysend event", func() bool {
		for {
			select {
			case e := <-b.events:
				if pr, ok := e.(*PaymentReceived); ok && pr.Keysend {
					got = pr
					return true
				}
			default:
				return false
			}
		}
	})
	if string(got.CustomRecords[65537]) != "hello bob" || got.Amount != 7_000_000 {
		t.Fatalf("received %+v", got)
	}

	// Cooperative close.
	// Cooperative close, started by bob (the non-opener).
	txid, err := b.CloseChannel(tn.ctx, id, false)
	if err != nil {
		t.Fatalf("close: %v", err)
	}
	tn.waitFor("closing transaction in the mempool", func() bool { return tn.chain.Confirmations(txid) == 0 })
	tn.mine(1)
	if tn.chain.Confirmations(txid) != 1 {
		t.Fatal("closing transaction not mined")
	}
	tn.waitFor("both see the channel closed", func() bool {
		return a.channel(t, id).Status == "closed" && b.channel(t, id).Status == "closed"
	})
}

// TestNodeForwardMultiHop pays across alice -> bob -> carol, where carol's
// channel is private and her invoice carries a route hint; bob charges
// his advertised fee exactly.
func TestNodeForwardMultiHop(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 5_000_000)
	c := tn.addNode("carol", 0)
	tn.connect(a, b)
	tn.connect(b, c)
	ab := tn.openChannel(a, b, 1_000_000, 0)
	bc := tn.openChannel(b, c, 1_000_000, 0)

	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 100_000_000, Description: "via bob", PrivateRouteHints: true})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	wantFee := feeFor(DefaultFeeBase, DefaultFeePPM, 100_000_000)
	if pay.Fee != wantFee || len(pay.Route) != 1 || len(pay.Route[0]) != 2 {
		t.Fatalf("fee %v (want %v), route %+v", pay.Fee, wantFee, pay.Route)
	}
	tn.waitFor("balances settle", func() bool {
		return c.channel(t, bc).Local == 100_000_000 &&
			b.channel(t, ab).Local == 100_000_000+wantFee &&
			b.channel(t, bc).Local == 1_000_000_000-100_000_000
	})
	var fwd *HTLCForwarded
	tn.waitFor("bob's forward event", func() bool {
		for {
			select {
			case e := <-b.events:
				if f, ok := e.(*HTLCForwarded); ok {
					fwd = f
					return true
				}
			default:
				return false
			}
		}
	})
	if fwd.AmountIn-fwd.AmountOut != wantFee || fwd.InChannel != ab || fwd.OutChannel != bc {
		t.Fatalf("forward %+v", fwd)
	}
}

// restart stops a node and starts it again from its store.
func (tn *testNet) restart(tnode *testNode) {
	tn.t.Helper()
	old := tnode.Node
	tnode.Node = nil
	if err := old.Stop(); err != nil {
		tn.t.Fatal(err)
	}
	tn.start(tnode)
}

// TestNodeRestartMidPayment stops the payer, then the payee, while a
// payment is in flight; each restart resumes from the store and the
// payment completes exactly once.
func TestNodeRestartMidPayment(t *testing.T) {
	for _, who := range []string{"payer", "payee"} {
		t.Run(who, func(t *testing.T) {
			tn := newTestNet(t)
			a := tn.addNode("alice", 5_000_000)
			b := tn.addNode("bob", 0)
			tn.connect(a, b)
			id := tn.openChannel(a, b, 1_000_000, 0)
			inv, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 30_000_000, Description: "restart"})
			if err != nil {
				t.Fatal(err)
			}
			pid := PaymentID{1, 2, 3}
			payer := a.Node
			go payer.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11, ID: &pid})
			tn.waitFor("payment started", func() bool {
				ps, _ := payer.ListPayments(tn.ctx)
				return len(ps) == 1
			})
			victim := a
			if who == "payee" {
				victim = b
			}
			tn.restart(victim)
			if who == "payee" {
				// Bob listens again (on a new port); alice reconnects
				// once she has seen the old connection close.
				tn.waitFor("alice sees bob gone", func() bool {
					ps, _ := a.ListPeers(tn.ctx)
					return len(ps) == 0
				})
				tn.connect(a, b)
			}
			tn.waitFor("payment succeeded", func() bool {
				ps, _ := a.ListPayments(tn.ctx)
				return len(ps) == 1 && ps[0].Status == PaymentStatusSucceeded
			})
			// Paying again with the same id returns the same payment.
			again, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11, ID: &pid})
			if err != nil || again.Status != PaymentStatusSucceeded {
				t.Fatalf("idempotent pay: %+v, %v", again, err)
			}
			tn.waitFor("bob paid once", func() bool { return b.channel(t, id).Local == 30_000_000 })
			ps, _ := a.ListPayments(tn.ctx)
			if len(ps) != 1 {
				t.Fatalf("%d payments", len(ps))
			}
		})
	}
}

// TestNodeMPP pays an invoice, then a keysend, larger than either of two
// channels, in parts over both.
func TestNodeMPP(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	c1 := tn.openChannel(a, b, 1_000_000, 0)
	c2 := tn.openChannel(a, b, 1_000_000, 0)

	inv, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 1_500_000_000, Description: "big"})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if len(pay.Route) < 2 {
		t.Fatalf("paid in %d part(s)", len(pay.Route))
	}
	tn.waitFor("bob received all parts", func() bool {
		return b.channel(t, c1).Local+b.channel(t, c2).Local == 1_500_000_000
	})

	// Keysend with MPP: bob pays back 1.2M sat over both channels.
	ks, err := b.SendKeysend(tn.ctx, KeysendRequest{Destination: a.NodeID(), Amount: 1_200_000_000})
	if err != nil {
		t.Fatalf("keysend: %v", err)
	}
	if len(ks.Route) < 2 {
		t.Fatalf("keysend in %d part(s)", len(ks.Route))
	}
	tn.waitFor("alice got the keysend", func() bool {
		return b.channel(t, c1).Local+b.channel(t, c2).Local == 300_000_000
	})
}

// TestNodeBackupRestore loses alice's whole store; from her backup and
// seed a new node makes bob force-close and sweeps her balance from bob's
// commitment.
func TestNodeBackupRestore(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id := tn.openChannel(a, b, 1_000_000, 0)
	inv, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 200_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11}); err != nil {
		t.Fatal(err)
	}
	tn.waitFor("bob paid", func() bool { return b.channel(t, id).Local == 200_000_000 })
	blob, err := a.ExportBackup(tn.ctx)
	if err != nil {
		t.Fatal(err)
	}
	walletBefore := a.wallet.Balance()

	// Alice loses everything but her seed and her wallet.
	old := a.Node
	a.Node = nil
	old.Stop()
	a.dir = t.TempDir()
	tn.start(a)
	if chs, _ := a.ListChannels(tn.ctx); len(chs) != 0 {
		t.Fatalf("the new store has %d channels", len(chs))
	}
	if err := a.RestoreBackup(tn.ctx, blob); err != nil {
		t.Fatal(err)
	}
	tn.waitFor("bob force-closes", func() bool { return len(tn.chain.Mempool()) > 0 })
	// Mine until alice's sweep confirms (anchors: to_remote is spendable
	// once the commitment has one confirmation).
	for i := 0; i < 6 && a.wallet.Balance() == walletBefore; i++ {
		tn.mine(1)
		time.Sleep(50 * time.Millisecond)
	}
	got := a.wallet.Balance() - walletBefore
	// Alice owned 800,000 sat less the commitment fee and anchors she
	// paid as opener, and pays the sweep's fee.
	if got < 790_000 || got > 800_000 {
		t.Fatalf("alice recovered %v", got)
	}
}

// TestNodeForceClose force-closes a channel: the monitors sweep bob's
// balance one block after the commitment confirms, and alice's after her
// to_self_delay, to their wallets.
func TestNodeForceClose(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id := tn.openChannel(a, b, 1_000_000, 0)
	inv, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 300_000_000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11}); err != nil {
		t.Fatal(err)
	}
	tn.waitFor("bob paid", func() bool { return b.channel(t, id).Local == 300_000_000 })
	aBefore, bBefore := a.wallet.Balance(), b.wallet.Balance()
	txid, err := a.CloseChannel(tn.ctx, id, true)
	if err != nil {
		t.Fatal(err)
	}
	tn.waitFor("commitment broadcast", func() bool { return tn.chain.Confirmations(txid) == 0 })
	mineUntil := func(what string, max int, cond func() bool) {
		for i := 0; i < max && !cond(); i++ {
			tn.mine(1)
			time.Sleep(20 * time.Millisecond)
		}
		if !cond() {
			t.Fatalf("%s: not after %d blocks", what, max)
		}
	}
	mineUntil("bob swept", 10, func() bool { return b.wallet.Balance() > bBefore })
	if got := b.wallet.Balance() - bBefore; got < 290_000 || got > 300_000 {
		t.Fatalf("bob swept %v", got)
	}
	mineUntil("alice swept", 200, func() bool { return a.wallet.Balance() > aBefore })
	if got := a.wallet.Balance() - aBefore; got < 680_000 || got > 700_000 {
		t.Fatalf("alice swept %v", got)
	}
}

// TestNodeGraphMultiHop announces two public channels (alice-bob,
// bob-carol) after six confirmations; the gossip reaches alice, who pays
// carol's invoice without route hints, and sends her a keysend, over the
// graph through bob.
func TestNodeGraphMultiHop(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 5_000_000)
	c := tn.addNode("carol", 0)
	tn.connect(a, b)
	tn.connect(b, c)
	tn.openChannel(a, b, 1_000_000, 0)
	bc := tn.openChannel(b, c, 1_000_000, 0)
	tn.mine(6)
	tn.waitFor("both channels in alice's graph", func() bool {
		var ok bool
		a.do(tn.ctx, func() error { ok = a.graph.NumChannels() >= 2; return nil })
		return ok
	})
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 20_000_000, Description: "over the graph"})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil {
		t.Fatalf("pay over the graph: %v", err)
	}
	if len(pay.Route[0]) != 2 || pay.Fee != feeFor(DefaultFeeBase, DefaultFeePPM, 20_000_000) {
		t.Fatalf("route %+v fee %v", pay.Route, pay.Fee)
	}
	ks, err := a.SendKeysend(tn.ctx, KeysendRequest{Destination: c.NodeID(), Amount: 3_000_000})
	if err != nil || ks.Status != PaymentStatusSucceeded {
		t.Fatalf("keysend over the graph: %+v %v", ks, err)
	}
	tn.waitFor("carol's balance", func() bool { return c.channel(t, bc).Local == 23_000_000 })
}

// TestNodeReceiveRefusals: payments with a wrong payment secret, less
// than the invoice asks, or an unknown payment hash fail at the payee
// with incorrect_or_unknown_payment_details, and the invoice stays open.
func TestNodeReceiveRefusals(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	tn.openChannel(a, b, 1_000_000, 0)
	inv, err := b.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 10_000_000})
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := invoice.Decode(inv.Bolt11)
	if err != nil {
		t.Fatal(err)
	}
	pay := func(mut func(p *payment)) *Payment {
		p := &payment{total: 10_000_000, secret: decoded.PaymentSecret, finalCLTV: uint16(decoded.MinFinalCLTVExpiryDelta())}
		p.PaymentHash = decoded.PaymentHash
		copy(p.Destination[:], b.NodeID().SerializeCompressed())
		p.Amount = 10_000_000
		mut(p)
		got, err := a.startPayment(tn.ctx, p, nil, 0)
		if err == nil {
			t.Fatal("payment succeeded")
		}
		return got
	}
	for name, mut := range map[string]func(p *payment){
		"wrong payment secret": func(p *payment) { p.secret[0] ^= 1 },
		"amount too small":     func(p *payment) { p.total, p.Amount = 9_999_000, 9_999_000 },
		"unknown hash":         func(p *payment) { p.PaymentHash[0] ^= 1 },
	} {
		got := pay(mut)
		if got.Failure != "incorrect_or_unknown_payment_details" {
			t.Errorf("%s: failure %q", name, got.Failure)
		}
	}
	invs, _ := b.ListInvoices(tn.ctx)
	if invs[0].State != InvoiceOpen {
		t.Fatalf("invoice %v", invs[0].State)
	}
	// And the right payment still goes through.
	if _, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11}); err != nil {
		t.Fatal(err)
	}
}

// TestNodeBackupPeerStorageRecover: alice loses her store and has no
// backup file either; bob kept her backup (peer_storage) and returns it
// when she reconnects, and she recovers her balance from it.
func TestNodeBackupPeerStorageRecover(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	tn.openChannel(a, b, 1_000_000, 0)
	walletBefore := a.wallet.Balance()
	old := a.Node
	a.Node = nil
	old.Stop()
	a.dir = t.TempDir()
	tn.start(a)
	tn.waitFor("bob sees alice gone", func() bool {
		ps, _ := b.ListPeers(tn.ctx)
		return len(ps) == 0
	})
	tn.connect(a, b)
	tn.waitFor("bob force-closes", func() bool { return len(tn.chain.Mempool()) > 0 })
	for i := 0; i < 6 && a.wallet.Balance() == walletBefore; i++ {
		tn.mine(1)
		time.Sleep(50 * time.Millisecond)
	}
	if got := a.wallet.Balance() - walletBefore; got < 980_000 || got > 1_000_000 {
		t.Fatalf("alice recovered %v", got)
	}
}

// TestNodeChannelEvents: both sides report ChannelReady once, whichever
// channel_ready arrives last, and ChannelClosed when the close confirms.
func TestNodeChannelEvents(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	id := tn.openChannel(a, b, 1_000_000, 0)
	count := func(n *testNode, match func(Event) bool) int {
		c := 0
		for {
			select {
			case e := <-n.events:
				if match(e) {
					c++
				}
			default:
				return c
			}
		}
	}
	isReady := func(e Event) bool { r, ok := e.(*ChannelReady); return ok && r.ChannelID == id }
	isClosed := func(e Event) bool { r, ok := e.(*ChannelClosed); return ok && r.ChannelID == id }
	if ra, rb := count(a, isReady), count(b, isReady); ra != 1 || rb != 1 {
		t.Fatalf("ChannelReady: alice %d, bob %d", ra, rb)
	}
	txid, err := a.CloseChannel(tn.ctx, id, false)
	if err != nil {
		t.Fatal(err)
	}
	tn.waitFor("close broadcast", func() bool { return tn.chain.Confirmations(txid) == 0 })
	tn.mine(1)
	var ca, cb int
	tn.waitFor("ChannelClosed on both", func() bool {
		ca += count(a, isClosed)
		cb += count(b, isClosed)
		return ca == 1 && cb == 1
	})
}

// TestNodeForwardTimeoutOnChainDownstream holds an HTLC at a payee that
// goes silent. The forwarding node must take its outgoing HTLC on chain
// at expiry, time it out there, and fail the incoming HTLC back off
// chain before the upstream deadline, so the upstream channel survives
// and the payer gets a failure, not a force close.
func TestNodeForwardTimeoutOnChainDownstream(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 5_000_000)
	c := tn.addNode("carol", 0)
	tn.connect(a, b)
	tn.connect(b, c)
	ab := tn.openChannel(a, b, 1_000_000, 0)
	bc := tn.openChannel(b, c, 1_000_000, 0)

	held := make(chan struct{}, 1)
	if err := c.do(tn.ctx, func() error {
		c.holdFinal = func(wire.PaymentHash) bool {
			select {
			case held <- struct{}{}:
			default:
			}
			return true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	aliceBefore := a.channel(t, ab).Local
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 50_000_000, Description: "silent payee", PrivateRouteHints: true})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		p   *Payment
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11})
		done <- result{p, err}
	}()
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		t.Fatal("the HTLC never reached carol")
	}
	tn.waitFor("HTLC in flight on both hops", func() bool {
		return a.channel(t, ab).InFlightOut == 50_000_000+feeFor(DefaultFeeBase, DefaultFeePPM, 50_000_000) &&
			b.channel(t, bc).InFlightOut == 50_000_000
	})

	var res result
	mined := 0
	for res.p == nil && res.err == nil {
		select {
		case res = <-done:
			continue
		default:
		}
		if mined > 400 {
			t.Fatalf("no outcome after %d blocks", mined)
		}
		tn.mine(1)
		mined++
		time.Sleep(15 * time.Millisecond)
	}
	if res.err == nil && res.p.Status == PaymentStatusSucceeded {
		t.Fatalf("payment to a silent payee succeeded: %+v", res.p)
	}
	t.Logf("outcome after %d blocks: payment %v, err %v", mined, res.p, res.err)

	// Bob went on chain with carol, and only with carol.
	if st := b.channel(t, bc).Status; st != "force-closed" && st != "closed" {
		t.Fatalf("bob-carol channel is %q, want it closed on chain", st)
	}
	for _, n := range []*testNode{a, b} {
		ch := n.channel(t, ab)
		if ch.Status != "open" || ch.InFlightOut != 0 || ch.InFlightIn != 0 {
			t.Fatalf("%s: alice-bob channel %+v, want open with nothing in flight", n.name, ch)
		}
	}
	if got := a.channel(t, ab).Local; got != aliceBefore {
		t.Fatalf("alice's balance %v, want %v back", got, aliceBefore)
	}
}
