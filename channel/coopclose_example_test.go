package channel_test

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Close a channel cooperatively with the legacy closing_signed
// negotiation: alice, the opener, proposes 2000 sat/kw; bob wants at
// least 2500 and counters inside the overlap of the fee ranges, which
// alice accepts. A host would persist, send and broadcast as the actions
// say; here the messages go straight to the other side.
func ExampleCoopClose() {
	ctx := context.Background()
	aliceSigner := channel.NewMemorySigner(exampleSecrets("alice"))
	bobSigner := channel.NewMemorySigner(exampleSecrets("bob"))
	aliceParams := &channel.Params{
		FundingOutpoint: btcwire.OutPoint{Hash: chainhash.HashH([]byte("funding tx")), Index: 0},
		FundingAmount:   1_000_000,
		Type:            script.Anchors,
		Opener:          channel.Local,
		Local:           channel.PartyParams{Basepoints: aliceSigner.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
		Remote:          channel.PartyParams{Basepoints: bobSigner.Basepoints(), ToSelfDelay: 144, DustLimit: 546},
	}
	bobParams := *aliceParams
	bobParams.Local, bobParams.Remote, bobParams.Opener = aliceParams.Remote, aliceParams.Local, channel.Remote

	aliceScript := script.P2WPKH(exampleKey("alice/close").PubKey())
	bobScript := script.P2WPKH(exampleKey("bob/close").PubKey())

	alice, err := channel.NewCoopClose(channel.CoopCloseConfig{Params: aliceParams, Signer: aliceSigner})
	if err != nil {
		fmt.Println(err)
		return
	}
	bob, err := channel.NewCoopClose(channel.CoopCloseConfig{Params: &bobParams, Signer: bobSigner})
	if err != nil {
		fmt.Println(err)
		return
	}

	// handle(name) performs the actions of one node and returns the
	// messages it sends.
	handle := func(name string) func([]channel.Action, error) []wire.Message {
		return func(acts []channel.Action, err error) []wire.Message {
			return performClose(name, acts, err)
		}
	}

	toBob := handle("alice")(alice.Start(ctx, channel.CoopCloseStart{
		LocalBalance: 600_000_000, RemoteBalance: 400_000_000,
		LocalScript: aliceScript, RemoteScript: bobScript,
		Fees: channel.CloseFeePolicy{MinFeeRate: 1000, FeeRate: 2000, MaxFeeRate: 3000},
	}))
	toAlice := handle("bob")(bob.Start(ctx, channel.CoopCloseStart{
		LocalBalance: 400_000_000, RemoteBalance: 600_000_000,
		LocalScript: bobScript, RemoteScript: aliceScript,
		Fees: channel.CloseFeePolicy{MinFeeRate: 2500, FeeRate: 4000, MaxFeeRate: 6000},
	}))
	for len(toBob)+len(toAlice) > 0 {
		var next []wire.Message
		for _, m := range toBob {
			toAlice = append(toAlice, handle("bob")(bob.ReceiveMessage(ctx, m))...)
		}
		for _, m := range toAlice {
			next = append(next, handle("alice")(alice.ReceiveMessage(ctx, m))...)
		}
		toBob, toAlice = next, nil
	}
	fmt.Println("same transaction:", alice.Best().TxHash() == bob.Best().TxHash())
	// Output:
	// alice sends closing_signed
	// bob sends closing_signed
	// alice sends closing_signed
	// alice broadcasts a closing transaction with 2 outputs
	// alice: closing with fee 2028 sat
	// bob broadcasts a closing transaction with 2 outputs
	// bob: closing with fee 2028 sat
	// same transaction: true
}

// performClose is what a host does with a CoopClose's actions, in order; it
// returns the messages to send.
func performClose(name string, acts []channel.Action, err error) []wire.Message {
	if err != nil {
		fmt.Println(name, "error:", err)
	}
	var out []wire.Message
	for _, a := range acts {
		switch a := a.(type) {
		case *channel.Persist:
			// Write a.Ops durably before going on.
		case *channel.Send:
			fmt.Printf("%s sends %v\n", name, a.Msg.MsgType())
			out = append(out, a.Msg)
		case *channel.BroadcastClose:
			fmt.Printf("%s broadcasts a closing transaction with %d outputs\n", name, len(a.Tx.TxOut))
		case *channel.CoopCloseSigned:
			fmt.Printf("%s: closing with fee %d sat\n", name, int64(a.Fee))
		}
	}
	return out
}
