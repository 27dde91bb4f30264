package monitor

import (
	"testing"

	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/htlc"
)

// TestReorgReplacesConfirmedCommitment: alice force-closes, but bob's
// commitment is mined first and her monitor claims from it; a
// reorganisation then replaces both blocks with a branch that confirms
// alice's commitment instead. The monitor follows: it reports the second
// close, drops the claims whose inputs are gone, and resolves her own
// commitment in full.
func TestReorgReplacesConfirmedCommitment(t *testing.T) {
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) {
			h := newHarness(t, hopts{typ: typ, noBobMon: true})
			a, b := h.a, h.b
			base := h.ch.Height()
			idA, _ := h.add(a, 200_000_000, base+25)
			idB, preB := h.add(b, 100_000_000, base+40)
			h.fulfill(a, idB, preB, false)
			ac, asigs := h.localCommitment(a)
			alice := h.signedCommitment(a, ac, asigs)
			if err := a.mon.ForceClose(h.ctx); err != nil {
				t.Fatal(err)
			}
			bc, bsigs := h.localCommitment(b)
			h.mineTx(h.signedCommitment(b, bc, bsigs))
			h.mine(1)
			trOp := opOf(bc, &bc.ToRemote)
			claim := h.spender(trOp)
			if claim == nil {
				t.Fatal("to_remote of bob's commitment not claimed")
			}
			if _, err := h.ch.Reorg(h.ctx, 2, chainsim.ReorgExclude(bc.TxHash), chainsim.ReorgInclude(alice), chainsim.ReorgLength(2)); err != nil {
				t.Fatal(err)
			}
			if h.ch.Confirmations(ac.TxHash) < 1 || h.ch.Confirmations(bc.TxHash) > 0 {
				t.Fatal("reorg did not swap the commitments")
			}
			h.mineUntilResolved(100, nil)
			evs := h.events(a)
			closed := eventsOf[*ChannelClosed](evs)
			if len(closed) != 2 || closed[0].Kind != CloseRemote || closed[1].Kind != CloseLocal || closed[1].Txid != ac.TxHash {
				t.Fatalf("closed:%s", describe(evs))
			}
			for _, s := range eventsOf[*FundsSwept](evs) {
				if s.Txid == claim.TxHash() {
					t.Fatal("the reorganised-out claim was reported swept")
				}
			}
			expectOutcome(t, evs, htlc.Offered, idA, Failed)
			expectOutcome(t, evs, htlc.Received, idB, Settled)
			owned := ac.ToLocal.Value + htlcOutput(t, ac, htlc.Offered, idA).Output.Value + htlcOutput(t, ac, htlc.Received, idB).Output.Value
			swept, fees := h.checkSweeps(a)
			if swept+fees+h.htlcTxFees(ac) != owned || h.ch.Balance(a.dest) != swept {
				t.Fatalf("swept %v + %v + %v != %v", swept, fees, h.htlcTxFees(ac), owned)
			}
		})
	}
}

// TestReorgOfClaims: blocks holding the commitment's claims are
// disconnected, once while the claims are shallow and once with the
// commitment itself; everything is mined again and the monitor reaches
// the same end, reporting each sweep once.
func TestReorgOfClaims(t *testing.T) {
	for _, depth := range []int{1, 3} {
		h := newHarness(t, hopts{noBobMon: true})
		a, b := h.a, h.b
		base := h.ch.Height()
		id, pre := h.add(b, 100_000_000, base+30)
		h.fulfill(a, id, pre, false)
		bc, bsigs := h.localCommitment(b)
		h.mineTx(h.signedCommitment(b, bc, bsigs))
		h.mine(2)
		if _, err := h.ch.Reorg(h.ctx, depth); err != nil {
			t.Fatal(err)
		}
		h.mine(1)
		if _, err := h.ch.Reorg(h.ctx, 1); err != nil {
			t.Fatal(err)
		}
		h.mineUntilResolved(50, nil)
		evs := h.events(a)
		seen := map[string]bool{}
		for _, s := range eventsOf[*FundsSwept](evs) {
			if seen[s.Txid.String()] {
				t.Fatal("a sweep reported twice")
			}
			seen[s.Txid.String()] = true
		}
		owned := bc.ToRemote.Value + htlcOutput(t, bc, htlc.Offered, id).Output.Value
		swept, fees := h.checkSweeps(a)
		if swept+fees != owned || h.ch.Balance(a.dest) != swept {
			t.Fatalf("depth %d: swept %v + %v != %v", depth, swept, fees, owned)
		}
	}
}
