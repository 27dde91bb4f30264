package wtclient_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// side is one channel.Machine and its host: alice's host hands every
// *channel.MonitorUpdate to the watchtower client.
type side struct {
	name    string
	m       *channel.Machine
	signer  *channel.MemorySigner
	out     []wire.Message
	locked  []*channel.HTLCLockedIn
	monitor func(*channel.MonitorUpdate)
}

func (s *side) apply(acts []channel.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case *channel.Send:
			s.out = append(s.out, a.Msg)
		case *channel.HTLCLockedIn:
			s.locked = append(s.locked, a)
		case *channel.MonitorUpdate:
			if s.monitor != nil {
				s.monitor(a)
			}
		}
	}
}

func exchange(t *testing.T, ctx context.Context, a, b *side) {
	t.Helper()
	for i := 0; i < 10000; i++ {
		from, to := a, b
		if len(from.out) == 0 {
			from, to = b, a
		}
		if len(from.out) == 0 {
			return
		}
		msg := from.out[0]
		from.out = from.out[1:]
		acts, err := to.m.ReceiveMessage(ctx, msg)
		if err != nil {
			t.Fatalf("%s receiving %v: %v", to.name, msg.MsgType(), err)
		}
		to.apply(acts)
	}
	t.Fatal("did not settle")
}

func payOver(t *testing.T, ctx context.Context, payer, payee *side, amount wire.MilliSatoshi, label string, settleIt bool) {
	t.Helper()
	var pre htlc.Preimage
	copy(pre[:], label)
	var onion [wire.OnionPacketSize]byte
	_, acts, err := payer.m.AddHTLC(&channel.AddHTLC{Amount: amount, PaymentHash: pre.Hash(), Expiry: 800_000, Onion: &onion})
	if err != nil {
		t.Fatal(err)
	}
	payer.apply(acts)
	if acts, err = payer.m.SignCommitment(ctx); err != nil {
		t.Fatal(err)
	}
	payer.apply(acts)
	exchange(t, ctx, payer, payee)
	if !settleIt {
		payee.locked = nil
		return
	}
	id := payee.locked[0].HTLC.ID
	payee.locked = nil
	if acts, err = payee.m.FulfillHTLC(id, pre, nil); err != nil {
		t.Fatal(err)
	}
	payee.apply(acts)
	if acts, err = payee.m.SignCommitment(ctx); err != nil {
		t.Fatal(err)
	}
	payee.apply(acts)
	exchange(t, ctx, payer, payee)
}

