package node

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

var (
	nodeSimSteps = flag.Int("nodesimsteps", 0, "steps of TestNodeSimRandom (default 40, or LNKIT_NODESIM_STEPS)")
	nodeSimSeed  = flag.Int64("nodesimseed", 0, "seed of TestNodeSimRandom (default: a fixed list, or LNKIT_NODESIM_SEED)")
)

// simPayment is one payment the simulation's host asked for.
type simPayment struct {
	id      PaymentID
	payer   *testNode
	payee   *testNode
	amount  wire.MilliSatoshi
	keysend bool
	inv     *Invoice
	// paths, when set, are the payee's blinded paths for inv: the payer
	// pays over them (PayBlinded) instead of the invoice.
	paths []BlindedPaymentPath
	// hash is the payment hash (the invoice's, or the keysend's once the
	// payer has the record).
	hash htlc.PaymentHash
	// done is closed when the host's call returned; err is its error.
	done chan struct{}
	err  error
}

// TestNodeSimRandom is the node-level random simulation: four nodes in a
// ring with a chord (alice-bob-carol-dave-alice, alice-carol), all
// channels public and funded on both sides, run a seeded random mix of
// invoice and keysend payments between any two nodes (several at once,
// some large enough to need several parts or routes), clean restarts of
// any node, and crashes of any node's store at a random coming write
// (before or after it is durable), after which the node restarts from
// what is on disk. The host asks again with the same payment id whenever
// its call did not return an outcome, as a payout service would.
//
// When the network is quiet, the invariants are checked exactly:
//   - every payment has one record at its payer, succeeded or failed;
//   - a succeeded payment's invoice (or keysend record) is settled at its
//     payee for exactly the amount, once; a failed one's is not;
//   - no HTLC is left in flight and no channel closed;
//   - the sum of all balances is what it was (fees only move between
//     nodes), and no node's balance moved by more than its payments and
//     receipts explain except by forwarding fees it earned (never a
//     loss).
func TestNodeSimRandom(t *testing.T) {
	steps := 40
	if *nodeSimSteps > 0 {
		steps = *nodeSimSteps
	} else if s, err := strconv.Atoi(os.Getenv("LNKIT_NODESIM_STEPS")); err == nil && s > 0 {
		steps = s
	}
	seeds := []int64{1, 2}
	if *nodeSimSeed != 0 {
		seeds = []int64{*nodeSimSeed}
	} else if s, err := strconv.ParseInt(os.Getenv("LNKIT_NODESIM_SEED"), 10, 64); err == nil {
		seeds = []int64{s}
	}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) { runNodeSim(t, seed, steps) })
	}
}

// askWait bounds a simulation's call to a node that may have crashed.
const askWait = 10 * time.Second

