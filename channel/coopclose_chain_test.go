package channel

import (
	"bytes"
	"context"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/script"
)

// closeChainSeed makes every closeChain the same chain, so that a funding
// output created once exists, at the same outpoint, on each of them.
var closeChainSeed = [32]byte{'c', 'o', 'o', 'p', ' ', 'c', 'l', 'o', 's', 'e'}

// closeChainHeight is the chain's height before the funding block: the
// locktimes the tests give closing_complete are below it.
const closeChainHeight = 800_100

// closeChain is a simulated chain holding the channel's 2-of-2 funding
// output, confirmed, paid by the faucet.
func closeChain(t *testing.T, tc *testChannel) (*chainsim.Chain, btcwire.OutPoint) {
	t.Helper()
	ctx := context.Background()
	c := chainsim.New(chainsim.WithSeed(closeChainSeed), chainsim.WithStartHeight(closeChainHeight))
	_, out, err := script.FundingOutput(tc.alice.Local.Funding, tc.alice.Remote.Funding, tc.alice.FundingAmount)
	if err != nil {
		t.Fatal(err)
	}
	ftx, err := c.Faucet(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range ftx.TxOut {
		if bytes.Equal(o.PkScript, out.PkScript) && o.Value == out.Value {
			return c, btcwire.OutPoint{Hash: ftx.TxHash(), Index: uint32(i)}
		}
	}
	t.Fatal("the faucet did not pay the funding output")
	return nil, btcwire.OutPoint{}
}

// fundOnChain moves the test channel onto the simulated chain's funding
// output.
func fundOnChain(t *testing.T, tc *testChannel) {
	t.Helper()
	_, op := closeChain(t, tc)
	tc.alice.FundingOutpoint, tc.bob.FundingOutpoint = op, op
}

// confirmOnChain broadcasts a closing transaction on a fresh copy of the
// chain, mines it and checks that it spends the funding output.
func confirmOnChain(t *testing.T, tc *testChannel, txs ...*btcwire.MsgTx) {
	t.Helper()
	ctx := context.Background()
	c, op := closeChain(t, tc)
	if op != tc.alice.FundingOutpoint {
		t.Fatalf("the chain's funding output %v is not the channel's %v", op, tc.alice.FundingOutpoint)
	}
	for _, tx := range txs {
		if err := c.Broadcast(ctx, tx); err != nil {
			t.Fatalf("broadcast of %v: %v", tx.TxHash(), err)
		}
	}
	if _, err := c.Mine(ctx, 1); err != nil {
		t.Fatal(err)
	}
	last := txs[len(txs)-1].TxHash()
	if txid, conf, spent := c.SpentBy(op); !spent || txid != last || conf != 1 {
		t.Fatalf("funding output spent by %v (%d confirmations, spent %v), want %v", txid, conf, spent, last)
	}
}