// TestBackupMachineChannel drives a real channel.Machine pair: every
// MonitorUpdate alice's Machine emits goes to the client as it comes, and
// Run uploads in the background. Bob keeps a copy of one of his
// commitments (with an HTLC in flight) and broadcasts it after it was
// revoked; the tower's justice transaction takes bob's and alice's
// outputs on chainsim.
func TestBackupMachineChannel(t *testing.T) {
	for _, typ := range []script.ChannelType{script.StaticRemoteKey, script.Anchors} {
		t.Run(typ.String(), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			f := newFixture(t, typ)
			tw := newFakeTower(t, "machine "+typ.String())
			c := f.newClient(store.NewMemory(), tw)
			var monitorErr error
			alice, bob := openMachines(t, ctx, f, func(u *channel.MonitorUpdate) {
				if err := c.BackupState(ctx, u); err != nil && monitorErr == nil {
					monitorErr = err
				}
			})
			done := make(chan error, 1)
			go func() { done <- c.Run(ctx) }()

			payOver(t, ctx, alice, bob, 100_000_000, "p1", true)
			payOver(t, ctx, bob, alice, 30_000_000, "p2", true)
			payOver(t, ctx, alice, bob, 50_000_000, "p3", false) // in flight
			// Bob keeps his current commitment, then it is revoked.
			oldCom, err := bob.m.LocalCommitment()
			if err != nil {
				t.Fatal(err)
			}
			oldTx, err := channel.SignedCommitmentTx(ctx, bob.signer, bob.m.Params(), oldCom, bob.m.LocalSigs().CommitSig)
			if err != nil {
				t.Fatal(err)
			}
			payOver(t, ctx, alice, bob, 70_000_000, "p4", true)
			payOver(t, ctx, bob, alice, 10_000_000, "p5", true)
			if monitorErr != nil {
				t.Fatal(monitorErr)
			}

			// Wait for Run to upload everything revoked so far.
			deadline := time.Now().Add(20 * time.Second)
			for {
				st := stats(t, c)
				if st.Queued == 0 && st.Unacked == 0 && st.Acked > 0 && tw.hints() == st.Acked {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("not uploaded: %+v", st)
				}
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != context.Canceled {
				t.Fatalf("Run returned %v", err)
			}

			if _, err := f.chain.MineTx(context.Background(), oldTx); err != nil {
				t.Fatal(err)
			}
			jt, err := tw.justice(oldTx)
			if err != nil {
				t.Fatal(err)
			}
			if err := executeAll(jt, oldTx); err != nil {
				t.Fatal(err)
			}
			if len(jt.TxIn) != 2 {
				t.Fatalf("justice spends %d outputs", len(jt.TxIn))
			}
			if err := f.chain.Broadcast(context.Background(), jt); err != nil {
				t.Fatalf("justice refused: %v", err)
			}
			if _, err := f.chain.Mine(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			if got := f.chain.Balance(f.sweep); int64(got) != jt.TxOut[0].Value {
				t.Fatalf("sweep balance %v", got)
			}
		})
	}
}

// openMachines opens the fixture's channel as two Machines at commitment
// 0 with channel_ready exchanged. Alice's MonitorUpdates go to monitor.
func openMachines(t *testing.T, ctx context.Context, f *fixture, monitor func(*channel.MonitorUpdate)) (alice, bob *side) {
	t.Helper()
	aSec := revocation.NewProducer(sha256.Sum256([]byte("alice shachain")))
	bSec := f.bobSecrets
	total := wire.MilliSatoshi(f.ap.FundingAmount) * 1000
	aBal, bBal := total*7/10, total*3/10
	const feeRate = 2500
	a0, _ := aSec.Point(0)
	b0, _ := bSec.Point(0)
	sign0 := func(p *channel.Params, s channel.Signer, st *channel.State, theirPoint *btcec.PublicKey) wire.Signature {
		c, err := channel.NewCommitment(p, channel.Remote, st, theirPoint)
		if err != nil {
			t.Fatal(err)
		}
		sigs, err := channel.SignCommitment(ctx, s, p, c)
		if err != nil {
			t.Fatal(err)
		}
		return sigs.CommitSig
	}
	cons := channel.Constraints{MaxHTLCValueInFlight: total, ChannelReserve: f.ap.FundingAmount / 100, HTLCMinimum: 1, MaxAcceptedHTLCs: 30}
	mk := func(name string, p *channel.Params, s *channel.MemorySigner, sec channel.CommitmentSecrets, init *channel.InitialState, mon func(*channel.MonitorUpdate)) *side {
		m, acts, err := channel.NewMachine(channel.MachineConfig{Params: p, LocalConstraints: cons, RemoteConstraints: cons, Signer: s, Secrets: sec}, init)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sd := &side{name: name, m: m, signer: s, monitor: mon}
		sd.apply(acts)
		return sd
	}
	alice = mk("alice", f.ap, f.alice, aSec, &channel.InitialState{
		LocalBalance: aBal, RemoteBalance: bBal, FeeRate: feeRate, Connected: true, RemotePoint: b0,
		RemoteSig: sign0(f.bp, f.bob, &channel.State{FeeRate: feeRate, LocalBalance: bBal, RemoteBalance: aBal}, a0),
	}, monitor)
	bob = mk("bob", f.bp, f.bob, bSec, &channel.InitialState{
		LocalBalance: bBal, RemoteBalance: aBal, FeeRate: feeRate, Connected: true, RemotePoint: a0,
		RemoteSig: sign0(f.ap, f.alice, &channel.State{FeeRate: feeRate, LocalBalance: aBal, RemoteBalance: bBal}, b0),
	}, nil)
	exchange(t, ctx, alice, bob)
	if !alice.m.Ready() || !bob.m.Ready() {
		t.Fatal("channel not ready")
	}
	return alice, bob
}
