package channel

import (
	"errors"
	"testing"

	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/wire"
)

// expectFailure delivers msg to n and checks that the channel fails with an
// error wrapping every one of want, sends an error message, and refuses
// further input.
func expectFailure(t *testing.T, sp *simPair, n *simNode, msg wire.Message, want ...error) {
	t.Helper()
	n.allowFail = true
	acts, err := n.m.ReceiveMessage(sp.ctx, msg)
	if err == nil {
		t.Fatalf("%v accepted", msg.MsgType())
	}
	for _, w := range want {
		if !errors.Is(err, w) {
			t.Fatalf("error %v does not wrap %v", err, w)
		}
	}
	var sentError, failed bool
	for _, a := range acts {
		switch a := a.(type) {
		case *Send:
			if _, ok := a.Msg.(*wire.Error); ok {
				sentError = true
			}
		case *ChannelFailed:
			failed = true
			if !a.Broadcast {
				t.Fatal("a peer's violation must leave the local commitment broadcastable")
			}
		}
	}
	if !sentError || !failed {
		t.Fatalf("actions %v: want an error message and ChannelFailed", acts)
	}
	if n.m.Failed() == nil {
		t.Fatal("machine not failed")
	}
	if _, _, err := n.m.AddHTLC(&AddHTLC{Amount: 1000, Expiry: 1000, Onion: new([wire.OnionPacketSize]byte)}); !errors.Is(err, ErrChannelFailed) {
		t.Fatalf("failed channel accepted a command: %v", err)
	}
	if _, err := n.m.ReceiveMessage(sp.ctx, &wire.UpdateFee{ChannelID: n.m.ChannelID(), FeeRate: 300}); !errors.Is(err, ErrChannelFailed) {
		t.Fatalf("failed channel accepted a message: %v", err)
	}
}

// takeSent removes and returns the first message of type T that n sent.
func takeSent[T wire.Message](t *testing.T, n *simNode) T {
	t.Helper()
	n.flush()
	for i, m := range n.out {
		if v, ok := m.(T); ok {
			n.out = append(n.out[:i], n.out[i+1:]...)
			return v
		}
	}
	var zero T
	t.Fatalf("%s sent no %T", n.name, zero)
	return zero
}

// pendingAdd has alice offer one non-dust HTLC, sign, and deliver the add
// to bob; alice's commitment_signed is returned undelivered.
func pendingAdd(t *testing.T) (*simPair, *wire.CommitmentSigned) {
	sp := newSimPair(t, pairOpts{push: 1_000_000_000})
	if _, err := sp.add(sp.a, 20_000_000); err != nil {
		t.Fatal(err)
	}
	if err := sp.sign(sp.a); err != nil {
		t.Fatal(err)
	}
	cs := takeSent[*wire.CommitmentSigned](t, sp.a)
	sp.deliver(sp.a) // the update_add_htlc
	return sp, cs
}

func TestAdversarialCommitmentSigned(t *testing.T) {
	t.Run("bad commitment signature", func(t *testing.T) {
		sp, cs := pendingAdd(t)
		cs.Signature[10] ^= 1
		expectFailure(t, sp, sp.b, cs, ErrProtocolViolation, ErrInvalidCommitSig)
	})
	t.Run("bad HTLC signature", func(t *testing.T) {
		sp, cs := pendingAdd(t)
		cs.HTLCSignatures[0][40] ^= 1
		expectFailure(t, sp, sp.b, cs, ErrProtocolViolation, ErrInvalidHTLCSig)
	})
	t.Run("too few HTLC signatures", func(t *testing.T) {
		sp, cs := pendingAdd(t)
		cs.HTLCSignatures = nil
		expectFailure(t, sp, sp.b, cs, ErrProtocolViolation, ErrHTLCSigCount)
	})
	t.Run("too many HTLC signatures", func(t *testing.T) {
		sp, cs := pendingAdd(t)
		cs.HTLCSignatures = append(cs.HTLCSignatures, cs.HTLCSignatures[0])
		expectFailure(t, sp, sp.b, cs, ErrProtocolViolation, ErrHTLCSigCount)
	})
	t.Run("no updates", func(t *testing.T) {
		sp, cs := pendingAdd(t)
		acts, err := sp.b.m.ReceiveMessage(sp.ctx, cs)
		if err != nil {
			t.Fatal(err)
		}
		sp.b.apply(acts)
		// Everything is committed on both sides: the same signature
		// again covers nothing.
		sp.settle()
		if len(sp.a.m.log)+len(sp.b.m.log) != 0 {
			t.Fatal("updates still pending")
		}
		expectFailure(t, sp, sp.b, cs, ErrProtocolViolation)
	})
}

