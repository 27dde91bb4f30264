package monitor

import (
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
)

// breachPolicy keeps alice's monitor from going on chain by itself while
// the test lets HTLCs expire before bob cheats.
func breachPolicy() Policy {
	p := testPolicy()
	p.OfferedGrace = 10_000
	return p
}

// breachHistory runs payments both ways, leaving a history of bob's
// commitments with different HTLC sets, and returns the highest
// cltv_expiry used.
func breachHistory(h *harness) uint32 {
	a, b := h.a, h.b
	e := h.ch.Height() + 6
	idA1, preA1 := h.add(a, 200_000_000, e)
	idB1, _ := h.add(b, 300_000_000, e)
	h.add(a, 50_000_000, e+1)
	h.fulfill(b, idA1, preA1, true)
	h.add(b, 600_000, e) // trimmed in some commitments
	h.failHTLC(a, idB1)
	h.add(a, 80_000_000, e+2)
	idB3, preB3 := h.add(b, 120_000_000, e+1)
	h.fulfill(a, idB3, preB3, true)
	h.add(b, 70_000_000, e+2)
	return e + 2
}

// cheaterHTLCTxs returns bob's HTLC transactions for every HTLC output of
// his commitment c that he can spend at height (HTLC-success with the
// preimage, HTLC-timeout from cltv_expiry on), signed by bob. With
// batched (option_anchors only) the transactions with the same locktime
// are joined into one, as SIGHASH_SINGLE|SIGHASH_ANYONECANPAY allows; bob
// signs his inputs again over the whole transaction.
func (h *harness) cheaterHTLCTxs(c *channel.Commitment, sigs channel.CommitSigs, height uint32, batched bool) []*btcwire.MsgTx {
	h.t.Helper()
	b := h.b
	type item struct {
		i   int
		pre *htlc.Preimage
	}
	byLock := map[uint32][]item{}
	var locks []uint32
	for i := range c.HTLCs {
		ch := &c.HTLCs[i]
		var pre *htlc.Preimage
		if ch.Direction == htlc.Offered {
			if height < ch.CLTVExpiry {
				continue
			}
		} else {
			p := h.pre[ch.PaymentHash]
			pre = &p
		}
		lt := ch.SecondLevelTx.LockTime
		if _, ok := byLock[lt]; !ok {
			locks = append(locks, lt)
		}
		byLock[lt] = append(byLock[lt], item{i, pre})
	}
	var out []*btcwire.MsgTx
	for _, lt := range locks {
		items := byLock[lt]
		if !batched || len(items) == 1 {
			for _, it := range items {
				tx, err := channel.SignedHTLCTx(h.ctx, b.signer, c, it.i, sigs.HTLCSigs[it.i], it.pre)
				if err != nil {
					h.t.Fatal(err)
				}
				out = append(out, tx)
			}
			continue
		}
		tx := btcwire.NewMsgTx(2)
		tx.LockTime = lt
		fetcher := txscript.NewMultiPrevOutFetcher(nil)
		for _, it := range items {
			ch := &c.HTLCs[it.i]
			tx.AddTxIn(ch.SecondLevelTx.TxIn[0])
			tx.AddTxOut(ch.SecondLevelTx.TxOut[0])
			fetcher.AddPrevOut(ch.SecondLevelTx.TxIn[0].PreviousOutPoint, &btcwire.TxOut{Value: int64(ch.Output.Value), PkScript: ch.Output.PkScript})
		}
		tx = tx.Copy()
		hashes := txscript.NewTxSigHashes(tx, fetcher)
		for k, it := range items {
			ch := &c.HTLCs[it.i]
			ls, err := b.signer.SignInput(h.ctx, &channel.SignRequest{
				Key: channel.KeyHTLC, PerCommitmentPoint: c.Keys.PerCommitmentPoint, Tx: tx, InputIndex: k,
				WitnessScript: ch.Output.WitnessScript, Value: ch.Output.Value, HashType: txscript.SigHashAll, SigHashes: hashes,
			})
			if err != nil {
				h.t.Fatal(err)
			}
			lsig, _ := ls.ToECDSA()
			rsig, _ := sigs.HTLCSigs[it.i].ToECDSA()
			if ch.Direction == htlc.Offered {
				tx.TxIn[k].Witness = htlc.TimeoutWitness(c.Type, rsig, lsig, ch.Output.WitnessScript)
			} else {
				tx.TxIn[k].Witness = htlc.SuccessWitness(c.Type, rsig, lsig, *it.pre, ch.Output.WitnessScript)
			}
		}
		out = append(out, tx)
	}
	return out
}

// TestBreachEveryRevokedCommitment drives two Machines through a history
// of payments, then, on a fresh chain each time, has bob broadcast each
// of his revoked commitments in turn: alone, then racing alice's justice
// transaction with his HTLC transactions mined first, and under
// option_anchors with those batched into one transaction. Alice's monitor
// takes 100% of every output but the anchors, through the revocation key,
// and bob ends with nothing from the channel.
func TestBreachEveryRevokedCommitment(t *testing.T) {
	for _, typ := range channelTypes {
		variants := []string{"alone", "race"}
		if typ.HasAnchors() {
			variants = append(variants, "race-batched")
		}
		// The history once, to count bob's commitments.
		h := newHarness(t, hopts{typ: typ, noBobMon: true, policy: breachPolicy()})
		breachHistory(h)
		olds := h.oldCommitments(h.b)
		if len(olds) < 10 {
			t.Fatalf("only %d commitments of bob's", len(olds))
		}
		for k := 0; k < len(olds)-1; k++ {
			for _, v := range variants {
				t.Run(fmt.Sprintf("%v/commitment-%d/%s", typ, olds[k].State.Number, v), func(t *testing.T) {
					testBreach(t, typ, k, v)
				})
			}
		}
	}
}

