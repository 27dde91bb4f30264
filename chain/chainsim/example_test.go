package chainsim_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/psbt"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
)

// heights is a Listener that prints what it is told.
type heights struct{}

func (heights) BlockConnected(_ context.Context, b *chain.Block) error {
	fmt.Printf("block %d: %d transactions\n", b.Height, len(b.Txs))
	return nil
}

func (heights) BlockDisconnected(_ context.Context, _ btcwire.BlockHeader, height uint32) error {
	fmt.Printf("block %d disconnected\n", height)
	return nil
}

// Fund a channel's 2-of-2 output from a wallet, learn the funding outpoint
// before signing, confirm it, and watch a double spend fail.
func Example() {
	ctx := context.Background()
	c := chainsim.New(chainsim.WithStartHeight(800_000))
	c.AddListener(heights{})
	w := c.NewWallet()
	if _, err := w.Fund(ctx, 1_000_000); err != nil {
		panic(err)
	}

	_, out, err := script.FundingOutput(scripttest.Key("a").PubKey(), scripttest.Key("b").PubKey(), 500_000)
	if err != nil {
		panic(err)
	}
	funded, err := w.FundPsbt(ctx, &chain.FundRequest{Outputs: []*btcwire.TxOut{out}, FeeRate: 2500})
	if err != nil {
		panic(err)
	}
	// Here the commitment transactions would be signed, spending:
	funding := btcwire.OutPoint{Hash: funded.Packet.UnsignedTx.TxHash(), Index: 0}

	if err := w.SignPsbt(ctx, funded.Packet); err != nil {
		panic(err)
	}
	tx, err := psbt.Extract(funded.Packet)
	if err != nil {
		panic(err)
	}
	if err := c.Broadcast(ctx, tx); err != nil {
		panic(err)
	}
	if _, err := c.Mine(ctx, 3); err != nil {
		panic(err)
	}
	fmt.Println("same txid after signing:", tx.TxHash() == funding.Hash)
	fmt.Println("funding confirmations:", c.Confirmations(funding.Hash))

	// Spending the wallet's coin again is refused, with the rule named.
	again := tx.Copy()
	again.TxOut[0].Value -= 1000
	err = c.Broadcast(ctx, again)
	fmt.Println("double spend refused:", errors.Is(err, chain.ErrDoubleSpend))
	// Output:
	// block 800001: 2 transactions
	// block 800002: 2 transactions
	// block 800003: 1 transactions
	// block 800004: 1 transactions
	// same txid after signing: true
	// funding confirmations: 3
	// double spend refused: true
}
