package channel

import (
	"errors"
	"testing"

	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// resolveIncoming fulfills (or fails) every HTLC locked in at n.
func (sp *simPair) resolveIncoming(n *simNode, fulfill bool) int {
	sp.t.Helper()
	count := 0
	for _, ev := range n.takeEvents() {
		li, ok := ev.(*HTLCLockedIn)
		if !ok {
			continue
		}
		var acts []Action
		var err error
		if fulfill {
			acts, err = n.m.FulfillHTLC(li.HTLC.ID, sp.preimages[li.HTLC.PaymentHash], nil)
		} else {
			acts, err = n.m.FailHTLC(li.HTLC.ID, []byte("no thanks"), nil)
		}
		if err != nil {
			sp.t.Fatalf("%s resolving %d: %v", n.name, li.HTLC.ID, err)
		}
		n.apply(acts)
		count++
	}
	return count
}

func TestMachinePaymentBothTypes(t *testing.T) {
	for _, typ := range []script.ChannelType{script.StaticRemoteKey, script.Anchors} {
		t.Run(typ.String(), func(t *testing.T) {
			sp := newSimPair(t, pairOpts{typ: typ, push: 2_000_000_000})
			a, b := sp.a, sp.b
			startA, startB := a.m.Balance().Local, b.m.Balance().Local

			if _, err := sp.add(a, 50_000_000); err != nil {
				t.Fatal(err)
			}
			if err := sp.sign(a); err != nil {
				t.Fatal(err)
			}
			sp.settle()
			sp.checkInvariants()
			if n := sp.resolveIncoming(b, true); n != 1 {
				t.Fatalf("bob saw %d locked-in HTLCs, want 1", n)
			}
			if err := sp.sign(b); err != nil {
				t.Fatal(err)
			}
			sp.settle()
			sp.checkInvariants()
			var settled int
			for _, ev := range a.takeEvents() {
				if s, ok := ev.(*HTLCSettled); ok {
					settled++
					if !s.Preimage.Matches(s.PaymentHash) {
						t.Fatal("settled with a wrong preimage")
					}
				}
			}
			if settled != 1 {
				t.Fatalf("alice saw %d settlements", settled)
			}
			if got := a.m.Balance().Local; got != startA-50_000_000 {
				t.Fatalf("alice balance %v, want %v", got, startA-50_000_000)
			}
			if got := b.m.Balance().Local; got != startB+50_000_000 {
				t.Fatalf("bob balance %v, want %v", got, startB+50_000_000)
			}
			if len(a.m.htlcs) != 0 || len(b.m.htlcs) != 0 || len(a.m.log) != 0 || len(b.m.log) != 0 {
				t.Fatalf("leftover state: %d/%d htlcs, %d/%d log", len(a.m.htlcs), len(b.m.htlcs), len(a.m.log), len(b.m.log))
			}

			// Bob pays alice, alice fails it.
			if _, err := sp.add(b, 7_000_000); err != nil {
				t.Fatal(err)
			}
			if err := sp.sign(b); err != nil {
				t.Fatal(err)
			}
			sp.settle()
			if n := sp.resolveIncoming(a, false); n != 1 {
				t.Fatalf("alice saw %d locked-in HTLCs", n)
			}
			if err := sp.sign(a); err != nil {
				t.Fatal(err)
			}
			sp.settle()
			sp.checkInvariants()
			var failed int
			for _, ev := range b.takeEvents() {
				if f, ok := ev.(*HTLCFailed); ok {
					failed++
					if string(f.Reason) != "no thanks" {
						t.Fatalf("failure reason %q", f.Reason)
					}
				}
			}
			if failed != 1 {
				t.Fatalf("bob saw %d failures", failed)
			}
			if got := b.m.Balance().Local; got != startB+50_000_000 {
				t.Fatalf("bob balance after the failed HTLC %v", got)
			}

			// update_fee from the opener.
			acts, err := a.m.UpdateFee(5000)
			if err != nil {
				t.Fatal(err)
			}
			a.apply(acts)
			if err := sp.sign(a); err != nil {
				t.Fatal(err)
			}
			sp.settle()
			sp.checkInvariants()
			if a.m.local.feeRate != 5000 || b.m.local.feeRate != 5000 || a.m.remote.feeRate != 5000 || b.m.remote.feeRate != 5000 {
				t.Fatalf("fee rates %v %v %v %v", a.m.local.feeRate, b.m.local.feeRate, a.m.remote.feeRate, b.m.remote.feeRate)
			}
			if _, err := b.m.UpdateFee(6000); !errors.Is(err, ErrNotOpener) {
				t.Fatalf("non-opener update_fee: %v", err)
			}
		})
	}
}

// TestMachineCrossingSigs has both sides add and sign at once, so that
// commitment_signed messages cross on the wire.
func TestMachineCrossingSigs(t *testing.T) {
	sp := newSimPair(t, pairOpts{push: 3_000_000_000})
	a, b := sp.a, sp.b
	for i := 0; i < 5; i++ {
		if _, err := sp.add(a, wire.MilliSatoshi(1_000_000+i)); err != nil {
			t.Fatal(err)
		}
		if _, err := sp.add(b, wire.MilliSatoshi(2_000_000+i)); err != nil {
			t.Fatal(err)
		}
		if err := sp.sign(a); err != nil {
			t.Fatal(err)
		}
		if err := sp.sign(b); err != nil {
			t.Fatal(err)
		}
		a.flush()
		b.flush()
		// Deliver alternately.
		for sp.deliver(a) || sp.deliver(b) {
			a.flush()
			b.flush()
			sp.checkInvariants()
		}
	}
	sp.settle()
	sp.checkInvariants()
	na := sp.resolveIncoming(a, true)
	nb := sp.resolveIncoming(b, true)
	if na != 5 || nb != 5 {
		t.Fatalf("locked in: alice %d, bob %d", na, nb)
	}
	sp.sign(a)
	sp.sign(b)
	sp.settle()
	sp.checkInvariants()
	if len(a.m.htlcs) != 0 || len(b.m.htlcs) != 0 {
		t.Fatalf("leftover HTLCs %d %d", len(a.m.htlcs), len(b.m.htlcs))
	}
}

// TestMachineSpendable checks that an HTLC of exactly Spendable is
// accepted and one msat more is refused, both sides, both types.
func TestMachineSpendable(t *testing.T) {
	for _, typ := range []script.ChannelType{script.StaticRemoteKey, script.Anchors} {
		sp := newSimPair(t, pairOpts{typ: typ, push: 3_000_000_000})
		for _, n := range []*simNode{sp.a, sp.b} {
			max := n.m.Spendable(Local)
			if max == 0 {
				t.Fatalf("%s can spend nothing", n.name)
			}
			if _, err := sp.add(n, max+1); err == nil {
				t.Fatalf("%v %s: HTLC of Spendable+1 accepted", typ, n.name)
			}
			if _, err := sp.add(n, max); err != nil {
				t.Fatalf("%v %s: HTLC of Spendable refused: %v", typ, n.name, err)
			}
		}
	}
}
