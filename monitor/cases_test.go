package monitor

import (
	"context"
	"errors"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/store"
)

// snapshot copies every record of st into a new Memory.
func snapshot(t testing.TB, st store.Store) *store.Memory {
	t.Helper()
	ctx := context.Background()
	keys, err := st.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var b store.Batch
	for _, k := range keys {
		v, err := st.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		b.Put(k, v)
	}
	m := store.NewMemory()
	if err := m.Write(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCooperativeClose: a closing transaction signed by both sides
// confirms. The monitor reports the close, broadcasts nothing and reports
// everything resolved once it is deep.
func TestCooperativeClose(t *testing.T) {
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			h := newHarness(t, hopts{typ: typ})
			a, b := h.a, h.b
			bal := a.m.Balance()
			lc := &channel.LegacyClose{
				LocalScript: a.dest, RemoteScript: b.dest,
				LocalBalance: bal.Local, RemoteBalance: bal.Remote, Fee: 2000, DustLimit: 546,
			}
			tx, err := channel.NewLegacyClosingTx(a.params, lc)
			if err != nil {
				t.Fatal(err)
			}
			sa, err := channel.SignFundingSpend(h.ctx, a.signer, a.params, tx)
			if err != nil {
				t.Fatal(err)
			}
			sb, err := channel.SignFundingSpend(h.ctx, b.signer, b.params, tx)
			if err != nil {
				t.Fatal(err)
			}
			closing, err := channel.CompleteFundingSpend(a.params, tx, sa, sb)
			if err != nil {
				t.Fatal(err)
			}
			h.mineTx(closing)
			for i := 0; i < 10 && !h.resolved(a); i++ {
				if len(h.ch.Mempool()) != 0 {
					t.Fatal("the monitors broadcast something after a cooperative close")
				}
				h.mine(1)
			}
			evs := h.events(a)
			closed := eventsOf[*ChannelClosed](evs)
			if len(closed) != 1 || closed[0].Kind != CloseCooperative || closed[0].Txid != closing.TxHash() {
				t.Fatalf("events:%s", describe(evs))
			}
			if len(evs) != 2 || !h.resolved(a) || !h.resolved(b) {
				t.Fatalf("events:%s", describe(evs))
			}
			h.verifyTx(closing)
		})
	}
}

// TestDataLossUnknownCommitment: alice's monitor comes back from an old
// backup (it lacks the latest updates) and the channel reports data loss.
// It refuses to broadcast its (revoked) local commitment, and when bob
// closes with a commitment it has no record of, it finds its to_remote
// output by script and sweeps it, reporting that the HTLC outputs cannot
// be claimed (BOLT 5: "the node will be unable to salvage the HTLCs").
func TestDataLossUnknownCommitment(t *testing.T) {
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			h := newHarness(t, hopts{typ: typ, noBobMon: true})
			a, b := h.a, h.b
			base := h.ch.Height()
			h.add(a, 100_000_000, base+40)
			backup := snapshot(t, a.store)
			idA2, _ := h.add(a, 70_000_000, base+41)
			h.add(b, 90_000_000, base+42)

			stale, err := Open(h.ctx, h.monConfig(a, backup, ModeFull), a.m.ChannelID())
			if err != nil {
				t.Fatal(err)
			}
			a.mon = stale
			a.proxy.set(stale)
			bc, bsigs := h.localCommitment(b)
			if err := stale.HandleChannelFailed(h.ctx, &channel.ChannelFailed{ChannelID: a.m.ChannelID(), Err: channel.ErrDataLoss, RemotePoint: bc.Keys.PerCommitmentPoint}); err != nil {
				t.Fatal(err)
			}
			if err := stale.ForceClose(h.ctx); !errors.Is(err, ErrNoBroadcast) {
				t.Fatalf("ForceClose after data loss: %v", err)
			}
			// Deadlines pass: still no broadcast of the stale commitment.
			h.mineEmpty(45)
			if len(h.ch.Mempool()) != 0 {
				t.Fatal("broadcast after data loss")
			}
			// Reopened, it still knows.
			stale, err = Open(h.ctx, h.monConfig(a, backup, ModeFull), a.m.ChannelID())
			if err != nil {
				t.Fatal(err)
			}
			a.mon = stale
			a.proxy.set(stale)
			if err := stale.ForceClose(h.ctx); !errors.Is(err, ErrNoBroadcast) {
				t.Fatalf("ForceClose after reopening: %v", err)
			}
			h.mineTx(h.signedCommitment(b, bc, bsigs))
			h.mineUntilResolved(50, nil)
			evs := h.events(a)
			closed := eventsOf[*ChannelClosed](evs)
			if len(closed) != 1 || closed[0].Kind != CloseUnknown {
				t.Fatalf("events:%s", describe(evs))
			}
			alerts := eventsOf[*Alert](evs)
			if len(alerts) != 1 || alerts[0].Kind != AlertFundsLost {
				t.Fatalf("alerts:%s", describe(evs))
			}
			if r := htlcResult(evs, htlc.Offered, idA2); r != nil {
				t.Fatalf("an HTLC of an unknown commitment reported %v", r.Outcome)
			}
			// Alice's output of bob's commitment is its to_remote.
			swept, fees := h.checkSweeps(a)
			if swept+fees != bc.ToRemote.Value || h.ch.Balance(a.dest) != swept {
				t.Fatalf("swept %v + %v, to_remote %v", swept, fees, bc.ToRemote.Value)
			}
		})
	}
}

