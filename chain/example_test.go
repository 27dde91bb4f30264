package chain_test

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
)

// tipTracker is a minimal Listener: it remembers the best height.
type tipTracker struct {
	name   string
	height uint32
}

func (t *tipTracker) BlockConnected(_ context.Context, b *chain.Block) error {
	t.height = b.Height
	fmt.Printf("%s: block %d with %d transactions\n", t.name, b.Height, len(b.Txs))
	return nil
}

func (t *tipTracker) BlockDisconnected(_ context.Context, _ btcwire.BlockHeader, height uint32) error {
	t.height = height - 1
	fmt.Printf("%s: block %d disconnected\n", t.name, height)
	return nil
}

// A host drives two consumers from one block feed, in order, and clamps a
// fee estimate to the relay floor.
func Example() {
	ctx := context.Background()
	channels, monitor := &tipTracker{name: "channels"}, &tipTracker{name: "monitor"}
	feed := chain.Listeners{channels, monitor}

	coinbase := btcwire.NewMsgTx(1)
	coinbase.AddTxIn(btcwire.NewTxIn(&btcwire.OutPoint{Index: btcwire.MaxPrevOutIndex}, []byte{1, 101}, nil))
	coinbase.AddTxOut(btcwire.NewTxOut(0, []byte{0x6a}))
	blk := &chain.Block{
		Header: btcwire.BlockHeader{PrevBlock: chainhash.Hash{1}},
		Height: 101,
		Txs:    []chain.IndexedTx{{Index: 0, Tx: coinbase}},
	}
	if err := feed.BlockConnected(ctx, blk); err != nil {
		panic(err)
	}
	if err := feed.BlockDisconnected(ctx, blk.Header, blk.Height); err != nil {
		panic(err)
	}
	fmt.Println("heights:", channels.height, monitor.height)
	fmt.Println("fee rate:", chain.ClampFeeRate(250))
	// Output:
	// channels: block 101 with 1 transactions
	// monitor: block 101 with 1 transactions
	// channels: block 101 disconnected
	// monitor: block 101 disconnected
	// heights: 100 100
	// fee rate: 253 sat/kw
}
