package channel

import (
	"errors"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

// copyKV snapshots a node's durable records.
func copyKV(kv *memKV) map[string][]byte {
	out := make(map[string][]byte, len(kv.durable))
	for k, v := range kv.durable {
		out[k] = append([]byte(nil), v...)
	}
	return out
}

// payRound has alice pay bob one HTLC, fully settled.
func payRound(t *testing.T, sp *simPair, amount wire.MilliSatoshi) {
	t.Helper()
	if _, err := sp.add(sp.a, amount); err != nil {
		t.Fatal(err)
	}
	if err := sp.sign(sp.a); err != nil {
		t.Fatal(err)
	}
	sp.settle()
	sp.resolveIncoming(sp.b, true)
	if err := sp.sign(sp.b); err != nil {
		t.Fatal(err)
	}
	sp.settle()
	sp.checkInvariants()
}

// TestReestablishDataLoss restores alice from an old copy of her store:
// bob's channel_reestablish proves she is behind, so she must fail the
// channel without broadcasting her (revoked) commitment, and keep bob's
// point to sweep her output of his; bob sees alice claim an old state and
// fails the channel with his own commitment.
func TestReestablishDataLoss(t *testing.T) {
	sp := newSimPair(t, pairOpts{push: 1_000_000_000})
	payRound(t, sp, 10_000_000)
	old := copyKV(sp.a.kv)
	payRound(t, sp, 20_000_000)
	payRound(t, sp, 30_000_000)

	sp.disconnect()
	sp.a.kv.durable = old
	sp.a.crash()
	sp.a.allowFail, sp.b.allowFail = true, true
	sp.reconnect()
	sp.settle()

	if sp.a.failed == nil || !errors.Is(sp.a.failed.Err, ErrDataLoss) {
		t.Fatalf("alice: %+v, want data loss", sp.a.failed)
	}
	if sp.a.failed.Broadcast {
		t.Fatal("alice may not broadcast a revoked commitment")
	}
	if sp.a.failed.RemotePoint == nil {
		t.Fatal("alice did not keep bob's per-commitment point")
	}
	bobPoint, _ := sp.b.cfg.Secrets.Point(sp.b.m.local.number)
	if !sp.a.failed.RemotePoint.IsEqual(bobPoint) {
		t.Fatal("alice kept a point that is not bob's current one")
	}
	if sp.b.failed == nil || !sp.b.failed.Broadcast {
		t.Fatalf("bob: %+v, want a failure with broadcast", sp.b.failed)
	}
}

// lostMessages runs a dance, drops the listed message types in flight at
// a disconnection, and checks that channel_reestablish retransmits them.
func TestReestablishRetransmits(t *testing.T) {
	cases := []struct {
		name string
		// run stops the dance at the point where messages are lost.
		run func(t *testing.T, sp *simPair)
	}{
		{"commitment_signed lost", func(t *testing.T, sp *simPair) {
			sp.add(sp.a, 10_000_000)
			sp.sign(sp.a)
			sp.a.flush()
			sp.deliver(sp.a) // the add only
		}},
		{"revoke_and_ack lost", func(t *testing.T, sp *simPair) {
			sp.add(sp.a, 10_000_000)
			sp.sign(sp.a)
			sp.a.flush()
			sp.deliver(sp.a)
			sp.deliver(sp.a) // commitment_signed; bob answers revoke + sign
			sp.b.flush()
		}},
		{"revoke_and_ack then commitment_signed lost", func(t *testing.T, sp *simPair) {
			// Bob revokes then signs: both lost, must come back in that
			// order.
			sp.add(sp.a, 10_000_000)
			sp.sign(sp.a)
			sp.a.flush()
			sp.deliver(sp.a)
			sp.deliver(sp.a)
			sp.b.flush()
			if len(sp.b.out) != 2 {
				t.Fatalf("bob sent %d messages", len(sp.b.out))
			}
		}},
		{"commitment_signed then revoke_and_ack lost", func(t *testing.T, sp *simPair) {
			// Bob signs first (his own add), then revokes alice's.
			sp.add(sp.a, 10_000_000)
			sp.add(sp.b, 5_000_000)
			sp.sign(sp.a)
			sp.sign(sp.b)
			sp.a.flush()
			sp.b.flush()
			for sp.deliver(sp.a) {
			}
			sp.b.flush()
			kinds := []wire.MessageType{}
			for _, m := range sp.b.out {
				kinds = append(kinds, m.MsgType())
			}
			if len(kinds) != 3 || kinds[1] != wire.MsgCommitmentSigned || kinds[2] != wire.MsgRevokeAndAck {
				t.Fatalf("bob's outbox %v", kinds)
			}
			sp.b.out = sp.b.out[:0] // all lost
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, crash := range []bool{false, true} {
				sp := newSimPair(t, pairOpts{push: 1_000_000_000})
				c.run(t, sp)
				sp.disconnect()
				if crash {
					sp.a.flush()
					sp.b.flush()
					sp.a.crash()
					sp.b.crash()
				}
				sp.reconnect()
				sp.settle()
				sp.checkInvariants()
				// Finish: everything must complete.
				if left := resolveAll(sp); left != 0 {
					t.Fatalf("crash=%v: %d HTLCs left", crash, left)
				}
			}
		})
	}
}

// TestReestablishMaxHTLCs fills the channel with 483 HTLCs each way, with
// an update_fee in the middle, crashes both sides, reconnects and settles
// them all.
func TestReestablishMaxHTLCs(t *testing.T) {
	if testing.Short() {
		t.Skip("483 HTLCs each way")
	}
	sp := newSimPair(t, pairOpts{funding: 16_000_000, push: 8_000_000_000, policy: Policy{MaxDustExposure: 1 << 40}})
	for i := 0; i < MaxHTLCs; i++ {
		amt := wire.MilliSatoshi(1_000_000 + 1000*i)
		if i%3 == 0 {
			amt = 100_000 // dust
		}
		if _, err := sp.add(sp.a, amt); err != nil {
			t.Fatalf("alice HTLC %d: %v", i, err)
		}
		if _, err := sp.add(sp.b, amt); err != nil {
			t.Fatalf("bob HTLC %d: %v", i, err)
		}
		if i == MaxHTLCs/2 {
			acts, err := sp.a.m.UpdateFee(3000)
			if err != nil {
				t.Fatal(err)
			}
			sp.a.apply(acts)
		}
	}
	if _, err := sp.add(sp.a, 1_000_000); !errors.Is(err, ErrHTLCLimit) {
		t.Fatalf("HTLC 484: %v", err)
	}
	sp.sign(sp.a)
	sp.sign(sp.b)
	sp.settle()
	sp.checkInvariants()
	if n := len(sp.a.m.LocalState().HTLCs); n != 2*MaxHTLCs {
		t.Fatalf("alice's commitment holds %d HTLCs", n)
	}
	sp.disconnect()
	sp.a.crash()
	sp.b.crash()
	sp.reconnect()
	sp.settle()
	sp.resolveIncoming(sp.a, true)
	sp.resolveIncoming(sp.b, false)
	for _, n := range []*simNode{sp.a, sp.b} {
		for _, li := range n.m.PendingIncoming() {
			var acts []Action
			var err error
			if n == sp.a {
				acts, err = n.m.FulfillHTLC(li.HTLC.ID, sp.preimages[li.HTLC.PaymentHash], nil)
			} else {
				acts, err = n.m.FailHTLC(li.HTLC.ID, []byte("x"), nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			n.apply(acts)
		}
	}
	sp.sign(sp.a)
	sp.sign(sp.b)
	sp.settle()
	sp.sign(sp.a)
	sp.sign(sp.b)
	sp.settle()
	sp.checkInvariants()
	if len(sp.a.m.htlcs)+len(sp.b.m.htlcs) != 0 {
		t.Fatalf("HTLCs left: %d, %d", len(sp.a.m.htlcs), len(sp.b.m.htlcs))
	}
}

// TestReestablishSignsUnsignedUpdates: both sides add an HTLC and lose
// the connection before their SignCommitment (which fails with
// ErrDisconnected), with or without a restart. After channel_reestablish
// nobody calls SignCommitment again: the retransmitted updates must be
// signed by the machines themselves, else the channel would hold them
// unsigned forever (seen in node's simulation: a payment part never
// committed, never failed).
func TestReestablishSignsUnsignedUpdates(t *testing.T) {
	for _, crash := range []bool{false, true} {
		for _, both := range []bool{false, true} {
			sp := newSimPair(t, pairOpts{push: 1_000_000_000})
			if _, err := sp.add(sp.a, 10_000_000); err != nil {
				t.Fatal(err)
			}
			if both {
				if _, err := sp.add(sp.b, 5_000_000); err != nil {
					t.Fatal(err)
				}
			}
			sp.a.flush()
			sp.b.flush()
			sp.disconnect()
			if err := sp.sign(sp.a); !errors.Is(err, ErrDisconnected) {
				t.Fatalf("sign while disconnected: %v", err)
			}
			if crash {
				sp.a.crash()
				sp.b.crash()
			}
			sp.reconnect()
			sp.settle()
			sp.checkInvariants()
			want := 1
			if both {
				want = 2
			}
			for _, n := range []*simNode{sp.a, sp.b} {
				if got := len(n.m.LocalState().HTLCs); got != want {
					t.Fatalf("crash=%v both=%v: %s's commitment holds %d HTLCs, want %d", crash, both, n.name, got, want)
				}
				if got := len(n.m.RemoteState().HTLCs); got != want {
					t.Fatalf("crash=%v both=%v: %s's view of the peer's commitment holds %d HTLCs, want %d", crash, both, n.name, got, want)
				}
			}
			// The HTLCs then resolve as usual.
			if left := resolveAll(sp); left != 0 {
				t.Fatalf("crash=%v both=%v: %d HTLCs left", crash, both, left)
			}
		}
	}
}

// resolveAll settles every HTLC both ways over a few rounds, checks the
// invariants and returns how many HTLCs are left (0 when all resolved).
func resolveAll(sp *simPair) int {
	for i := 0; i < 4; i++ {
		sp.resolveIncoming(sp.a, true)
		sp.resolveIncoming(sp.b, true)
		sp.sign(sp.a)
		sp.sign(sp.b)
		sp.settle()
	}
	sp.checkInvariants()
	return len(sp.a.m.htlcs) + len(sp.b.m.htlcs)
}
