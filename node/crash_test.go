package node

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// crashableStore gives a test node a store.File behind a FaultInjector and
// a way to "crash" it: the injector loses everything after the last
// durable batch, the node is stopped, and the File is closed and opened
// again from disk, so the node restarts from exactly what fdatasync made
// durable.
type crashableStore struct {
	t    testing.TB
	dir  string
	file *store.File
	fi   *store.FaultInjector
}

func newCrashableStore(t testing.TB, dir string) *crashableStore {
	cs := &crashableStore{t: t, dir: dir}
	cs.open()
	t.Cleanup(func() { cs.file.Close() })
	return cs
}

func (cs *crashableStore) open() {
	f, err := store.OpenFile(cs.dir)
	if err != nil {
		cs.t.Fatalf("reopen store: %v", err)
	}
	cs.file, cs.fi = f, store.NewFaultInjector(f)
}

// crashRestart stops a node whose store has crashed and starts it again
// on its store as found on disk.
func (tn *testNet) crashRestart(tnode *testNode, cs *crashableStore) {
	tn.t.Helper()
	old := tnode.Node
	tnode.Node = nil
	old.Stop()
	if err := cs.file.Close(); err != nil {
		tn.t.Fatal(err)
	}
	cs.open()
	tnode.store = cs.fi
	tn.start(tnode)
}

// TestNodeCrashEveryWrite crashes one node of alice -> bob -> carol at
// every write of a payment in turn, before the write is durable and after
// it, restarts it from its store on disk and reconnects it. After each
// crash the payment must complete exactly once: the payer pays the amount
// and bob's advertised fee, bob earns that fee, carol receives the amount
// and her invoice is paid once, no channel closes, and the next payment
// works. This is the node-level counterpart of channel's simulation: the
// crash points here include the payment records, the forwarding records,
// the invoice and the monitors, written together with the channels'.
//
// The keysend runs crash the payer and the payee, whose paths differ from
// an invoice's (the payer's preimage, the payee's onion record); the
// forwarder's is the same.
func TestNodeCrashEveryWrite(t *testing.T) {
	for _, kind := range []string{"invoice", "keysend"} {
		for _, victim := range []string{"alice", "bob", "carol"} {
			if kind == "keysend" && victim == "bob" {
				continue
			}
			for _, fault := range []store.Fault{store.FaultCrashBefore, store.FaultCrashAfter} {
				t.Run(kind+"/"+victim+"/"+fault.String(), func(t *testing.T) {
					testCrashEveryWrite(t, victim, fault, kind == "keysend")
				})
			}
		}
	}
}