// TestJusticeOnlyMonitor: a copy of alice's monitor in another place
// (ModeJusticeOnly), fed the same updates, never broadcasts alice's
// commitment and ignores a close by bob's current commitment, but takes
// every output of a revoked one.
func TestJusticeOnlyMonitor(t *testing.T) {
	for _, typ := range channelTypes {
		for _, revoked := range []bool{false, true} {
			name := typ.String() + "/current"
			if revoked {
				name = typ.String() + "/revoked"
			}
			t.Run(name, func(t *testing.T) {
				h := newHarness(t, hopts{typ: typ, noBobMon: true, policy: breachPolicy()})
				a, b := h.a, h.b
				breachHistory(h)
				tower := &tnode{name: "tower", signer: a.signer, params: a.params, dest: a.dest, wallet: nil}
				st := store.NewMemory()
				cfg := h.monConfig(tower, st, ModeJusticeOnly)
				cfg.Wallet = nil
				mon, err := New(h.ctx, cfg, a.params)
				if err != nil {
					t.Fatal(err)
				}
				if err := mon.Apply(h.ctx, a.updates...); err != nil {
					t.Fatal(err)
				}
				if err := mon.ForceClose(h.ctx); !errors.Is(err, ErrNoBroadcast) {
					t.Fatalf("ForceClose of a justice-only monitor: %v", err)
				}
				// Only the tower watches.
				a.proxy.set(mon)
				a.mon = mon
				olds := h.oldCommitments(b)
				info := olds[len(olds)-1]
				if revoked {
					info = olds[len(olds)-3]
				}
				c := h.build(b, info)
				h.mineTx(h.signedCommitment(b, c, info.Sigs))
				if !revoked {
					for i := 0; i < 60; i++ {
						if len(h.ch.Mempool()) != 0 {
							t.Fatal("a justice-only monitor claimed from a current commitment")
						}
						h.mine(1)
					}
					evs := h.events(a)
					if k := eventsOf[*ChannelClosed](evs); len(k) != 1 || k[0].Kind != CloseRemote || !h.resolved(a) {
						t.Fatalf("events:%s", describe(evs))
					}
					return
				}
				h.mineUntilResolved(60, nil)
				var owned int64
				for i, out := range c.Tx.TxOut {
					if (c.LocalAnchor.Present() && i == c.LocalAnchor.Index) || (c.RemoteAnchor.Present() && i == c.RemoteAnchor.Index) {
						continue
					}
					owned += out.Value
				}
				swept, fees := h.checkSweeps(a)
				if int64(swept+fees) != owned {
					t.Fatalf("the tower swept %v + %v of %v", swept, fees, owned)
				}
			})
		}
	}
}

// TestJusticeWithoutCommitmentRecord: the record of a revoked commitment
// is gone from the store. The monitor still takes what it can find by
// script with the revocation secret (to_local, to_remote) and reports
// the HTLC outputs it cannot claim.
func TestJusticeWithoutCommitmentRecord(t *testing.T) {
	h := newHarness(t, hopts{noBobMon: true, policy: breachPolicy()})
	a, b := h.a, h.b
	breachHistory(h)
	olds := h.oldCommitments(b)
	info := olds[3]
	c := h.build(b, info)
	if len(c.HTLCs) == 0 || !c.ToLocal.Present() || !c.ToRemote.Present() {
		t.Fatal("pick a commitment with HTLCs and both balances")
	}
	var del store.Batch
	del.Delete(KeyPrefix(a.m.ChannelID()) + remoteKey(c.Number, c.TxHash))
	if err := a.store.Write(h.ctx, &del); err != nil {
		t.Fatal(err)
	}
	mon, err := Open(h.ctx, h.monConfig(a, a.store, ModeFull), a.m.ChannelID())
	if err != nil {
		t.Fatal(err)
	}
	a.mon = mon
	a.proxy.set(mon)
	h.mineTx(h.signedCommitment(b, c, info.Sigs))
	for i := 0; i < 30; i++ {
		h.mine(1)
	}
	evs := h.events(a)
	if k := eventsOf[*ChannelClosed](evs); len(k) != 1 || k[0].Kind != CloseRevoked {
		t.Fatalf("events:%s", describe(evs))
	}
	if al := eventsOf[*Alert](evs); len(al) != 1 || al[0].Kind != AlertFundsLost {
		t.Fatalf("events:%s", describe(evs))
	}
	swept, fees := h.checkSweeps(a)
	if swept+fees != c.ToLocal.Value+c.ToRemote.Value {
		t.Fatalf("swept %v + %v, want to_local %v + to_remote %v", swept, fees, c.ToLocal.Value, c.ToRemote.Value)
	}
}

