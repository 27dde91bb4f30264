package mobile_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/lnkit/lnkit/mobile"
)

func code(err error) string {
	if err == nil {
		return ""
	}
	return mobile.ErrorCode(err.Error())
}

// A node stopped and built again on its data directory has its channel,
// reconnects to its peer, does not report the old channel as newly
// ready, and pays.
func TestRestart(t *testing.T) {
	sim := mobile.NewSimulatedChain()
	alice := newSimNode(t, sim, "alice", 3_000_000)
	bob := newSimNode(t, sim, "bob", 0)
	id := openChannel(t, sim, alice, bob, 1_000_000)

	if err := alice.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := sim.Mine(1); err != nil { // a stopped node misses blocks without failing the chain
		t.Fatal(err)
	}
	alice.events = &recorder{}
	alice.start(t, sim)
	if c := channel(t, alice.Node, id); c.Status != "open" || c.LocalMsat != 1_000_000_000 {
		t.Fatalf("after restart: %+v", c)
	}
	waitFor(t, "alice reconnects to bob", func() bool {
		l, err := alice.ListPeers(1000)
		return err == nil && l.Len() == 1 && channel(t, alice.Node, id).Ready
	})
	inv, err := bob.CreateInvoice(mobile.NewInvoiceRequest(1_000_000, "after restart"), 5000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.PayInvoice(mobile.NewPayInvoiceRequest(inv.Bolt11), 30_000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice hears the payment", func() bool {
		return alice.events.snapshot(func(r *recorder) bool { return len(r.succeeded) == 1 })
	})
	if alice.events.snapshot(func(r *recorder) bool { return len(r.ready) != 0 }) {
		t.Fatalf("the old channel was reported ready again: %v", alice.events.ready)
	}
	info, err := alice.Info(1000)
	if err != nil || info.Height != sim.Height() {
		t.Fatalf("height %v after restart, chain at %d: %v", info, sim.Height(), err)
	}
}