func testCrashEveryWrite(t *testing.T, victimName string, fault store.Fault, keysend bool) {
	tn := newTestNet(t)
	// Every crash point of a payment, one payment each, on one network.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	tn.ctx = ctx

	var cs *crashableStore
	setup := func(name string) func(*testNode) {
		return func(tnode *testNode) {
			if name == victimName {
				cs = newCrashableStore(t, tnode.dir)
				tnode.store = cs.fi
			}
		}
	}
	a := tn.addNodeSetup("alice", 5_000_000, setup("alice"))
	b := tn.addNodeSetup("bob", 5_000_000, setup("bob"))
	c := tn.addNodeSetup("carol", 0, setup("carol"))
	victim := map[string]*testNode{"alice": a, "bob": b, "carol": c}[victimName]
	tn.connect(a, b)
	tn.connect(b, c)
	ab := tn.openChannel(a, b, 1_000_000, 0)
	bc := tn.openChannel(b, c, 1_000_000, 0)
	peersOf := map[*testNode][]*testNode{a: {b}, b: {a, c}, c: {b}}
	const amt = 1_000_000
	if keysend {
		// A keysend finds carol through the announced channels. The
		// graph is a cache written every few seconds, and lnkit's
		// peers do not serve gossip (see gossip_sync.go): wait until
		// alice's is on disk, or a crash could leave her without carol.
		tn.mine(6)
		tn.waitGraph(a, 2)
		tn.waitFor("alice's graph flushed", func() bool {
			pending := -1
			a.do(tn.ctx, func() error { pending = a.graph.Pending(); return nil })
			return pending == 0
		})
	}
	carol := c.NodeID() // c.Node changes when carol restarts
	pay := func(n *Node, inv *Invoice, pid PaymentID) error {
		var err error
		if keysend {
			_, err = n.SendKeysend(tn.ctx, KeysendRequest{Destination: carol, Amount: amt, ID: &pid})
		} else {
			_, err = n.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11, ID: &pid})
		}
		return err
	}

	fee := feeFor(DefaultFeeBase, DefaultFeePPM, amt)
	crashes, failures := 0, 0
	for k := 1; ; k++ {
		if k > 60 {
			t.Fatalf("a payment still crashed at its write %d", k)
		}
		inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: fmt.Sprintf("crash %d", k), PrivateRouteHints: true})
		if err != nil {
			t.Fatal(err)
		}
		aLocal, bIn, bOut, cLocal := a.channel(t, ab).Local, b.channel(t, ab).Local, b.channel(t, bc).Local, c.channel(t, bc).Local

		at := cs.fi.Writes() + k
		cs.fi.Inject(at, fault)
		pid := PaymentID{byte(k), 0xc7}
		payer := a.Node
		done := make(chan error, 1)
		go func() { done <- pay(payer, inv, pid) }()
		// Wait for the payment to end or the victim's store to crash.
		crashed := false
		var payErr error
		deadline := time.After(30 * time.Second)
	wait:
		for {
			select {
			case payErr = <-done:
				if cs.fi.Crashed() {
					crashed = true
				}
				break wait
			case <-deadline:
				t.Fatalf("write %d: neither payment end nor crash", k)
			case <-time.After(5 * time.Millisecond):
				if cs.fi.Crashed() {
					crashed = true
					break wait
				}
			}
		}
		if !crashed {
			// The payment made fewer than k writes on the victim (some
			// may land later, while the channels settle: those are
			// crash points of the settling, which is still checked).
			if payErr != nil {
				t.Fatalf("write %d: payment failed without a crash: %v", k, payErr)
			}
			tn.waitFor("balances settle", func() bool {
				if cs.fi.Crashed() {
					return true
				}
				// A node whose store crashed answers nothing: ask with a
				// deadline.
				qctx, cancel := context.WithTimeout(tn.ctx, 200*time.Millisecond)
				defer cancel()
				chs, err := c.ListChannels(qctx)
				for _, ch := range chs {
					if err == nil && ch.ChannelID == bc && ch.Local == cLocal+amt {
						return true
					}
				}
				return false
			})
			// Disarm, then look again: the fault may have fired
			// between the wait and here.
			cs.fi.Inject(at, store.FaultNone)
			crashed = cs.fi.Crashed()
		}
		if crashed {
			crashes++
			t.Logf("%s crashed at write %d of payment %d", victimName, k, k)
			tn.crashRestart(victim, cs)
			// The victim dials its peers again (it may have already:
			// Connect is then a no-op); a peer that still holds the old
			// connection replaces it.
			for _, p := range peersOf[victim] {
				if err := victim.Connect(tn.ctx, p.NodeID(), p.addr); err != nil {
					t.Fatalf("reconnect %s to %s: %v", victimName, p.name, err)
				}
			}
		}

		if crashed && victim == a {
			// A host that lost its call asks again with the same id: the
			// payment goes on if it was durable and starts if not.
			payer := a.Node
			go pay(payer, inv, pid)
		}
		var final Payment
		tn.waitFor(fmt.Sprintf("payment %d ended", k), func() bool {
			ps, err := a.ListPayments(tn.ctx)
			if err != nil {
				return false
			}
			n := 0
			for _, p := range ps {
				if p.ID == pid {
					final = p
					n++
				}
			}
			if n > 1 {
				t.Fatalf("write %d: %d payments with one id", k, n)
			}
			return n == 1 && (final.Status == PaymentStatusSucceeded || final.Status == PaymentStatusFailed)
		})
		// A payment may fail when bob forwards while his channel to
		// carol is down (bob or carol restarting): bob answers
		// temporary_channel_failure and alice has no other route. Then
		// nothing moved. A restart of alice must not fail it. Either
		// way the channels settle exactly, with nothing in flight.
		paid, paidFee := wire.MilliSatoshi(amt), fee
		if final.Status == PaymentStatusFailed {
			if !crashed || victim == a {
				t.Fatalf("write %d: payment failed: %s", k, final.Failure)
			}
			paid, paidFee = 0, 0
			failures++
		}
		tn.waitFor(fmt.Sprintf("payment %d settled", k), func() bool {
			ca, cb1, cb2, cc := a.channel(t, ab), b.channel(t, ab), b.channel(t, bc), c.channel(t, bc)
			return ca.Local == aLocal-paid-paidFee && cb1.Local == bIn+paid+paidFee &&
				cb2.Local == bOut-paid && cc.Local == cLocal+paid &&
				ca.InFlightOut == 0 && cb1.InFlightIn == 0 && cb2.InFlightOut == 0 && cc.InFlightIn == 0
		})
		invs, err := c.ListInvoices(tn.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range invs {
			if in.Bolt11 != inv.Bolt11 || keysend {
				continue
			}
			if paid > 0 && (in.State != InvoiceSettled || in.Received != amt) || paid == 0 && in.State != InvoiceOpen {
				t.Fatalf("write %d: payment %v, invoice %+v", k, final.Status, in)
			}
		}
		for _, n := range []*testNode{a, b, c} {
			for _, ch := range []wire.ChannelID{ab, bc} {
				if n == a && ch == bc || n == c && ch == ab {
					continue
				}
				if info := n.channel(t, ch); !info.Ready || info.Status != "open" {
					t.Fatalf("write %d: %s's channel %v is %q", k, n.name, ch, info.Status)
				}
			}
		}
		if !crashed {
			break
		}
	}
	if crashes < 3 {
		t.Fatalf("only %d crash points in a forwarded payment", crashes)
	}
	if failures > crashes/2 {
		t.Fatalf("%d of %d payments failed", failures, crashes)
	}
	t.Logf("%s, keysend %v: %d crash points (%v); %d payments completed once, %d failed with nothing moved", victimName, keysend, crashes, fault, crashes-failures, failures)
}

// TestNodeCallHonoursContextWhileStoreFails: a call whose turn wrote to a
// store that keeps failing returns when its context ends (its changes are
// not known to be durable), and so does a later call; before, the wait for
// the batch to become durable ignored the context and hung (found by
// TestNodeCrashEveryWrite under -race).
func TestNodeCallHonoursContextWhileStoreFails(t *testing.T) {
	tn := newTestNet(t)
	var cs *crashableStore
	a := tn.addNodeSetup("alice", 0, func(tnode *testNode) {
		cs = newCrashableStore(t, tnode.dir)
		tnode.store = cs.fi
	})
	cs.fi.Inject(cs.fi.Writes()+1, store.FaultCrashBefore)
	for i, call := range []func(context.Context) error{
		func(ctx context.Context) error {
			return a.do(ctx, func() error { a.batch.Put("test/x", []byte{1}); return nil })
		},
		func(ctx context.Context) error { _, err := a.ListChannels(ctx); return err },
	} {
		ctx, cancel := context.WithTimeout(tn.ctx, 300*time.Millisecond)
		start := time.Now()
		err := call(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("call %d: %v after %v", i, err, time.Since(start))
		}
	}
	if !cs.fi.Crashed() {
		t.Fatal("the store did not crash")
	}
}