// TestMonitorForceClosesAtDeadline: the host never force-closes. Once an
// HTLC alice offered is OfferedGrace blocks past its cltv_expiry, her
// monitor broadcasts her commitment itself, and times the HTLC out; the
// same for an HTLC she fulfilled, FulfillDeadline blocks before its
// cltv_expiry.
func TestMonitorForceClosesAtDeadline(t *testing.T) {
	for _, offered := range []bool{true, false} {
		name := "fulfilled"
		if offered {
			name = "offered"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, hopts{noBobMon: true})
			a, b := h.a, h.b
			base := h.ch.Height()
			var expiry, trigger uint32
			var id uint64
			if offered {
				expiry = base + 20
				id, _ = h.add(a, 100_000_000, expiry)
				trigger = expiry + h.a.mon.pol.OfferedGrace
			} else {
				expiry = base + 30
				var pre htlc.Preimage
				id, pre = h.add(b, 100_000_000, expiry)
				h.fulfill(a, id, pre, false)
				trigger = expiry - h.a.mon.pol.FulfillDeadline
			}
			c, _ := h.localCommitment(a)
			for h.ch.Height() < trigger-1 {
				h.mine(1)
				if h.spendInMempool(a.params.FundingOutpoint) != nil {
					t.Fatalf("broadcast at %d, deadline %d", h.ch.Height(), trigger)
				}
			}
			h.mine(1)
			if tx := h.spendInMempool(a.params.FundingOutpoint); tx == nil || tx.TxHash() != c.TxHash {
				t.Fatalf("no broadcast of the local commitment at height %d", h.ch.Height())
			}
			h.mineUntilResolved(80, nil)
			evs := h.events(a)
			dir := htlc.Received
			want := Settled
			if offered {
				dir, want = htlc.Offered, Failed
			}
			expectOutcome(t, evs, dir, id, want)
		})
	}
}

// TestBroadcastRetriedEveryBlock: a Broadcaster that is down for a few
// blocks loses nothing: every claim is broadcast again each block.
func TestBroadcastRetriedEveryBlock(t *testing.T) {
	h := newHarness(t, hopts{noBobMon: true})
	a, b := h.a, h.b
	down := &flakyBroadcaster{inner: h.ch, down: true}
	cfg := h.monConfig(a, a.store, ModeFull)
	cfg.Broadcaster = down
	mon, err := Open(h.ctx, cfg, a.m.ChannelID())
	if err != nil {
		t.Fatal(err)
	}
	a.mon = mon
	a.proxy.set(mon)
	bc, bsigs := h.localCommitment(b)
	h.mineTx(h.signedCommitment(b, bc, bsigs))
	h.mine(3)
	if down.calls < 3 || h.spender(opOf(bc, &bc.ToRemote)) != nil {
		t.Fatalf("%d broadcast attempts", down.calls)
	}
	down.down = false
	h.mineUntilResolved(20, nil)
	swept, fees := h.checkSweeps(a)
	if swept+fees != bc.ToRemote.Value {
		t.Fatal("to_remote not swept")
	}
}

type flakyBroadcaster struct {
	inner interface {
		Broadcast(context.Context, ...*btcwire.MsgTx) error
	}
	down  bool
	calls int
}

func (f *flakyBroadcaster) Broadcast(ctx context.Context, txs ...*btcwire.MsgTx) error {
	f.calls++
	if f.down {
		return errors.New("node unreachable")
	}
	return f.inner.Broadcast(ctx, txs...)
}

// TestUneconomicOutputAbandoned: an HTLC of 400 sat that alice holds the
// preimage of, untrimmed on bob's commitment (his dust limit is 354),
// cannot pay for its own claim even at the relay floor. Her monitor
// reports it as uneconomic, leaves it, and still reports the channel
// resolved once the rest is swept.
func TestUneconomicOutputAbandoned(t *testing.T) {
	h := newHarness(t, hopts{typ: script.Anchors, noBobMon: true})
	a, b := h.a, h.b
	base := h.ch.Height()
	id, pre := h.add(b, 400_000, base+30)
	h.fulfill(a, id, pre, false)
	bc, sigs := h.localCommitment(b)
	out := htlcOutput(t, bc, htlc.Offered, id)
	h.mineTx(h.signedCommitment(b, bc, sigs))
	h.mineUntilResolved(50, nil)
	evs := h.events(a)
	al := eventsOf[*Alert](evs)
	if len(al) != 1 || al[0].Kind != AlertUneconomic {
		t.Fatalf("alerts:%s", describe(evs))
	}
	if h.spender(opOf(bc, &out.Output)) != nil {
		t.Fatal("the uneconomic HTLC was claimed")
	}
	swept, fees := h.checkSweeps(a)
	if swept+fees != bc.ToRemote.Value {
		t.Fatal("to_remote not swept")
	}
}
