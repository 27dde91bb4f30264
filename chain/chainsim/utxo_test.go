package chainsim_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/chainsim"
)

// TestUnspentOutput looks outputs up by position: found while unspent
// (also when spent only in the mempool), not found once a block spends
// them, for a position past the block's transactions or outputs, or a
// height the chain does not have; a cancelled context is an error.
func TestUnspentOutput(t *testing.T) {
	c := chainsim.New()
	ops := faucetAnyone(t, c, 50_000, 60_000)
	height := c.Height()
	blk, ok := c.Block(height)
	require.True(t, ok)
	idx := -1
	for i, tx := range blk.Transactions {
		if tx.TxHash() == ops[0].Hash {
			idx = i
		}
	}
	require.Positive(t, idx)

	out, err := c.UnspentOutput(ctx, height, uint32(idx), 1)
	require.NoError(t, err)
	require.EqualValues(t, 60_000, out.Value)
	require.Equal(t, anyonePkScript, out.PkScript)

	notFound := func(h, tx uint32, o uint16) {
		t.Helper()
		_, err := c.UnspentOutput(ctx, h, tx, o)
		require.ErrorIs(t, err, chain.ErrOutputNotFound)
	}
	notFound(height, uint32(idx), uint16(len(blk.Transactions[idx].TxOut)))
	notFound(height, uint32(len(blk.Transactions)), 0)
	notFound(height+1, 0, 0)
	notFound(0, 0, 0)

	spend := spendAnyone(ops[:1], 49_000)
	require.NoError(t, c.Broadcast(ctx, spend))
	_, err = c.UnspentOutput(ctx, height, uint32(idx), 0)
	require.NoError(t, err, "spent only in the mempool")
	_, err = c.Mine(ctx, 1)
	require.NoError(t, err)
	notFound(height, uint32(idx), 0)
	_, err = c.UnspentOutput(ctx, height, uint32(idx), 1)
	require.NoError(t, err)

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.UnspentOutput(cctx, height, uint32(idx), 1)
	require.True(t, errors.Is(err, context.Canceled))
}
