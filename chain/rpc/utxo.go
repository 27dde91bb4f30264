package rpc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
)

// UnspentOutput implements chain.UTXOSource: getblockhash for the height,
// the block's txids (getblock, cached for the last blockTxCacheSize blocks
// looked up, since announced channels cluster in blocks), then gettxout
// without the mempool, which answers null for a spent or missing output.
// The output's value and script are gettxout's.
func (c *Client) UnspentOutput(ctx context.Context, height, txIndex uint32, outIndex uint16) (*btcwire.TxOut, error) {
	hash, err := c.BlockHash(ctx, height)
	if errors.Is(err, ErrHeightOutOfRange) {
		return nil, fmt.Errorf("%w: %w", chain.ErrOutputNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	txids, ok := c.blockTxs.get(hash)
	if !ok {
		blk, err := c.Block(ctx, hash)
		if err != nil {
			return nil, err
		}
		txids = make([]chainhash.Hash, len(blk.Transactions))
		for i, tx := range blk.Transactions {
			txids[i] = tx.TxHash()
		}
		c.blockTxs.put(hash, txids)
	}
	if int64(txIndex) >= int64(len(txids)) {
		return nil, fmt.Errorf("%w: block %d has %d transactions", chain.ErrOutputNotFound, height, len(txids))
	}
	txid := txids[txIndex]
	mempool := false
	res, err := c.call(ctx, btcjson.NewGetTxOutCmd(txid.String(), uint32(outIndex), &mempool))
	if err != nil {
		return nil, err
	}
	if string(res) == "null" || len(res) == 0 {
		return nil, fmt.Errorf("%w: %v:%d is spent or does not exist", chain.ErrOutputNotFound, txid, outIndex)
	}
	var r btcjson.GetTxOutResult
	if err := json.Unmarshal(res, &r); err != nil {
		return nil, fmt.Errorf("chain/rpc: gettxout %v:%d: %w", txid, outIndex, err)
	}
	value, err := btcutil.NewAmount(r.Value)
	if err != nil || value < 0 || value > btcutil.MaxSatoshi {
		return nil, fmt.Errorf("chain/rpc: gettxout %v:%d: value %v out of range", txid, outIndex, r.Value)
	}
	pk, err := hex.DecodeString(r.ScriptPubKey.Hex)
	if err != nil {
		return nil, fmt.Errorf("chain/rpc: gettxout %v:%d: script: %w", txid, outIndex, err)
	}
	return btcwire.NewTxOut(int64(value), pk), nil
}

// blockTxCacheSize bounds the blocks whose txids are cached (a mainnet
// block has some 3,000 transactions: about 100 KB each).
const blockTxCacheSize = 64

// blockTxCache holds txids by block hash; when full, it starts again.
// Keyed by hash, it cannot serve a reorganised-out block for a height.
type blockTxCache struct {
	mu sync.Mutex
	m  map[chainhash.Hash][]chainhash.Hash
}

func (bc *blockTxCache) get(h chainhash.Hash) ([]chainhash.Hash, bool) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	t, ok := bc.m[h]
	return t, ok
}

func (bc *blockTxCache) put(h chainhash.Hash, txids []chainhash.Hash) {
	bc.mu.Lock()
	defer bc.mu.Unlock()
	if bc.m == nil || len(bc.m) >= blockTxCacheSize {
		bc.m = make(map[chainhash.Hash][]chainhash.Hash, blockTxCacheSize)
	}
	bc.m[h] = txids
}
