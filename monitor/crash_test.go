package monitor

import (
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/store"
)

// crashScenario is a close that alice's monitor must see through, and the
// check that it did.
type crashScenario struct {
	name string
	opts hopts
	run  func(h *harness)
}

var crashScenarios = []crashScenario{
	{"local-close/anchors", hopts{typ: script.Anchors}, func(h *harness) {
		a, b := h.a, h.b
		base := h.ch.Height()
		idA1, _ := h.add(a, 200_000_000, base+20)
		idA2, preA2 := h.add(a, 150_000_000, base+40)
		idB1, preB1 := h.add(b, 300_000_000, base+30)
		h.fulfill(b, idA2, preA2, false)
		h.fulfill(a, idB1, preB1, false)
		c, _ := h.localCommitment(a)
		h.forceClose(a)
		h.mineUntilResolved(150, nil)
		evs := h.events(a)
		expectOutcome(h.t, evs, htlc.Offered, idA1, Failed)
		expectOutcome(h.t, evs, htlc.Offered, idA2, Settled)
		expectOutcome(h.t, evs, htlc.Received, idB1, Settled)
		owned := c.ToLocal.Value + htlcOutput(h.t, c, htlc.Offered, idA1).Output.Value + htlcOutput(h.t, c, htlc.Received, idB1).Output.Value
		checkOwned(h, owned, 0)
	}},
	{"breach-race/static_remotekey", hopts{typ: script.StaticRemoteKey, noBobMon: true, policy: breachPolicy()}, func(h *harness) {
		maxExpiry := breachHistory(h)
		olds := h.oldCommitments(h.b)
		info := olds[len(olds)-3]
		c := h.build(h.b, info)
		for h.ch.Height() < maxExpiry {
			h.mineEmpty(1)
		}
		h.mineTx(h.signedCommitment(h.b, c, info.Sigs))
		cheats := h.cheaterHTLCTxs(c, info.Sigs, h.ch.Height(), false)
		h.mineTx(cheats...)
		h.mineUntilResolved(100, nil)
		// No anchors: every output is alice's, less the fees bob's HTLC
		// transactions took from the HTLC values.
		var owned int64
		for _, out := range c.Tx.TxOut {
			owned += out.Value
		}
		for _, tx := range cheats {
			for k, in := range tx.TxIn {
				owned -= c.Tx.TxOut[in.PreviousOutPoint.Index].Value - tx.TxOut[k].Value
			}
		}
		checkOwned(h, btcutil.Amount(owned), 0)
	}},
	{"remote-close/anchors", hopts{typ: script.Anchors, noBobMon: true}, func(h *harness) {
		a, b := h.a, h.b
		base := h.ch.Height()
		idA1, _ := h.add(a, 200_000_000, base+20)
		idB1, preB1 := h.add(b, 300_000_000, base+30)
		h.fulfill(a, idB1, preB1, false)
		bc, sigs := h.localCommitment(b)
		h.mineTx(h.signedCommitment(b, bc, sigs))
		h.mineUntilResolved(100, nil)
		evs := h.events(a)
		expectOutcome(h.t, evs, htlc.Offered, idA1, Failed)
		expectOutcome(h.t, evs, htlc.Received, idB1, Settled)
		owned := bc.ToRemote.Value + htlcOutput(h.t, bc, htlc.Received, idA1).Output.Value + htlcOutput(h.t, bc, htlc.Offered, idB1).Output.Value
		checkOwned(h, owned, 0)
	}},
}

// checkOwned checks that alice's sweeps (plus her HTLC transactions'
// fees) account for owned to the satoshi, and that her sweep script holds
// what they paid.
func checkOwned(h *harness, owned, htlcFees btcutil.Amount) {
	h.t.Helper()
	swept, fees := h.checkSweeps(h.a)
	if swept+fees+htlcFees != owned || h.ch.Balance(h.a.dest) != swept {
		h.t.Fatalf("swept %v + fees %v + HTLC fees %v != owned %v (balance %v)", swept, fees, htlcFees, owned, h.ch.Balance(h.a.dest))
	}
}

// TestCrashEveryPersistencePoint runs each scenario once to count the
// writes of alice's monitor, then once per write and per fault, crashing
// the store at that write (before the batch is durable, and after), and
// restarting the monitor from what is durable: the updates are applied
// again and the blocks since SyncedTo replayed. Every claim is still made,
// every event still reported, every satoshi still swept. A plain go test
// crashes at every write; under -race at every third.
func TestCrashEveryPersistencePoint(t *testing.T) {
	// Every write, both faults; under the race detector (about thirty
	// times slower here) every third write, and with -short every fifth.
	stride := 1
	if raceEnabled {
		stride = 3
	}
	if testing.Short() {
		stride = 5
	}
	for _, sc := range crashScenarios {
		var clean *store.FaultInjector
		o := sc.opts
		o.fault = func(fi *store.FaultInjector) { clean = fi }
		h := newHarness(t, o)
		sc.run(h)
		n := clean.Writes()
		if n < 20 {
			t.Fatalf("%s: only %d writes", sc.name, n)
		}
		for k := 1; k <= n; k += stride {
			for _, f := range []store.Fault{store.FaultCrashBefore, store.FaultCrashAfter} {
				t.Run(fmt.Sprintf("%s/write-%d/%v", sc.name, k, f), func(t *testing.T) {
					o := sc.opts
					o.fault = func(fi *store.FaultInjector) { fi.Inject(k, f) }
					h := newHarness(t, o)
					sc.run(h)
					if h.restarts != 1 {
						t.Fatalf("%d restarts", h.restarts)
					}
				})
			}
		}
	}
}
