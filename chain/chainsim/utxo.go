package chainsim

import (
	"context"
	"fmt"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
)

var _ chain.UTXOSource = (*Chain)(nil)

// UnspentOutput implements chain.UTXOSource over the best chain: the
// output at (height, txIndex, outIndex), if it is confirmed and unspent
// there (an output spent only in the mempool still counts as unspent, as
// bitcoind's gettxout without its mempool flag says).
func (c *Chain) UnspentOutput(ctx context.Context, height, txIndex uint32, outIndex uint16) (*btcwire.TxOut, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if height < c.base || height > c.height() {
		return nil, fmt.Errorf("%w: no block at height %d", chain.ErrOutputNotFound, height)
	}
	blk := c.blocks[height-c.base].block
	if int(txIndex) >= len(blk.Transactions) {
		return nil, fmt.Errorf("%w: block %d has %d transactions", chain.ErrOutputNotFound, height, len(blk.Transactions))
	}
	tx := blk.Transactions[txIndex]
	op := btcwire.OutPoint{Hash: tx.TxHash(), Index: uint32(outIndex)}
	k, ok := c.coins[op]
	if !ok {
		return nil, fmt.Errorf("%w: %v is spent or does not exist", chain.ErrOutputNotFound, op)
	}
	return copyTxOut(&k.out), nil
}
