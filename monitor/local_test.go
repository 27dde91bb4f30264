package monitor

import (
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

var channelTypes = []script.ChannelType{script.StaticRemoteKey, script.Anchors}

// htlcOutput returns the output of commitment c carrying the HTLC with id
// and direction (the owner's), or fails.
func htlcOutput(t testing.TB, c *channel.Commitment, dir htlc.Direction, id uint64) *channel.CommitHTLC {
	t.Helper()
	ch := c.HTLCByID(dir, id)
	if ch == nil {
		t.Fatalf("commitment %d has no %v HTLC %d", c.Number, dir, id)
	}
	return ch
}

func opOf(c *channel.Commitment, o *channel.Output) btcwire.OutPoint {
	return btcwire.OutPoint{Hash: c.TxHash, Index: uint32(o.Index)}
}

// htlcResult finds the HTLCResolved event of an HTLC (this node's
// direction).
func htlcResult(evs []Event, dir htlc.Direction, id uint64) *HTLCResolved {
	for _, e := range eventsOf[*HTLCResolved](evs) {
		if e.HTLC.Direction == dir && e.HTLC.ID == id {
			return e
		}
	}
	return nil
}

func expectOutcome(t testing.TB, evs []Event, dir htlc.Direction, id uint64, want Outcome) *HTLCResolved {
	t.Helper()
	r := htlcResult(evs, dir, id)
	if r == nil {
		t.Fatalf("no outcome for %v HTLC %d:%s", dir, id, describe(evs))
	}
	if r.Outcome != want {
		t.Fatalf("%v HTLC %d: %v, want %v", dir, id, r.Outcome, want)
	}
	return r
}

// TestLocalCommitmentClose: alice force-closes with HTLCs in flight both
// ways. Her monitor broadcasts her commitment, the HTLC-success
// transaction of the HTLC she fulfilled (at once), the HTLC-timeout
// transaction of her expired HTLC (not before cltv_expiry), sweeps
// to_local and both HTLC transaction outputs after to_self_delay, learns
// the preimage bob's monitor reveals claiming another HTLC on chain, and
// reports every HTLC's outcome. Every satoshi she owned reaches her sweep
// script but for the fees.
func TestLocalCommitmentClose(t *testing.T) {
	for _, typ := range channelTypes {
		t.Run(typ.String(), func(t *testing.T) { testLocalClose(t, typ) })
	}
}

func testLocalClose(t *testing.T, typ script.ChannelType) {
	h := newHarness(t, hopts{typ: typ})
	a, b := h.a, h.b
	base := h.ch.Height()
	idA1, _ := h.add(a, 200_000_000, base+30)     // alice's, times out
	idA2, preA2 := h.add(a, 150_000_000, base+60) // alice's, bob claims it on chain
	idD, _ := h.add(a, 400_000, base+50)          // alice's, trimmed in her commitment
	idB1, preB1 := h.add(b, 300_000_000, base+40) // bob's, alice claims it on chain
	idB2, _ := h.add(b, 100_000_000, base+35)     // bob's, bob times it out on chain
	h.fulfill(b, idA2, preA2, false)
	h.fulfill(a, idB1, preB1, false)

	c, _ := h.localCommitment(a)
	if len(c.HTLCs) != 4 || len(c.Trimmed) != 1 {
		t.Fatalf("commitment has %d HTLC outputs and %d trimmed", len(c.HTLCs), len(c.Trimmed))
	}
	a1 := htlcOutput(t, c, htlc.Offered, idA1)
	b1 := htlcOutput(t, c, htlc.Received, idB1)
	if err := a.mon.ForceClose(h.ctx); err != nil {
		t.Fatal(err)
	}
	if h.spendInMempool(h.a.params.FundingOutpoint) == nil {
		t.Fatal("the commitment was not broadcast")
	}
	h.mine(1)
	if h.ch.Confirmations(c.TxHash) != 1 {
		t.Fatal("alice's commitment did not confirm")
	}
	a1op := opOf(c, &a1.Output)
	for i := 0; i < 200 && !(h.resolved(a) && h.resolved(b)); i++ {
		if tip := h.ch.Height(); tip < a1.CLTVExpiry {
			if tx := h.spendInMempool(a1op); tx != nil {
				t.Fatalf("HTLC-timeout in the mempool at height %d, cltv_expiry %d", tip, a1.CLTVExpiry)
			}
			if h.spender(a1op) != nil {
				t.Fatalf("HTLC %d spent at height %d, before cltv_expiry %d", idA1, tip, a1.CLTVExpiry)
			}
		}
		h.mine(1)
	}
	if !h.resolved(a) || !h.resolved(b) {
		t.Fatalf("not resolved; alice:%s\nbob:%s", describe(h.events(a)), describe(h.events(b)))
	}
	// The timeout was broadcast when the tip reached cltv_expiry and
	// confirmed in the next block.
	if tx := h.spender(a1op); tx == nil || tx.LockTime != a1.CLTVExpiry {
		t.Fatalf("HTLC-timeout: %v", tx)
	}
	evs := h.events(a)
	closed := eventsOf[*ChannelClosed](evs)
	if len(closed) != 1 || closed[0].Kind != CloseLocal || closed[0].Txid != c.TxHash {
		t.Fatalf("closed events: %s", describe(evs))
	}
	learned := eventsOf[*PreimageLearned](evs)
	if len(learned) != 1 || learned[0].Preimage != preA2 {
		t.Fatalf("preimages learned: %s", describe(evs))
	}
	expectOutcome(t, evs, htlc.Offered, idA1, Failed)
	if r := expectOutcome(t, evs, htlc.Offered, idA2, Settled); r.Preimage == nil || *r.Preimage != preA2 {
		t.Fatal("settled without the preimage")
	}
	expectOutcome(t, evs, htlc.Offered, idD, Failed)
	expectOutcome(t, evs, htlc.Received, idB1, Settled)
	expectOutcome(t, evs, htlc.Received, idB2, Failed)

	// Alice owned to_local, the timed-out HTLC and the HTLC she had the
	// preimage of.
	owned := c.ToLocal.Value + a1.Output.Value + b1.Output.Value
	swept, fees := h.checkSweeps(a)
	htlcFees := h.htlcTxFees(c)
	if swept+fees+htlcFees != owned {
		t.Fatalf("alice: swept %v + sweep fees %v + HTLC transaction fees %v != owned %v", swept, fees, htlcFees, owned)
	}
	if got := h.ch.Balance(a.dest); got != swept {
		t.Fatalf("alice's sweep script holds %v, swept %v", got, swept)
	}
	// Each sweep paid the estimator's rate (2500 sat/kw, no deadline
	// pressure here) for its weight with signatures at 73 bytes.
	for _, ev := range eventsOf[*FundsSwept](evs) {
		tx, _, _ := h.ch.Transaction(ev.Txid)
		checkFeeRate(t, tx, ev.Fee, 2500)
	}
	if typ == script.StaticRemoteKey {
		want := b1.SecondLevelTx.TxOut[0].Value + a1.SecondLevelTx.TxOut[0].Value
		if int64(a1.Output.Value+b1.Output.Value-htlcFees) != want {
			t.Fatalf("HTLC transactions paid %v in fees", htlcFees)
		}
	}

	// Bob's monitor took his to_remote, the HTLC he had the preimage of
	// and the one he timed out.
	bc := bobView(t, h, c)
	bobOwned := bc.ToRemote.Value + htlcOutput(t, bc, htlc.Received, idB2).Output.Value + htlcOutput(t, bc, htlc.Offered, idA2).Output.Value
	bswept, bfees := h.checkSweeps(b)
	if bswept+bfees != bobOwned || h.ch.Balance(b.dest) != bswept {
		t.Fatalf("bob: swept %v + fees %v != owned %v", bswept, bfees, bobOwned)
	}
}

// bobView rebuilds alice's commitment c as bob's monitor sees it (his
// remote commitment).
func bobView(t testing.TB, h *harness, c *channel.Commitment) *channel.Commitment {
	t.Helper()
	for _, u := range h.b.updates {
		if u.Remote != nil && u.Remote.TxID == c.TxHash {
			rc, err := channel.NewCommitment(h.b.params, channel.Remote, &u.Remote.State, u.Remote.Point)
			if err != nil {
				t.Fatal(err)
			}
			return rc
		}
	}
	t.Fatal("bob never signed that commitment")
	return nil
}

// checkFeeRate checks that fee is rate times tx's weight with every
// signature counted at its longest (73 bytes): at least rate on the
// actual weight, at most rate on the weight plus 2 per input.
func checkFeeRate(t testing.TB, tx *btcwire.MsgTx, fee btcutil.Amount, rate uint32) {
	t.Helper()
	w := int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
	lo := btcutil.Amount(int64(rate) * w / 1000)
	hi := btcutil.Amount(int64(rate) * (w + 2*int64(len(tx.TxIn))) / 1000)
	if fee < lo || fee > hi {
		t.Fatalf("tx %v: fee %v for weight %d, want %v..%v at %d sat/kw", tx.TxHash(), fee, w, lo, hi, rate)
	}
}

// TestLocalHTLCTransactionsBatched: under option_anchors the HTLC
// transactions of alice's commitment that share a locktime go out as one
// transaction, paid by one wallet coin (her wallet has only one): three
// HTLC-success transactions at once, two HTLC-timeout transactions with
// the same cltv_expiry at that height. Every output is swept after
// to_self_delay, and the HTLC values pass whole to alice.
func TestLocalHTLCTransactionsBatched(t *testing.T) {
	h := newHarness(t, hopts{typ: script.Anchors, noBobMon: true})
	a, b := h.a, h.b
	base := h.ch.Height()
	var received, offered []uint64
	if n := len(h.ch.Mempool()); n != 0 {
		t.Fatalf("%d transactions in the mempool", n)
	}
	var pres []htlc.Preimage
	for i := 0; i < 3; i++ {
		id, pre := h.add(b, 100_000_000+wireMsat(i), base+40)
		received, pres = append(received, id), append(pres, pre)
	}
	for i := 0; i < 2; i++ {
		id, _ := h.add(a, 50_000_000+wireMsat(i), base+20)
		offered = append(offered, id)
	}
	// Fulfilled, the fulfills never sent.
	for i, id := range received {
		h.fulfill(a, id, pres[i], false)
	}
	c, _ := h.localCommitment(a)
	h.forceClose(a)
	h.mineUntilResolved(100, nil)
	spenders := map[string]int{}
	var owned btcutil.Amount = c.ToLocal.Value
	for _, ch := range c.HTLCs {
		sp := h.spender(opOf(c, &ch.Output))
		if sp == nil {
			t.Fatalf("HTLC %v %d unspent", ch.Direction, ch.ID)
		}
		spenders[sp.TxHash().String()]++
		owned += ch.Output.Value
	}
	if len(spenders) != 2 {
		t.Fatalf("%d HTLC transactions for 5 HTLCs in 2 locktimes", len(spenders))
	}
	evs := h.events(a)
	for _, id := range received {
		expectOutcome(t, evs, htlc.Received, id, Settled)
	}
	for _, id := range offered {
		expectOutcome(t, evs, htlc.Offered, id, Failed)
	}
	swept, fees := h.checkSweeps(a)
	if swept+fees != owned || h.ch.Balance(a.dest) != swept {
		t.Fatalf("swept %v + %v != %v", swept, fees, owned)
	}
}

func wireMsat(i int) wire.MilliSatoshi { return wire.MilliSatoshi(i) * 1_000_000 }