func TestAdversarialRevokeAndAck(t *testing.T) {
	t.Run("secret does not match", func(t *testing.T) {
		sp, cs := pendingAdd(t)
		if _, err := sp.b.m.ReceiveMessage(sp.ctx, cs); err != nil {
			t.Fatal(err)
		}
		sp.b.apply(nil)
		rev := &wire.RevokeAndAck{ChannelID: sp.a.m.ChannelID(), NextPerCommitmentPoint: wire.NewPoint(secretsFor("x").HTLC.PubKey())}
		rev.PerCommitmentSecret[0] = 7
		expectFailure(t, sp, sp.a, rev, ErrProtocolViolation)
	})
	t.Run("no pending commitment", func(t *testing.T) {
		sp := newSimPair(t, pairOpts{})
		rev := &wire.RevokeAndAck{ChannelID: sp.a.m.ChannelID(), NextPerCommitmentPoint: wire.NewPoint(secretsFor("x").HTLC.PubKey())}
		expectFailure(t, sp, sp.a, rev, ErrProtocolViolation)
	})
}

// addMsg is a valid-looking update_add_htlc from the peer.
func addMsg(n *simNode, id uint64, amount wire.MilliSatoshi, expiry uint32) *wire.UpdateAddHTLC {
	var pre htlc.Preimage
	pre[0] = byte(id)
	return &wire.UpdateAddHTLC{ChannelID: n.m.ChannelID(), ID: id, Amount: amount, PaymentHash: pre.Hash(), Expiry: expiry}
}

func TestAdversarialUpdateAddHTLC(t *testing.T) {
	limits := Constraints{MaxHTLCValueInFlight: 100_000_000, ChannelReserve: 100_000, HTLCMinimum: 5000, MaxAcceptedHTLCs: 3}
	newPair := func(t *testing.T) *simPair {
		return newSimPair(t, pairOpts{push: 2_000_000_000, constraints: limits})
	}
	// Bob (not the opener) offers to alice, who checks.
	cases := []struct {
		name string
		prep func(t *testing.T, sp *simPair)
		msg  func(sp *simPair) *wire.UpdateAddHTLC
	}{
		{"zero amount", nil, func(sp *simPair) *wire.UpdateAddHTLC { return addMsg(sp.a, 0, 0, 1000) }},
		{"below htlc_minimum_msat", nil, func(sp *simPair) *wire.UpdateAddHTLC { return addMsg(sp.a, 0, 4999, 1000) }},
		{"cltv_expiry is a timestamp", nil, func(sp *simPair) *wire.UpdateAddHTLC { return addMsg(sp.a, 0, 10_000, 500_000_000) }},
		{"id gap", nil, func(sp *simPair) *wire.UpdateAddHTLC { return addMsg(sp.a, 1, 10_000, 1000) }},
		{"over max_htlc_value_in_flight_msat", nil, func(sp *simPair) *wire.UpdateAddHTLC { return addMsg(sp.a, 0, 100_000_001, 1000) }},
		{"more than the sender owns", nil, func(sp *simPair) *wire.UpdateAddHTLC {
			return addMsg(sp.a, 0, 2_000_000_001, 1000)
		}},
		{"breaks the sender's reserve", nil, func(sp *simPair) *wire.UpdateAddHTLC {
			// Bob owns 2 000 000 sat and must keep 100 000.
			return addMsg(sp.a, 0, 1_900_000_001, 1000)
		}},
		{"over max_accepted_htlcs", func(t *testing.T, sp *simPair) {
			for i := uint64(0); i < 3; i++ {
				if _, err := sp.a.m.ReceiveMessage(sp.ctx, addMsg(sp.a, i, 10_000, 1000)); err != nil {
					t.Fatal(err)
				}
			}
		}, func(sp *simPair) *wire.UpdateAddHTLC { return addMsg(sp.a, 3, 10_000, 1000) }},
		{"after shutdown", func(t *testing.T, sp *simPair) {
			if _, err := sp.a.m.ReceiveMessage(sp.ctx, &wire.Shutdown{ChannelID: sp.a.m.ChannelID(), ScriptPubKey: []byte{0, 20, 1, 2}}); err != nil {
				t.Fatal(err)
			}
		}, func(sp *simPair) *wire.UpdateAddHTLC { return addMsg(sp.a, 0, 10_000, 1000) }},
		{"after stfu", func(t *testing.T, sp *simPair) {
			if _, err := sp.a.m.ReceiveMessage(sp.ctx, &wire.Stfu{ChannelID: sp.a.m.ChannelID(), Initiator: 1}); err != nil {
				t.Fatal(err)
			}
		}, func(sp *simPair) *wire.UpdateAddHTLC { return addMsg(sp.a, 0, 10_000, 1000) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp := newPair(t)
			if c.prep != nil {
				c.prep(t, sp)
			}
			var cause error = ErrProtocolViolation
			expectFailure(t, sp, sp.a, c.msg(sp), cause)
		})
	}
	// The same limits refuse this node's own commands with typed errors.
	t.Run("local limits", func(t *testing.T) {
		sp := newPair(t)
		onion := new([wire.OnionPacketSize]byte)
		for _, c := range []struct {
			a    AddHTLC
			want error
		}{
			{AddHTLC{Amount: 4999, Expiry: 1000, Onion: onion}, ErrHTLCLimit},
			{AddHTLC{Amount: 100_000_001, Expiry: 1000, Onion: onion}, ErrHTLCLimit},
			{AddHTLC{Amount: 10_000, Expiry: 500_000_000, Onion: onion}, ErrHTLCExpiry},
			{AddHTLC{Amount: 99_000_000, Expiry: 1000, Onion: onion}, nil},
			{AddHTLC{Amount: 99_000_000, Expiry: 1000, Onion: onion}, ErrHTLCLimit}, // in flight
		} {
			_, _, err := sp.a.m.AddHTLC(&c.a)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("AddHTLC(%v): %v, want %v", c.a.Amount, err, c.want)
			}
		}
		// Bob cannot spend into his reserve.
		if _, _, err := sp.b.m.AddHTLC(&AddHTLC{Amount: 1_950_000_000, Expiry: 1000, Onion: onion}); !errors.Is(err, ErrHTLCLimit) && !errors.Is(err, ErrInsufficientBalance) {
			t.Fatalf("reserve: %v", err)
		}
	})
}