func runNodeSim(t *testing.T, seed int64, steps int) {
	rng := rand.New(rand.NewSource(seed))
	t.Logf("seed %d, %d steps (rerun: -run TestNodeSimRandom -nodesimseed %d -nodesimsteps %d)", seed, steps, seed, steps)
	tn := newTestNet(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	tn.ctx = ctx

	names := []string{"alice", "bob", "carol", "dave"}
	stores := map[*testNode]*crashableStore{}
	var nodes []*testNode
	for _, name := range names {
		var cs *crashableStore
		n := tn.addNodeSetup(name, 6_000_000, func(tnode *testNode) {
			cs = newCrashableStore(t, tnode.dir)
			tnode.store = cs.fi
		})
		stores[n] = cs
		nodes = append(nodes, n)
	}
	a, b, c, d := nodes[0], nodes[1], nodes[2], nodes[3]
	type link struct{ x, y *testNode }
	links := []link{{a, b}, {b, c}, {c, d}, {d, a}, {a, c}}
	peersOf := map[*testNode][]*testNode{}
	var chans []wire.ChannelID
	// Every connection first: gossip then reaches every node as it is
	// relayed.
	for _, l := range links {
		tn.connect(l.x, l.y)
	}
	for _, l := range links {
		// Half pushed: payments can flow both ways from the start.
		chans = append(chans, tn.openChannel(l.x, l.y, 1_000_000, 500_000_000))
		peersOf[l.x] = append(peersOf[l.x], l.y)
		peersOf[l.y] = append(peersOf[l.y], l.x)
	}
	tn.mine(6)
	for _, n := range nodes {
		tn.waitGraph(n, len(links))
		tn.waitFor(n.name+"'s graph flushed", func() bool {
			pending := -1
			n.do(tn.ctx, func() error { pending = n.graph.Pending(); return nil })
			return pending == 0
		})
	}
	// balances[node] is the node's total over its channels.
	balances := func() map[*testNode]wire.MilliSatoshi {
		out := map[*testNode]wire.MilliSatoshi{}
		for _, n := range nodes {
			for _, ch := range chans {
				qctx, cancel := context.WithTimeout(tn.ctx, 30*time.Second)
				list, err := n.ListChannels(qctx)
				cancel()
				if err != nil {
					t.Fatalf("%s: %v", n.name, err)
				}
				for _, info := range list {
					if info.ChannelID == ch {
						out[n] += info.Local
					}
				}
			}
		}
		return out
	}
	start := balances()

	var mu sync.Mutex // guards each simPayment's err while calls run
	var pays []*simPayment
	call := func(p *simPayment) {
		p.done = make(chan struct{})
		// Read the nodes here, on the test's goroutine: a restart
		// replaces testNode.Node while the call runs.
		payer, dest := p.payer.Node, p.payee.NodeID()
		go func() {
			var err error
			switch {
			case p.keysend:
				_, err = payer.SendKeysend(tn.ctx, KeysendRequest{Destination: dest, Amount: p.amount, ID: &p.id})
			case p.paths != nil:
				_, err = payer.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: p.hash, Amount: p.amount, Paths: p.paths, ID: &p.id})
			default:
				_, err = payer.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: p.inv.Bolt11, ID: &p.id})
			}
			mu.Lock()
			p.err = err
			mu.Unlock()
			close(p.done)
		}()
	}
	// armed[node] is the write index a crash is set for (0: none).
	armed := map[*testNode]int{}
	disarm := func(n *testNode) {
		if at := armed[n]; at != 0 {
			stores[n].fi.Inject(at, store.FaultNone)
			armed[n] = 0
		}
	}
	crashes, restarts := 0, 0
	restart := func(n *testNode, crashed bool) {
		cs := stores[n]
		disarm(n)
		if cs.fi.Crashed() && !crashed {
			crashed = true // the fault fired before it was disarmed
			crashes++
		}
		if crashed {
			tn.crashRestart(n, cs)
		} else {
			tn.restart(n)
		}
		// It listens on a new port: it dials its channel peers (those
		// that dialed it before cannot).
		for _, p := range peersOf[n] {
			if p.Node == nil {
				continue
			}
			if err := n.Connect(tn.ctx, p.NodeID(), p.addr); err != nil {
				t.Logf("%s redials %s: %v", n.name, p.name, err)
			}
		}
	}
	checkCrashes := func() {
		for _, n := range nodes {
			if stores[n].fi.Crashed() {
				crashes++
				t.Logf("%s's store crashed", n.name)
				restart(n, true)
			}
		}
	}

	for step := 0; step < steps; step++ {
		checkCrashes()
		switch r := rng.Intn(100); {
		case r < 55:
			payer := nodes[rng.Intn(len(nodes))]
			payee := nodes[rng.Intn(len(nodes))]
			for payee == payer {
				payee = nodes[rng.Intn(len(nodes))]
			}
			// Mostly small; one in five above what one channel can carry.
			amt := wire.MilliSatoshi(10_000+rng.Intn(200_000)) * 1000
			if rng.Intn(5) == 0 {
				amt = wire.MilliSatoshi(500_000+rng.Intn(300_000)) * 1000
			}
			p := &simPayment{id: PaymentID{0x51, byte(seed), byte(step >> 8), byte(step)}, payer: payer, payee: payee, amount: amt, keysend: rng.Intn(3) == 0}
			if !p.keysend {
				// A node whose store just crashed answers nothing
				// until it restarts: ask with a deadline, and skip.
				// The deadline is generous: under -race, with other
				// packages' tests on the same 2 cores, a node's loop
				// can take seconds to come to the call.
				ictx, cancel := context.WithTimeout(tn.ctx, askWait)
				inv, err := payee.CreateInvoice(ictx, InvoiceRequest{Amount: amt, Description: fmt.Sprintf("sim %d", step)})
				cancel()
				if err != nil {
					if stores[payee].fi.Crashed() {
						continue
					}
					t.Fatalf("step %d: %s's invoice: %v (store writes %d, armed %d)", step, payee.name, err, stores[payee].fi.Writes(), armed[payee])
				}
				p.inv, p.hash = inv, inv.PaymentHash
				// One invoice payment in three goes over the payee's
				// blinded paths (with its default dummy hop).
				if rng.Intn(3) == 0 {
					ictx, cancel := context.WithTimeout(tn.ctx, askWait)
					p.paths, err = payee.BlindedPaths(ictx, inv.PaymentHash, 0)
					cancel()
					if err != nil {
						// No ready channel just after a restart, or
						// a crashed store: skip.
						if errors.Is(err, ErrNoRoute) || stores[payee].fi.Crashed() {
							continue
						}
						t.Fatalf("step %d: blinded paths: %v", step, err)
					}
				}
			}
			pays = append(pays, p)
			call(p)
		case r < 67:
			n := nodes[rng.Intn(len(nodes))]
			restarts++
			t.Logf("step %d: %s restarts", step, n.name)
			restart(n, false)
		case r < 80:
			n := nodes[rng.Intn(len(nodes))]
			if armed[n] == 0 {
				fault := store.FaultCrashBefore
				if rng.Intn(2) == 0 {
					fault = store.FaultCrashAfter
				}
				at := stores[n].fi.Writes() + 1 + rng.Intn(6)
				armed[n] = at
				stores[n].fi.Inject(at, fault)
				t.Logf("step %d: %s's store will crash at write %d (%v)", step, n.name, at, fault)
			}
		default:
			time.Sleep(time.Duration(rng.Intn(300)) * time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Quiet down: no more faults; restart what crashed; the host asks
	// again for every payment whose call did not return an outcome.
	checkCrashes()
	for _, n := range nodes {
		disarm(n)
	}
	time.Sleep(50 * time.Millisecond)
	checkCrashes()
	// reconnectAll waits until every channel peer is connected again
	// (restarted nodes listen on new ports: the side that dials must be
	// the one that knows the new address).
	reconnectAll := func() {
		for _, n := range nodes {
			for _, p := range peersOf[n] {
				tn.waitFor(n.name+" connected to "+p.name, func() bool {
					ps, _ := n.ListPeers(tn.ctx)
					for _, pi := range ps {
						if pi.NodeID == [33]byte(p.NodeID().SerializeCompressed()) {
							return true
						}
					}
					n.Connect(tn.ctx, p.NodeID(), p.addr)
					return false
				})
			}
		}
	}
	reconnectAll()
	// A call returns once no part is in flight. A part a payee holds for
	// the rest of its payment is failed at the payee's MPP timeout, which
	// may start just before the payer's own deadline (seed 11 at 150
	// steps: a 60 s wait ended as the payee's 60 s timer did).
	const callWait = DefaultMPPTimeout + 20*time.Second + 40*time.Second
	for _, p := range pays {
		for {
			select {
			case <-p.done:
			case <-time.After(callWait):
				dumpSim(t, nodes, p.payer, p.id)
				t.Fatalf("payment %x: the host's call did not return in %v", p.id[:4], callWait)
			}
			mu.Lock()
			err := p.err
			mu.Unlock()
			if err == nil || errors.Is(err, ErrPaymentFailed) {
				break
			}
			// Stopped, or a crashed store under it: ask again.
			call(p)
		}
	}
	reconnectAll()
	// Nothing left in flight anywhere.
	tn.waitFor("no HTLC in flight", func() bool {
		for _, n := range nodes {
			list, err := n.ListChannels(tn.ctx)
			if err != nil {
				return false
			}
			for _, info := range list {
				if info.InFlightIn != 0 || info.InFlightOut != 0 {
					return false
				}
				if info.Status != "open" || !info.Ready {
					t.Fatalf("%s's channel %v is %q", n.name, info.ChannelID, info.Status)
				}
			}
		}
		return true
	})

	// The payers' records, and what the payees hold.
	paid := map[*testNode]wire.MilliSatoshi{} // amount + fee, by payer
	recv := map[*testNode]wire.MilliSatoshi{} // by payee
	var fees wire.MilliSatoshi
	succeeded, failed, blindedOK := 0, 0, 0
	for _, p := range pays {
		list, err := p.payer.ListPayments(tn.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var rec *Payment
		for i := range list {
			if list[i].ID == p.id {
				if rec != nil {
					t.Fatalf("payment %x: two records", p.id[:4])
				}
				rec = &list[i]
			}
		}
		if rec == nil {
			t.Fatalf("payment %x: no record at %s", p.id[:4], p.payer.name)
		}
		if rec.Status == PaymentStatusInFlight {
			t.Fatalf("payment %x still in flight after the host's call returned", p.id[:4])
		}
		p.hash = rec.PaymentHash
		var got wire.MilliSatoshi
		var settled bool
		p.payee.do(tn.ctx, func() error {
			if inv, ok := p.payee.invs.byID[p.hash]; ok {
				got, settled = inv.Received, inv.State == InvoiceSettled
			}
			return nil
		})
		switch rec.Status {
		case PaymentStatusSucceeded:
			succeeded++
			// Over blinded paths the introduction node rounds its
			// forward up (BOLT 4), so the payee may get a few msat
			// more than asked, on each part; anywhere else exactly the
			// amount. (Seed 47 at 100 steps: 11 msat over a split payment.)
			exact := got == p.amount || p.paths != nil && got > p.amount && got-p.amount <= 10*wire.MilliSatoshi(len(rec.Route))
			if !settled || !exact || !rec.Preimage.Matches(p.hash) {
				t.Fatalf("payment %x (%v from %s to %s, keysend %v, blinded %v) succeeded; payee has settled=%v %v", p.id[:4], p.amount, p.payer.name, p.payee.name, p.keysend, p.paths != nil, settled, got)
			}
			if p.paths != nil {
				blindedOK++
			}
			paid[p.payer] += rec.Amount + rec.Fee
			recv[p.payee] += got
			fees += rec.Amount + rec.Fee - got
		case PaymentStatusFailed:
			failed++
			t.Logf("payment %x (%v from %s to %s, keysend %v, blinded %v) failed: %s", p.id[:4], p.amount, p.payer.name, p.payee.name, p.keysend, p.paths != nil, rec.Failure)
			if settled {
				t.Fatalf("payment %x failed (%s) but the payee settled %v", p.id[:4], rec.Failure, got)
			}
		}
	}
	end := balances()
	var sumStart, sumEnd, earned wire.MilliSatoshi
	for _, n := range nodes {
		sumStart += start[n]
		sumEnd += end[n]
		// end = start - paid + received + earned, earned >= 0.
		explained := start[n] + recv[n] - paid[n]
		if end[n] < explained {
			t.Fatalf("%s lost %v beyond its payments", n.name, explained-end[n])
		}
		earned += end[n] - explained
	}
	if sumStart != sumEnd {
		t.Fatalf("balances sum to %v, were %v", sumEnd, sumStart)
	}
	if earned != fees {
		t.Fatalf("forwarders earned %v, payers paid %v in fees", earned, fees)
	}
	if succeeded == 0 {
		t.Fatal("no payment succeeded")
	}
	t.Logf("seed %d: %d payments (%d succeeded, %d of them blinded; %d failed with nothing moved), %d restarts, %d store crashes, %v in fees", seed, len(pays), succeeded, blindedOK, failed, restarts, crashes, fees)
}

// dumpSim logs what a stuck payment's payer holds for it and every
// channel's HTLCs in flight, to tell where the payment waits.
func dumpSim(t *testing.T, nodes []*testNode, payer *testNode, id PaymentID) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := payer.do(ctx, func() error {
		p := payer.pays.byID[id]
		if p == nil {
			t.Logf("dump: %s has no payment %x", payer.name, id[:4])
			return nil
		}
		t.Logf("dump: %s payment %x status %v amount %v deadline %v retryAt %v blinded %d out %v failure %q",
			payer.name, id[:4], p.Status, p.Amount, p.deadline, p.retryAt, len(p.blinded), p.blindedOut, p.Failure)
		for _, a := range p.attempts {
			t.Logf("dump:   attempt %d ch %x htlc %d amount %v done %v settled %v hops %d", a.n, a.ch[:4], a.htlcID, a.amount, a.done, a.settled, len(a.route))
		}
		return nil
	})
	if err != nil {
		t.Logf("dump: %s: %v", payer.name, err)
	}
	for _, n := range nodes {
		err := n.do(ctx, func() error {
			for _, cs := range n.channels {
				m := cs.m
				ls, rs := m.LocalState(), m.RemoteState()
				if len(ls.HTLCs) == 0 && len(rs.HTLCs) == 0 && len(m.PendingIncoming()) == 0 && len(m.OfferedHTLCs()) == 0 {
					continue
				}
				var pin []uint64
				for _, li := range m.PendingIncoming() {
					pin = append(pin, li.HTLC.ID)
				}
				var held []string
				for k := range n.fwd.held {
					if k.ch == cs.id {
						held = append(held, fmt.Sprint(k.id))
					}
				}
				t.Logf("dump: %s machine %x connected %v failed %v local#%d remote#%d localHTLCs %v remoteHTLCs %v offered %v pendingIncoming %v held %v deferred %d owed %v resolutions %d",
					n.name, cs.id[:4], m.Connected(), m.Failed(), ls.Number, rs.Number, ls.HTLCs, rs.HTLCs, m.OfferedHTLCs(), pin, held, len(cs.deferred), cs.owed, len(m.PendingResolutions()))
			}
			return nil
		})
		if err != nil {
			t.Logf("dump: %s: %v", n.name, err)
		}
		chs, err := n.ListChannels(ctx)
		if err != nil {
			t.Logf("dump: %s channels: %v", n.name, err)
			continue
		}
		for _, c := range chs {
			if c.InFlightOut != 0 || c.InFlightIn != 0 || c.Status != "open" {
				t.Logf("dump: %s channel %x %s out %v in %v", n.name, c.ChannelID[:4], c.Status, c.InFlightOut, c.InFlightIn)
			}
		}
	}
}
