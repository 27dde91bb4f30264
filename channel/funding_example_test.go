package channel_test

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/wire"
)

// exampleFundingConfig is one node's configuration for a channel.
func exampleFundingConfig(name string) channel.FundingConfig {
	signer := channel.NewMemorySigner(exampleSecrets(name))
	features := wire.NewFeatureVector(wire.FeatureStaticRemoteKey.Optional(),
		wire.FeatureAnchorsZeroFeeHTLCTx.Optional(), wire.FeatureChannelType.Optional())
	return channel.FundingConfig{
		ChainHash:      wire.RegtestChainHash,
		LocalFeatures:  features,
		RemoteFeatures: features,
		Basepoints:     signer.Basepoints(),
		Signer:         signer,
		Secrets:        revocation.NewProducer(sha256.Sum256([]byte(name + "/shachain"))),
		BlockHeight:    101,
	}
}

// fundingSteps names the actions a host performs.
func fundingSteps(acts []channel.Action) []string {
	var out []string
	for _, a := range acts {
		switch a := a.(type) {
		case *channel.Send:
			out = append(out, "send "+a.Msg.MsgType().String())
		case *channel.Persist:
			out = append(out, "persist")
		case *channel.MonitorUpdate:
			out = append(out, "monitor")
		case *channel.FundingTxNeeded:
			out = append(out, "fund")
		case *channel.BroadcastFunding:
			out = append(out, "broadcast")
		case *channel.ChannelOpened:
			out = append(out, "opened")
		}
	}
	return out
}

func firstSent(acts []channel.Action) wire.Message {
	for _, a := range acts {
		if s, ok := a.(*channel.Send); ok {
			return s.Msg
		}
	}
	return nil
}

// Open a channel from alice to bob, with alice's funding transaction from
// a wallet: the actions each step returns, in the order the host performs
// them.
func ExampleNewOutboundFunding() {
	ctx := context.Background()
	c := chainsim.New()
	wallet := c.NewWallet()
	if _, err := wallet.Fund(ctx, 2_000_000); err != nil {
		panic(err)
	}
	feeRate, _ := c.EstimateFeeRate(ctx, 6)

	alice, acts, err := channel.NewOutboundFunding(exampleFundingConfig("alice"), channel.OpenRequest{
		FundingAmount: 1_000_000, FeeRate: feeRate, FundingFeeRate: feeRate,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("alice:", fundingSteps(acts))
	open := firstSent(acts).(*wire.OpenChannel)

	bob, acts, err := channel.NewInboundFunding(exampleFundingConfig("bob"), open, feeRate)
	if err != nil {
		panic(err)
	}
	fmt.Println("bob:  ", fundingSteps(acts))

	acts, err = alice.ReceiveMessage(ctx, firstSent(acts))
	if err != nil {
		panic(err)
	}
	fmt.Println("alice:", fundingSteps(acts))
	need := acts[0].(*channel.FundingTxNeeded)
	funded, err := wallet.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{need.Output}, FeeRate: need.FeeRate})
	if err != nil {
		panic(err)
	}

	acts, err = alice.FundingTxBuilt(ctx, funded.Packet.UnsignedTx)
	if err != nil {
		panic(err)
	}
	fmt.Println("alice:", fundingSteps(acts))

	acts, err = bob.ReceiveMessage(ctx, firstSent(acts))
	if err != nil {
		panic(err)
	}
	fmt.Println("bob:  ", fundingSteps(acts))

	acts, err = alice.ReceiveMessage(ctx, firstSent(acts))
	if err != nil {
		panic(err)
	}
	fmt.Println("alice:", fundingSteps(acts))
	// Performing the broadcast: the wallet signs, the chain accepts.
	if err := wallet.SignPsbt(ctx, funded.Packet); err != nil {
		panic(err)
	}
	tx, err := psbt.Extract(funded.Packet)
	if err != nil {
		panic(err)
	}
	if err := c.Broadcast(ctx, tx); err != nil {
		panic(err)
	}

	res := alice.Result()
	fmt.Println("type:", res.Config.Params.Type, "minimum depth:", res.MinimumDepth)
	fmt.Println("same channel:", alice.Machine().ChannelID() == bob.Machine().ChannelID())
	// Output:
	// alice: [send open_channel]
	// bob:   [send accept_channel]
	// alice: [fund]
	// alice: [send funding_created]
	// bob:   [persist monitor monitor send funding_signed opened]
	// alice: [persist monitor monitor broadcast opened]
	// type: option_anchors minimum depth: 3
	// same channel: true
}
