package monitor_test

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/monitor"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

func exampleKey(label string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte(label))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

func exampleSigner(name string) *channel.MemorySigner {
	return channel.NewMemorySigner(channel.BasepointSecrets{
		Funding: exampleKey(name + "/funding"), Revocation: exampleKey(name + "/revocation"),
		Payment: exampleKey(name + "/payment"), DelayedPayment: exampleKey(name + "/delayed"),
		HTLC: exampleKey(name + "/htlc"),
	})
}

// Alice's monitor holds commitment 0 of both sides. Bob goes on chain
// with his; the monitor reports the close and sweeps alice's to_remote
// output (her 700 000 sat less the commitment fee and the two anchors,
// which she pays as the opener) to her sweep script one block later
// (option_anchors: CSV 1).
func Example() {
	ctx := context.Background()
	chain := chainsim.New()
	alice, bob := exampleSigner("alice"), exampleSigner("bob")

	_, fundOut, _ := script.FundingOutput(alice.Basepoints().Funding, bob.Basepoints().Funding, 1_000_000)
	fundTx, _ := chain.Faucet(ctx, fundOut)
	params := &channel.Params{
		FundingOutpoint: btcwire.OutPoint{Hash: fundTx.TxHash(), Index: 0},
		FundingAmount:   1_000_000,
		Type:            script.Anchors,
		Opener:          channel.Local,
		Local:           channel.PartyParams{Basepoints: alice.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
		Remote:          channel.PartyParams{Basepoints: bob.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
	}
	bobParams := *params
	bobParams.Local, bobParams.Remote, bobParams.Opener = params.Remote, params.Local, channel.Remote

	// Commitment 0: alice 700 000 sat, bob 300 000 sat, from each view.
	aliceState := channel.State{FeeRate: 2500, LocalBalance: 700_000_000, RemoteBalance: 300_000_000}
	bobState := channel.State{FeeRate: 2500, LocalBalance: 300_000_000, RemoteBalance: 700_000_000}
	alicePoint, bobPoint := exampleKey("alice/point 0").PubKey(), exampleKey("bob/point 0").PubKey()
	aliceCommit, _ := channel.NewCommitment(params, channel.Local, &aliceState, alicePoint)
	bobCommit, _ := channel.NewCommitment(&bobParams, channel.Local, &bobState, bobPoint)
	aliceSeenByBob, _ := channel.NewCommitment(&bobParams, channel.Remote, &bobState, alicePoint)
	bobSeenByAlice, _ := channel.NewCommitment(params, channel.Remote, &aliceState, bobPoint)
	sigsForAlice, _ := channel.SignCommitment(ctx, bob, &bobParams, aliceSeenByBob)
	sigsForBob, _ := channel.SignCommitment(ctx, alice, params, bobSeenByAlice)

	dest := script.P2WPKH(exampleKey("alice/sweep").PubKey())
	mon, err := monitor.New(ctx, monitor.Config{
		Store: store.NewMemory(), Signer: alice, Broadcaster: chain, Fees: chain, Wallet: chain.NewWallet(),
		SweepScript: func(context.Context) ([]byte, error) { return dest, nil },
	}, params)
	if err != nil {
		fmt.Println(err)
		return
	}
	chain.AddListener(mon)
	id := wire.NewChannelID(params.FundingOutpoint)
	err = mon.Apply(ctx,
		&channel.MonitorUpdate{ChannelID: id, Local: &channel.LocalCommitmentInfo{State: aliceState, Point: alicePoint, Sigs: *sigsForAlice, TxID: aliceCommit.TxHash}},
		&channel.MonitorUpdate{ChannelID: id, Remote: &channel.RemoteCommitmentInfo{State: aliceState, Point: bobPoint, TxID: bobSeenByAlice.TxHash}},
	)
	if err != nil {
		fmt.Println(err)
		return
	}

	bobTx, _ := channel.SignedCommitmentTx(ctx, bob, &bobParams, bobCommit, sigsForBob.CommitSig)
	if err := chain.Broadcast(ctx, bobTx); err != nil {
		fmt.Println(err)
		return
	}
	if _, err := chain.Mine(ctx, 7); err != nil {
		fmt.Println(err)
		return
	}
	events, _ := mon.Events(ctx)
	for _, ev := range events {
		switch ev := ev.(type) {
		case *monitor.ChannelClosed:
			fmt.Printf("closed by the %v %d\n", ev.Kind, ev.CommitmentNumber)
		case *monitor.FundsSwept:
			fmt.Printf("swept %d sat, fee %d sat\n", int64(ev.Amount), int64(ev.Fee))
		}
		_ = mon.AckEvent(ctx, ev.EventSeq())
	}
	fmt.Println("sweep script holds", int64(chain.Balance(dest)), "sat")
	// Output:
	// closed by the remote commitment 0
	// swept 695423 sat, fee 1107 sat
	// sweep script holds 695423 sat
}
