package monitor

import (
	"testing"

	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// deliver hands every queued message of from to its peer, and drops what
// the peer sends back.
func (h *harness) deliverOneWay(from *tnode) {
	h.t.Helper()
	to := h.peer(from)
	for len(from.out) > 0 {
		msg := from.out[0]
		from.out = from.out[1:]
		acts, err := to.m.ReceiveMessage(h.ctx, msg)
		if err != nil {
			h.t.Fatalf("%s receiving %v: %v", to.name, msg.MsgType(), err)
		}
		h.apply(to, acts)
	}
	to.out = nil
}

// TestRemoteCommitmentClose: bob goes on chain with his current
// commitment, with his pending one (alice signed it, bob has not revoked
// the previous one to her), or with the previous one (which alice still
// counts as unrevoked). Alice's monitor claims her to_remote output, the
// HTLC she fulfilled with its preimage, her expired HTLCs after
// cltv_expiry, learns the preimage bob's HTLC-success transaction
// reveals, and reports every outcome.
func TestRemoteCommitmentClose(t *testing.T) {
	for _, typ := range channelTypes {
		for _, which := range []string{"current", "pending", "previous"} {
			t.Run(typ.String()+"/"+which, func(t *testing.T) { testRemoteClose(t, typ, which) })
		}
	}
}

func testRemoteClose(t *testing.T, typ script.ChannelType, which string) {
	h := newHarness(t, hopts{typ: typ})
	a, b := h.a, h.b
	base := h.ch.Height()
	idA1, _ := h.add(a, 200_000_000, base+30)     // alice's, she times it out
	idA2, preA2 := h.add(a, 150_000_000, base+60) // alice's, bob claims it
	idB1, preB1 := h.add(b, 300_000_000, base+40) // bob's, alice claims it
	idB2, _ := h.add(b, 100_000_000, base+35)     // bob's, he times it out
	prevBob, prevSigs := h.localCommitment(b)

	var idA3 uint64
	if which != "current" {
		// Alice offers one more HTLC; bob receives her commitment_signed
		// but his revoke_and_ack never reaches her.
		var onion [wire.OnionPacketSize]byte
		pre := htlc.Preimage{0xa3}
		id, acts, err := a.m.AddHTLC(&channel.AddHTLC{Amount: 120_000_000, PaymentHash: pre.Hash(), Expiry: base + 45, Onion: &onion})
		if err != nil {
			t.Fatal(err)
		}
		idA3 = id
		h.apply(a, acts)
		h.sign(a)
		h.deliverOneWay(a)
	}
	// The fulfills are never sent: both monitors know the preimages,
	// the commitments still carry the HTLCs.
	h.fulfill(b, idA2, preA2, false)
	h.fulfill(a, idB1, preB1, false)
	bc, _ := h.localCommitment(b)
	switch which {
	case "previous":
		bc = prevBob
		h.mineTx(h.signedCommitment(b, prevBob, prevSigs))
	default:
		if err := b.mon.ForceClose(h.ctx); err != nil {
			t.Fatal(err)
		}
		h.mine(1)
	}
	if h.ch.Confirmations(bc.TxHash) != 1 {
		t.Fatalf("bob's commitment %d did not confirm", bc.Number)
	}
	ac := bc // alice's view of it
	for _, u := range a.updates {
		if u.Remote != nil && u.Remote.TxID == bc.TxHash {
			var err error
			if ac, err = channel.NewCommitment(a.params, channel.Remote, &u.Remote.State, u.Remote.Point); err != nil {
				t.Fatal(err)
			}
		}
	}
	if ac == bc {
		t.Fatal("alice never signed bob's commitment")
	}
	a1 := htlcOutput(t, ac, htlc.Received, idA1)
	a1op := opOf(ac, &a1.Output)
	for i := 0; i < 200 && !(h.resolved(a) && h.resolved(b)); i++ {
		if tip := h.ch.Height(); tip < a1.CLTVExpiry && (h.spendInMempool(a1op) != nil || h.spender(a1op) != nil) {
			t.Fatalf("HTLC %d claimed back at height %d, before cltv_expiry %d", idA1, tip, a1.CLTVExpiry)
		}
		h.mine(1)
	}
	evs := h.events(a)
	if !h.resolved(a) {
		t.Fatalf("not resolved:%s", describe(evs))
	}
	closed := eventsOf[*ChannelClosed](evs)
	if len(closed) != 1 || closed[0].Kind != CloseRemote || closed[0].CommitmentNumber != bc.Number {
		t.Fatalf("closed: %s", describe(evs))
	}
	learned := eventsOf[*PreimageLearned](evs)
	if len(learned) != 1 || learned[0].Preimage != preA2 {
		t.Fatalf("preimages: %s", describe(evs))
	}
	expectOutcome(t, evs, htlc.Offered, idA1, Failed)
	expectOutcome(t, evs, htlc.Offered, idA2, Settled)
	expectOutcome(t, evs, htlc.Received, idB1, Settled)
	expectOutcome(t, evs, htlc.Received, idB2, Failed)
	owned := ac.ToRemote.Value + a1.Output.Value + htlcOutput(t, ac, htlc.Offered, idB1).Output.Value
	if which == "pending" {
		a3 := htlcOutput(t, ac, htlc.Received, idA3)
		owned += a3.Output.Value
		expectOutcome(t, evs, htlc.Offered, idA3, Failed)
	}
	if which == "previous" {
		// A3 is not in bob's previous commitment: failed once it is deep.
		if r := expectOutcome(t, evs, htlc.Offered, idA3, Failed); r.Txid != bc.TxHash {
			t.Fatalf("A3 failed by %v", r.Txid)
		}
	}
	swept, fees := h.checkSweeps(a)
	if swept+fees != owned || h.ch.Balance(a.dest) != swept {
		t.Fatalf("alice: swept %v + fees %v != owned %v (balance %v)", swept, fees, owned, h.ch.Balance(a.dest))
	}
	// The to_remote claim waited for one confirmation under anchors and
	// went out at once otherwise: it confirmed in the block after the
	// commitment either way (chainsim mines the mempool).
	tr := h.spender(opOf(ac, &ac.ToRemote))
	if tr == nil {
		t.Fatal("to_remote not swept")
	}
}