// A force close broadcasts the latest commitment, which confirms; the
// channel's balance is then counted as closing.
func TestForceClose(t *testing.T) {
	sim := mobile.NewSimulatedChain()
	alice := newSimNode(t, sim, "alice", 3_000_000)
	bob := newSimNode(t, sim, "bob", 0)
	id := openChannel(t, sim, alice, bob, 1_000_000)
	txid, err := alice.CloseChannel(id, true, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the commitment in the mempool", func() bool { return sim.MempoolSize() > 0 })
	b, err := alice.Balances(5000)
	if err != nil {
		t.Fatal(err)
	}
	if b.ClosingMsat != 1_000_000_000 || b.LightningMsat != 0 || b.SendableMsat != 0 {
		t.Fatalf("balances during the force close: %+v", b)
	}
	if err := sim.Mine(1); err != nil {
		t.Fatal(err)
	}
	if n := sim.Confirmations(txid); n != 1 {
		t.Fatalf("commitment %s: %d confirmations", txid, n)
	}
	waitFor(t, "the channel closed on chain", func() bool { return channel(t, alice.Node, id).Status == "closed" })
	if _, err := alice.CloseChannel(strings.Repeat("00", 32), false, 5000); code(err) != mobile.CodeUnknownChannel {
		t.Fatalf("closing an unknown channel: %v", err)
	}
}

// After losing its data, a node with the same seed and its backup gets
// its balance back on chain: the peer force-closes and the node sweeps
// its output to the wallet.
func TestBackupRestore(t *testing.T) {
	sim := mobile.NewSimulatedChain()
	alice := newSimNode(t, sim, "alice", 3_000_000)
	bob := newSimNode(t, sim, "bob", 0)
	id := openChannel(t, sim, alice, bob, 1_000_000)
	blob, err := alice.ExportBackup(5000)
	if err != nil || len(blob) == 0 {
		t.Fatalf("backup: %d bytes, %v", len(blob), err)
	}
	before := alice.wallet.BalanceSat()

	// Alice loses her data directory; her seed and wallet remain.
	if err := alice.Stop(); err != nil {
		t.Fatal(err)
	}
	alice.dir = t.TempDir()
	alice.start(t, sim)
	if l, _ := alice.ListChannels(1000); l.Len() != 0 {
		t.Fatalf("a new store with %d channels", l.Len())
	}
	if err := alice.RestoreBackup(blob, 10_000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "bob force-closes", func() bool { return sim.MempoolSize() > 0 })
	// The sweep (to_remote waits one block under anchors) goes out after
	// some block from here on; mine until it confirms.
	waitFor(t, "alice's sweep confirms", func() bool {
		if err := sim.Mine(1); err != nil {
			t.Fatal(err)
		}
		return alice.wallet.BalanceSat() > before
	})
	got := alice.wallet.BalanceSat() - before
	if got < 990_000 || got > 1_000_000 {
		t.Fatalf("alice recovered %d sat of her 1,000,000", got)
	}
	waitFor(t, "alice hears the channel closed", func() bool {
		return alice.events.snapshot(func(r *recorder) bool { return len(r.closed) == 1 && r.closed[0] == id })
	})

	// Another seed's backup is refused.
	carol := newSimNode(t, sim, "carol", 0)
	if err := carol.RestoreBackup(blob, 5000); code(err) != mobile.CodeBackup {
		t.Fatalf("restoring another seed's backup: %v", err)
	}
}

// Bad arguments are INVALID_ARGUMENT before anything happens; calls
// before Start are NOT_RUNNING.
func TestArguments(t *testing.T) {
	sim := mobile.NewSimulatedChain()
	cfg := mobile.NewConfig("regtest", t.TempDir())
	if _, err := mobile.NewNode(cfg, sim, sim.NewWallet(), nil); code(err) != mobile.CodeInvalidArgument {
		t.Fatalf("no seed: %v", err)
	}
	cfg.SeedHex = "zz"
	if _, err := mobile.NewNode(cfg, sim, sim.NewWallet(), nil); code(err) != mobile.CodeInvalidArgument {
		t.Fatalf("bad seed hex: %v", err)
	}
	cfg.SeedHex, cfg.Seed = "", make([]byte, 8)
	if _, err := mobile.NewNode(cfg, sim, sim.NewWallet(), nil); code(err) != mobile.CodeInvalidArgument {
		t.Fatalf("short seed: %v", err)
	}
	cfg.Seed = make([]byte, 32)
	cfg.Network = "dogecoin"
	if _, err := mobile.NewNode(cfg, sim, sim.NewWallet(), nil); code(err) != mobile.CodeInvalidArgument {
		t.Fatalf("unknown network: %v", err)
	}
	cfg.Network = "regtest"
	if _, err := mobile.NewNode(cfg, nil, sim.NewWallet(), nil); code(err) != mobile.CodeInvalidArgument {
		t.Fatalf("no backend: %v", err)
	}
	n, err := mobile.NewNode(cfg, sim, sim.NewWallet(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n.NodeID() == "" || len(n.NodeID()) != 66 {
		t.Fatalf("node id %q", n.NodeID())
	}
	if _, err := n.ListChannels(1000); code(err) != mobile.CodeNotRunning {
		t.Fatalf("before start: %v", err)
	}
	if err := n.Start(10_000); err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	peer := "02" + strings.Repeat("ff", 32) // x beyond the field: not a point
	calls := map[string]func() error{
		"connect bad key":     func() error { return n.Connect("02abcd", "127.0.0.1:9735", 1000) },
		"connect not a point": func() error { return n.Connect(peer, "127.0.0.1:9735", 1000) },
		"connect bad address": func() error { return n.Connect(n.NodeID(), "nowhere", 1000) },
		"open no amount": func() error {
			_, err := n.OpenChannel(mobile.NewOpenChannelRequest(n.NodeID(), 0), 1000)
			return err
		},
		"keysend no amount": func() error {
			_, err := n.SendKeysend(mobile.NewKeysendRequest(n.NodeID(), 0), 1000)
			return err
		},
		"keysend bad id": func() error {
			r := mobile.NewKeysendRequest(n.NodeID(), 1000)
			r.PaymentID = "12"
			_, err := n.SendKeysend(r, 1000)
			return err
		},
		"invoice negative": func() error {
			_, err := n.CreateInvoice(mobile.NewInvoiceRequest(-1, "x"), 1000)
			return err
		},
		"invoice bad hash": func() error {
			r := mobile.NewInvoiceRequest(1, "")
			r.DescriptionHash = "00"
			_, err := n.CreateInvoice(r, 1000)
			return err
		},
		"close bad id":  func() error { _, err := n.CloseChannel("00", false, 1000); return err },
		"cancel bad":    func() error { return n.CancelInvoice("nothex", 1000) },
		"restore empty": func() error { return n.RestoreBackup(nil, 1000) },
		"header":        func() error { return n.BlockConnected("00", 1, nil, 1000) },
		"raw block":     func() error { return n.BlockConnectedRaw("0000", 1, 1000) },
	}
	for name, call := range calls {
		if err := call(); code(err) != mobile.CodeInvalidArgument {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := n.PayInvoice(mobile.NewPayInvoiceRequest("lnbc1nope"), 1000); code(err) != mobile.CodeInvalidInvoice {
		t.Errorf("pay a bad invoice: %v", err)
	}
	if err := n.Disconnect("02", 1000); code(err) != mobile.CodeInvalidArgument {
		t.Errorf("disconnect: %v", err)
	}
	recs := mobile.NewCustomRecords()
	for _, typ := range []int64{1, 65535, 5482373484} {
		if err := recs.Add(typ, nil); code(err) != mobile.CodeInvalidArgument {
			t.Errorf("custom record type %d accepted: %v", typ, err)
		}
	}
	if err := recs.AddHex(70000, "zz"); err == nil {
		t.Error("bad hex accepted")
	}
	recs.Add(70001, []byte{1})
	recs.Add(70000, []byte{2})
	if err := recs.Add(70000, nil); err == nil || recs.Len() != 2 || recs.Get(0).Type != 70000 || recs.Get(1).ValueHex() != "01" {
		t.Errorf("records: %d, %v", recs.Len(), err)
	}
	var zero mobile.SimulatedWallet
	if _, err := zero.NewScript(); code(err) != mobile.CodeInvalidArgument {
		t.Errorf("zero wallet: %v", err)
	}
	var zeroNode mobile.Node
	if err := zeroNode.Start(1000); code(err) != mobile.CodeInvalidArgument || zeroNode.Stop() != nil {
		t.Errorf("zero node: %v", err)
	}
}

// lineLogger collects log lines.
type lineLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *lineLogger) Log(level int32, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
}

// The host's Logger gets the node's lines with their attributes.
func TestLogger(t *testing.T) {
	sim := mobile.NewSimulatedChain()
	logs := &lineLogger{}
	cfg := mobile.NewConfig("regtest", t.TempDir())
	cfg.Seed = make([]byte, 32)
	cfg.Logger = logs
	cfg.ListenAddress = "127.0.0.1:0"
	a, err := mobile.NewNode(cfg, sim, sim.NewWallet(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(10_000); err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	b := newSimNode(t, sim, "bob", 0)
	if err := b.Connect(a.NodeID(), a.ListenAddress(), 10_000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a peer-connected line", func() bool {
		logs.mu.Lock()
		defer logs.mu.Unlock()
		for _, l := range logs.lines {
			if strings.HasPrefix(l, "peer connected") && strings.Contains(l, "peer="+b.NodeID()) {
				return true
			}
		}
		return false
	})
	var ce *mobile.CodedError
	if err := a.Connect("zz", "x:1", 1); !errors.As(err, &ce) {
		t.Fatalf("%v", err)
	}
}