func TestAdversarialRemovals(t *testing.T) {
	// A committed HTLC from alice to bob.
	setup := func(t *testing.T) *simPair {
		sp := newSimPair(t, pairOpts{push: 1_000_000_000})
		if _, err := sp.add(sp.a, 20_000_000); err != nil {
			t.Fatal(err)
		}
		sp.sign(sp.a)
		sp.settle()
		return sp
	}
	id := uint64(0)
	t.Run("fulfill with a wrong preimage", func(t *testing.T) {
		sp := setup(t)
		expectFailure(t, sp, sp.a, &wire.UpdateFulfillHTLC{ChannelID: sp.a.m.ChannelID(), ID: id, PaymentPreimage: [32]byte{9}}, ErrProtocolViolation)
	})
	t.Run("fulfill of an unknown HTLC", func(t *testing.T) {
		sp := setup(t)
		expectFailure(t, sp, sp.a, &wire.UpdateFulfillHTLC{ChannelID: sp.a.m.ChannelID(), ID: 5}, ErrProtocolViolation)
	})
	t.Run("fail of an HTLC not yet committed", func(t *testing.T) {
		sp := newSimPair(t, pairOpts{push: 1_000_000_000})
		if _, err := sp.add(sp.a, 20_000_000); err != nil {
			t.Fatal(err)
		}
		sp.a.flush()
		expectFailure(t, sp, sp.a, &wire.UpdateFailHTLC{ChannelID: sp.a.m.ChannelID(), ID: 0, Reason: []byte{1}}, ErrProtocolViolation)
	})
	t.Run("second removal", func(t *testing.T) {
		sp := setup(t)
		if _, err := sp.a.m.ReceiveMessage(sp.ctx, &wire.UpdateFailHTLC{ChannelID: sp.a.m.ChannelID(), ID: id, Reason: []byte{1}}); err != nil {
			t.Fatal(err)
		}
		expectFailure(t, sp, sp.a, &wire.UpdateFailHTLC{ChannelID: sp.a.m.ChannelID(), ID: id, Reason: []byte{2}}, ErrProtocolViolation)
	})
	t.Run("malformed without BADONION", func(t *testing.T) {
		sp := setup(t)
		expectFailure(t, sp, sp.a, &wire.UpdateFailMalformedHTLC{ChannelID: sp.a.m.ChannelID(), ID: id, FailureCode: 0x4000 | 5}, ErrProtocolViolation)
	})
	t.Run("local fulfill with a wrong preimage", func(t *testing.T) {
		sp := setup(t)
		if _, err := sp.b.m.FulfillHTLC(id, htlc.Preimage{1}, nil); !errors.Is(err, ErrWrongPreimage) {
			t.Fatalf("got %v", err)
		}
		if _, err := sp.b.m.FailMalformedHTLC(id, [32]byte{}, 0x4000); !errors.Is(err, ErrInvalidHTLC) {
			t.Fatalf("got %v", err)
		}
		if _, err := sp.b.m.FailHTLC(id+1, nil, nil); !errors.Is(err, ErrUnknownHTLC) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestAdversarialUpdateFee(t *testing.T) {
	t.Run("from the non-opener", func(t *testing.T) {
		sp := newSimPair(t, pairOpts{})
		// Alice opened; bob receives update_fee "from alice" fine, but
		// alice must refuse one from bob.
		expectFailure(t, sp, sp.a, &wire.UpdateFee{ChannelID: sp.a.m.ChannelID(), FeeRate: 3000}, ErrProtocolViolation)
	})
	t.Run("too low", func(t *testing.T) {
		sp := newSimPair(t, pairOpts{})
		expectFailure(t, sp, sp.b, &wire.UpdateFee{ChannelID: sp.b.m.ChannelID(), FeeRate: 252}, ErrProtocolViolation)
	})
	t.Run("too high", func(t *testing.T) {
		sp := newSimPair(t, pairOpts{})
		expectFailure(t, sp, sp.b, &wire.UpdateFee{ChannelID: sp.b.m.ChannelID(), FeeRate: 100_001}, ErrProtocolViolation)
	})
	t.Run("opener cannot afford it", func(t *testing.T) {
		// Alice pushed almost everything to bob.
		sp := newSimPair(t, pairOpts{push: 9_850_000_000, policy: Policy{MaxFeeRate: 90_000}})
		expectFailure(t, sp, sp.b, &wire.UpdateFee{ChannelID: sp.b.m.ChannelID(), FeeRate: 90_000}, ErrProtocolViolation)
	})
}

func TestAdversarialReestablish(t *testing.T) {
	base := func(t *testing.T) (*simPair, *wire.ChannelReestablish) {
		sp := newSimPair(t, pairOpts{push: 1_000_000_000})
		for i := 0; i < 3; i++ {
			sp.add(sp.a, 20_000_000)
			sp.sign(sp.a)
			sp.settle()
		}
		sp.disconnect()
		sp.a.apply(sp.a.m.Reconnected())
		sp.b.apply(sp.b.m.Reconnected())
		return sp, takeSent[*wire.ChannelReestablish](t, sp.b)
	}
	t.Run("impossible next_commitment_number", func(t *testing.T) {
		sp, re := base(t)
		re.NextCommitmentNumber += 5
		expectFailure(t, sp, sp.a, re, ErrProtocolViolation)
	})
	t.Run("next_commitment_number from the past", func(t *testing.T) {
		sp, re := base(t)
		re.NextCommitmentNumber = 1
		expectFailure(t, sp, sp.a, re, ErrProtocolViolation)
	})
	t.Run("wrong your_last_per_commitment_secret", func(t *testing.T) {
		sp, re := base(t)
		re.YourLastPerCommitmentSecret[3] ^= 1
		expectFailure(t, sp, sp.a, re, ErrProtocolViolation)
	})
	t.Run("unproven claim that we are behind", func(t *testing.T) {
		sp, re := base(t)
		re.NextRevocationNumber += 10
		expectFailure(t, sp, sp.a, re, ErrProtocolViolation)
	})
	t.Run("update before channel_reestablish", func(t *testing.T) {
		sp, _ := base(t)
		expectFailure(t, sp, sp.a, addMsg(sp.a, 3, 10_000, 1000), ErrProtocolViolation)
	})
}
