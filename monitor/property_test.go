package monitor

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/wire"
)

// tryAdd offers an HTLC if the Machine accepts it (balance, limits).
func (h *harness) tryAdd(n *tnode, amount wire.MilliSatoshi, expiry uint32) (uint64, htlc.Preimage, bool) {
	h.t.Helper()
	h.n++
	pre := htlc.Preimage{byte(h.n), byte(h.n >> 8), 0x5a}
	var onion [wire.OnionPacketSize]byte
	id, acts, err := n.m.AddHTLC(&channel.AddHTLC{Amount: amount, PaymentHash: pre.Hash(), Expiry: expiry, Onion: &onion})
	if err != nil {
		return 0, pre, false
	}
	h.pre[pre.Hash()] = pre
	h.apply(n, acts)
	h.sign(n)
	h.settle()
	return id, pre, true
}

// TestPropertyClaimsPlusFeesEqualOwned: over random channel histories
// (payments both ways, fulfilled, failed or left in flight, some fulfilled
// by alice without the fulfill reaching bob), a random close (alice's
// commitment, bob's, or one of bob's revoked ones, raced or not by his
// HTLC transactions) and random block timing (blocks that confirm
// nothing, one-block reorganisations), alice's sweeps plus their fees
// (plus the fees her pre-signed HTLC transactions took) equal what the
// channel owned her on chain, computed here from the confirmed commitment
// and the preimages she knew; her sweep script holds the sweeps. Bob runs
// no monitor, so nothing of hers is contested. MONITOR_PROPERTY_N sets
// the number of histories (default 16).
func TestPropertyClaimsPlusFeesEqualOwned(t *testing.T) {
	n := 16
	if s := os.Getenv("MONITOR_PROPERTY_N"); s != "" {
		if v, err := strconv.Atoi(s); err == nil {
			n = v
		}
	}
	if testing.Short() {
		n = 4
	}
	for i := 1; i <= n; i++ {
		seed := int64(i)
		t.Run(fmt.Sprint(seed), func(t *testing.T) { propertyRun(t, seed) })
	}
}

func propertyRun(t *testing.T, seed int64) {
	rng := rand.New(rand.NewSource(seed))
	typ := channelTypes[rng.Intn(len(channelTypes))]
	pol := breachPolicy()
	h := newHarness(t, hopts{typ: typ, noBobMon: true, policy: pol, seed: byte(seed)})
	a, b := h.a, h.b
	base := h.ch.Height()
	type inflight struct {
		from *tnode
		id   uint64
		pre  htlc.Preimage
	}
	var live []inflight
	amounts := []wire.MilliSatoshi{200_000, 5_000_000, 20_000_000, 100_000_000, 400_000_000}
	maxExpiry := base
	ops := 6 + rng.Intn(14)
	for k := 0; k < ops; k++ {
		switch r := rng.Intn(10); {
		case r < 5 || len(live) == 0:
			from := a
			if rng.Intn(2) == 1 {
				from = b
			}
			expiry := base + 15 + uint32(rng.Intn(30))
			if id, pre, ok := h.tryAdd(from, amounts[rng.Intn(len(amounts))], expiry); ok {
				live = append(live, inflight{from, id, pre})
				maxExpiry = max(maxExpiry, expiry)
			}
		case r < 8:
			j := rng.Intn(len(live))
			f := live[j]
			h.fulfill(h.peer(f.from), f.id, f.pre, true)
			live = append(live[:j], live[j+1:]...)
		default:
			j := rng.Intn(len(live))
			f := live[j]
			h.failHTLC(h.peer(f.from), f.id)
			live = append(live[:j], live[j+1:]...)
		}
	}
	// Alice fulfills some of bob's HTLCs without the fulfill reaching bob.
	for _, f := range live {
		if f.from == b && rng.Intn(3) == 0 {
			h.fulfill(a, f.id, f.pre, false)
		}
	}
	known := map[htlc.PaymentHash]bool{}
	for _, u := range a.updates {
		if u.Preimage != nil {
			known[u.Preimage.Hash()] = true
		}
	}

	kind := []string{"local", "remote", "revoked", "revoked-race"}[rng.Intn(4)]
	olds := h.oldCommitments(b)
	var owned btcutil.Amount
	var cheats []*btcwire.MsgTx
	var c *channel.Commitment
	switch kind {
	case "local":
		c, _ = h.localCommitment(a)
		h.forceClose(a)
		owned = c.ToLocal.Value
		for _, ch := range c.HTLCs {
			if ch.Direction == htlc.Offered || known[ch.PaymentHash] {
				owned += ch.Output.Value
			}
		}
	case "remote":
		bc, sigs := h.localCommitment(b)
		c = bc
		h.mineTx(h.signedCommitment(b, bc, sigs))
		owned = bc.ToRemote.Value
		for _, ch := range bc.HTLCs {
			if ch.Direction == htlc.Received || known[ch.PaymentHash] {
				owned += ch.Output.Value
			}
		}
	default:
		info := olds[rng.Intn(len(olds)-1)]
		c = h.build(b, info)
		if kind == "revoked-race" {
			for h.ch.Height() < maxExpiry {
				h.mineEmpty(1)
			}
		}
		h.mineTx(h.signedCommitment(b, c, info.Sigs))
		for i, out := range c.Tx.TxOut {
			if (c.LocalAnchor.Present() && i == c.LocalAnchor.Index) || (c.RemoteAnchor.Present() && i == c.RemoteAnchor.Index) {
				continue
			}
			owned += btcutil.Amount(out.Value)
		}
		if kind == "revoked-race" {
			cheats = h.cheaterHTLCTxs(c, info.Sigs, h.ch.Height(), typ.HasAnchors() && rng.Intn(2) == 0)
			if len(cheats) > 0 {
				h.mineTx(cheats...)
			}
			for _, tx := range cheats {
				for k, in := range tx.TxIn {
					owned -= btcutil.Amount(c.Tx.TxOut[in.PreviousOutPoint.Index].Value - tx.TxOut[k].Value)
				}
			}
		}
	}
	t.Logf("%v, %d operations, %d HTLCs in flight, close: %s of commitment %d with %d HTLC outputs", typ, ops, len(live), kind, c.Number, len(c.HTLCs))

	for i := 0; i < 400 && !h.resolved(a); i++ {
		switch r := rng.Float64(); {
		case r < 0.7:
			h.mine(1)
		case r < 0.94:
			h.mineEmpty(1)
		default:
			if _, err := h.ch.Reorg(h.ctx, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !h.resolved(a) {
		t.Fatalf("not resolved:%s", describe(h.events(a)))
	}
	var htlcFees btcutil.Amount
	if kind == "local" {
		htlcFees = h.htlcTxFees(c)
	}
	evs := h.events(a)
	if al := eventsOf[*Alert](evs); len(al) > 0 {
		t.Fatalf("alerts:%s", describe(evs))
	}
	checkOwned(h, owned, htlcFees)
}