func testBreach(t *testing.T, typ script.ChannelType, k int, variant string) {
	h := newHarness(t, hopts{typ: typ, noBobMon: true, policy: breachPolicy()})
	maxExpiry := breachHistory(h)
	a, b := h.a, h.b
	olds := h.oldCommitments(b)
	info := olds[k]
	c := h.build(b, info)
	commit := h.signedCommitment(b, c, info.Sigs)
	if variant != "alone" {
		// Let every HTLC expire, so that bob can race with HTLC-timeout
		// transactions too.
		for h.ch.Height() < maxExpiry {
			h.mineEmpty(1)
		}
	}
	h.mineTx(commit)
	var cheats []*btcwire.MsgTx
	if variant != "alone" {
		// Alice's justice transaction is in the mempool; bob's HTLC
		// transactions are mined first.
		inPool := false
		for i := range c.Tx.TxOut {
			if h.spendInMempool(btcwire.OutPoint{Hash: c.TxHash, Index: uint32(i)}) != nil {
				inPool = true
			}
		}
		if !inPool {
			t.Fatal("no justice transaction in the mempool after the revoked commitment confirmed")
		}
		cheats = h.cheaterHTLCTxs(c, info.Sigs, h.ch.Height(), variant == "race-batched")
		if len(cheats) > 0 {
			h.mineTx(cheats...)
		}
	}
	h.mineUntilResolved(200, nil)
	evs := h.events(a)
	closed := eventsOf[*ChannelClosed](evs)
	if len(closed) != 1 || closed[0].Kind != CloseRevoked || closed[0].CommitmentNumber != c.Number {
		t.Fatalf("closed: %s", describe(evs))
	}
	if alerts := eventsOf[*Alert](evs); len(alerts) > 0 {
		t.Fatalf("alerts: %s", describe(evs))
	}

	// Every output but the anchors went to alice, directly or through
	// bob's HTLC transactions.
	var owned, cheaterFees btcutil.Amount
	secondStage := 0
	isAnchor := func(i int) bool {
		return (c.LocalAnchor.Present() && i == c.LocalAnchor.Index) || (c.RemoteAnchor.Present() && i == c.RemoteAnchor.Index)
	}
	for i, out := range c.Tx.TxOut {
		if isAnchor(i) {
			continue
		}
		owned += btcutil.Amount(out.Value)
		op := btcwire.OutPoint{Hash: c.TxHash, Index: uint32(i)}
		sp := h.spender(op)
		if sp == nil {
			t.Fatalf("output %d of the revoked commitment unspent", i)
		}
		if h.paysTo(sp, a.dest) {
			continue
		}
		// Bob's HTLC transaction: its paired output must be alice's.
		k := inputIndex(sp, op)
		second := btcwire.OutPoint{Hash: sp.TxHash(), Index: uint32(k)}
		sp2 := h.spender(second)
		if sp2 == nil || !h.paysTo(sp2, a.dest) {
			t.Fatalf("output %d: bob's HTLC transaction output %v not taken by alice", i, second)
		}
		cheaterFees += btcutil.Amount(out.Value - sp.TxOut[k].Value)
		secondStage++
	}
	if variant != "alone" && secondStage != len(c.HTLCs) {
		t.Fatalf("%d of %d HTLC outputs went through bob's HTLC transactions", secondStage, len(c.HTLCs))
	}
	if variant == "alone" && secondStage != 0 {
		t.Fatal("bob's HTLC transactions confirmed without a race")
	}
	if variant == "race-batched" {
		locks := map[uint32]bool{}
		for _, ch := range c.HTLCs {
			locks[ch.SecondLevelTx.LockTime] = true
		}
		if len(cheats) != len(locks) {
			t.Fatalf("%d HTLC transactions for %d locktimes: not batched", len(cheats), len(locks))
		}
	}
	t.Logf("%d HTLC outputs, %d through bob's %d HTLC transactions, swept in %d transactions",
		len(c.HTLCs), secondStage, len(cheats), len(eventsOf[*FundsSwept](evs)))
	swept, fees := h.checkSweeps(a)
	if swept+fees+cheaterFees != owned {
		t.Fatalf("swept %v + fees %v + bob's HTLC fees %v != %v", swept, fees, cheaterFees, owned)
	}
	if h.ch.Balance(a.dest) != swept {
		t.Fatal("sweep script balance")
	}
	if bal := h.ch.Balance(b.dest); bal != 0 {
		t.Fatalf("bob got %v", bal)
	}
	for _, tx := range cheats {
		h.verifyTx(tx)
	}
}

func (h *harness) paysTo(tx *btcwire.MsgTx, pk []byte) bool {
	for _, o := range tx.TxOut {
		if string(o.PkScript) == string(pk) {
			return true
		}
	}
	return false
}

func inputIndex(tx *btcwire.MsgTx, op btcwire.OutPoint) int {
	for i, in := range tx.TxIn {
		if in.PreviousOutPoint == op {
			return i
		}
	}
	return -1
}
