package mobile_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/lnkit/lnkit/mobile"
)

// received is one OnPaymentReceived call.
type received struct {
	hash    string
	amount  int64
	keysend bool
	records []mobile.CustomRecord
}

// recorder is an EventListener that keeps every event.
type recorder struct {
	mu        sync.Mutex
	ready     []string // channel ids
	closed    []string
	succeeded []*mobile.Payment
	failed    []*mobile.Payment
	received  []received
	// node, when set, is called from inside a callback to check that a
	// listener may call the Node.
	node    *mobile.Node
	calls   int
	callErr error
}

func (r *recorder) OnChannelReady(channelID, peerID string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ready = append(r.ready, channelID)
}

func (r *recorder) OnChannelClosed(channelID, peerID, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = append(r.closed, channelID)
}

func (r *recorder) OnPaymentSucceeded(p *mobile.Payment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.succeeded = append(r.succeeded, p)
}

func (r *recorder) OnPaymentFailed(p *mobile.Payment) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = append(r.failed, p)
}

func (r *recorder) OnPaymentReceived(hash string, amountMsat int64, keysend bool, recs *mobile.CustomRecords) {
	rec := received{hash: hash, amount: amountMsat, keysend: keysend}
	for i := 0; i < recs.Len(); i++ {
		rec.records = append(rec.records, *recs.Get(i))
	}
	r.mu.Lock()
	n := r.node
	r.mu.Unlock()
	var err error
	if n != nil {
		// A listener may call the node (here: look the payment up).
		_, err = n.ListInvoices(5000)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.received = append(r.received, rec)
	if n != nil {
		r.calls++
		if err != nil {
			r.callErr = err
		}
	}
}

func (r *recorder) snapshot(f func(r *recorder) bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return f(r)
}

// simNode is a started node on a SimulatedChain.
type simNode struct {
	*mobile.Node
	name   string
	wallet *mobile.SimulatedWallet
	events *recorder
	dir    string
	seed   []byte
}

// newSimNode starts a node with a wallet holding funds (0 for none),
// listening on loopback, attached to sim.
func newSimNode(t *testing.T, sim *mobile.SimulatedChain, name string, funds int64) *simNode {
	t.Helper()
	seed := sha256.Sum256([]byte("mobile test " + name))
	sn := &simNode{name: name, wallet: sim.NewWallet(), events: &recorder{}, dir: t.TempDir(), seed: seed[:]}
	if funds > 0 {
		if err := sn.wallet.Fund(funds); err != nil {
			t.Fatal(err)
		}
	}
	sn.start(t, sim)
	return sn
}

func (sn *simNode) start(t *testing.T, sim *mobile.SimulatedChain) {
	t.Helper()
	cfg := mobile.NewConfig("regtest", sn.dir)
	cfg.SeedHex = hex.EncodeToString(sn.seed)
	cfg.Alias = sn.name
	cfg.ListenAddress = "127.0.0.1:0"
	cfg.PaymentTimeoutSeconds = 20
	cfg.Logger = testLogger{t, sn.name}
	n, err := mobile.NewNode(cfg, sim, sn.wallet, sn.events)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(30_000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	if err := sim.Attach(n); err != nil {
		t.Fatal(err)
	}
	sn.Node = n
}

// testLogger is a mobile.Logger that logs through t, warnings and up.
type testLogger struct {
	t    *testing.T
	name string
}

func (l testLogger) Log(level int32, line string) {
	if level >= 4 || os.Getenv("MOBILE_TEST_LOG") != "" {
		l.t.Log(l.name + ": " + line)
	}
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// channel returns the node's channel with id.
func channel(t *testing.T, n *mobile.Node, id string) *mobile.ChannelInfo {
	t.Helper()
	l, err := n.ListChannels(5000)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < l.Len(); i++ {
		if c := l.Get(i); c.ChannelID == id {
			return c
		}
	}
	t.Fatalf("no channel %s", id)
	return nil
}

// openChannel connects a to b, opens a channel of amountSat and mines it
// until both see it ready.
func openChannel(t *testing.T, sim *mobile.SimulatedChain, a, b *simNode, amountSat int64) string {
	t.Helper()
	if err := a.Connect(b.NodeID(), b.ListenAddress(), 10_000); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b.name+" sees "+a.name, func() bool {
		l, err := b.ListPeers(5000)
		return err == nil && l.Len() == 1
	})
	id, err := a.OpenChannel(mobile.NewOpenChannelRequest(b.NodeID(), amountSat), 30_000)
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.Mine(3); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*simNode{a, b} {
		waitFor(t, fmt.Sprintf("%s: channel ready", n.name), func() bool {
			return n.events.snapshot(func(r *recorder) bool {
				for _, c := range r.ready {
					if c == id {
						return true
					}
				}
				return false
			})
		})
	}
	return id
}
