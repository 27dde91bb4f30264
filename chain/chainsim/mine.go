package chainsim

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
)

// Mine mines n blocks on the tip, each filled from the mempool, and
// returns their hashes. Transactions are taken in the order the mempool
// accepted them (parents always come before children), as many as fit in
// MaxBlockWeight; there is no ordering by fee.
//
// After each block is connected, and before the next is mined, every
// consumer is told of it, in registration order, with the chain's lock
// released: a transaction a consumer broadcasts from its callback is in
// the next block. Consumers' errors are joined into the returned error;
// the blocks stay mined.
func (c *Chain) Mine(ctx context.Context, n int) ([]chainhash.Hash, error) {
	return c.mine(ctx, n, func() []*btcwire.MsgTx { return c.template(nil, nil) })
}

// MineEmpty mines n blocks holding only their coinbase, leaving the
// mempool as it is (apart from time locks maturing), and tells consumers
// of each as Mine does.
func (c *Chain) MineEmpty(ctx context.Context, n int) ([]chainhash.Hash, error) {
	return c.mine(ctx, n, func() []*btcwire.MsgTx { return nil })
}

// MineTx mines one block holding exactly txs, in this order, after the
// coinbase, whether or not they are in the mempool and whatever fee they
// pay (a miner's choice): this is how a test confirms one transaction
// without the rest of the mempool. The transactions must be valid by the
// consensus rules in that block, or nothing is mined and the error is a
// *RejectError. Mempool transactions that conflict with them are evicted
// with their descendants. Consumers are told as Mine tells them.
func (c *Chain) MineTx(ctx context.Context, txs ...*btcwire.MsgTx) (chainhash.Hash, error) {
	copies := make([]*btcwire.MsgTx, len(txs))
	for i, tx := range txs {
		if tx == nil {
			return chainhash.Hash{}, fmt.Errorf("chainsim: mine: transaction %d is nil: %w", i, ErrBadRequest)
		}
		copies[i] = tx.Copy()
	}
	hashes, err := c.mine(ctx, 1, func() []*btcwire.MsgTx { return copies })
	if len(hashes) == 0 {
		return chainhash.Hash{}, err
	}
	return hashes[0], err
}

// mine mines n blocks holding what pick returns, called with mu held.
func (c *Chain) mine(ctx context.Context, n int, pick func() []*btcwire.MsgTx) ([]chainhash.Hash, error) {
	if n < 0 {
		return nil, fmt.Errorf("chainsim: mine %d blocks: %w", n, ErrBadRequest)
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()
	var hashes []chainhash.Hash
	var errs []error
	for range n {
		if err := ctx.Err(); err != nil {
			return hashes, errors.Join(append(errs, err)...)
		}
		c.mu.Lock()
		rec, rej := c.mineLocked(pick())
		if rej != nil {
			c.mu.Unlock()
			return hashes, errors.Join(append(errs, rej)...)
		}
		cons := c.snapshot()
		c.mu.Unlock()
		hashes = append(hashes, rec.hash)
		if err := c.deliver(ctx, cons, []event{connectEvent(rec)}); err != nil {
			errs = append(errs, err)
		}
	}
	return hashes, errors.Join(errs...)
}

// template selects the transactions of the next block: forced first, then
// mempool transactions in acceptance order that fit, are not in exclude,
// do not conflict with what is already selected, and whose mempool
// parents are selected. The caller holds mu.
func (c *Chain) template(forced []*btcwire.MsgTx, exclude map[chainhash.Hash]struct{}) []*btcwire.MsgTx {
	budget := int64(MaxBlockWeight - coinbaseReserve)
	picked := make(map[chainhash.Hash]bool)
	spent := make(map[btcwire.OutPoint]bool)
	var out []*btcwire.MsgTx
	take := func(tx *btcwire.MsgTx, txid chainhash.Hash, weight int64) {
		out = append(out, tx)
		picked[txid] = true
		for _, in := range tx.TxIn {
			spent[in.PreviousOutPoint] = true
		}
		budget -= weight
	}
	for _, tx := range forced {
		take(tx, tx.TxHash(), txWeight(tx))
	}
	for _, p := range c.pool.ordered() {
		if _, skip := exclude[p.txid]; skip || picked[p.txid] || p.weight > budget {
			continue
		}
		ok := true
		for _, in := range p.tx.TxIn {
			op := in.PreviousOutPoint
			_, parentInPool := c.pool.txs[op.Hash]
			if spent[op] || (parentInPool && !picked[op.Hash]) {
				ok = false
				break
			}
		}
		if ok {
			take(p.tx, p.txid, p.weight)
		}
	}
	return out
}

// ReorgOption adjusts the replacement branch that Reorg mines.
type ReorgOption func(*reorgOptions)

type reorgOptions struct {
	length  int
	exclude map[chainhash.Hash]struct{}
	include []*btcwire.MsgTx
}

// ReorgLength makes the replacement branch n blocks long instead of as
// long as the part disconnected; n may not be shorter.
func ReorgLength(n int) ReorgOption { return func(o *reorgOptions) { o.length = n } }

// ReorgExclude keeps the transactions txids (and so their descendants) out
// of the replacement branch: they stay in the mempool, unconfirmed, until
// the next Mine.
func ReorgExclude(txids ...chainhash.Hash) ReorgOption {
	return func(o *reorgOptions) {
		for _, t := range txids {
			o.exclude[t] = struct{}{}
		}
	}
}

// ReorgInclude puts txs, in order, first in the replacement branch's first
// block, as MineTx does: a transaction conflicting with one that was
// disconnected (a double spend after the reorganisation) evicts it and its
// descendants from the mempool.
func ReorgInclude(txs ...*btcwire.MsgTx) ReorgOption {
	return func(o *reorgOptions) {
		for _, tx := range txs {
			o.include = append(o.include, tx.Copy())
		}
	}
}

// Reorg replaces the last depth blocks of the best chain with a new
// branch of at least as many blocks, and returns the new blocks' hashes.
//
// The disconnected blocks' transactions go back to the mempool, ahead of
// what it held, where they are still valid (without the fee rules; the
// mempool drops what no longer fits, such as a transaction whose lock time
// is now too high). The new branch is then mined as Mine mines, from the
// mempool, except for ReorgExclude's transactions and with ReorgInclude's
// first. The chain's first block cannot be disconnected.
//
// The change is made whole before anyone is told: if the first new block
// is invalid (a ReorgInclude transaction breaks a rule) the chain is left
// as it was and the error is a *RejectError. Then consumers are told, in
// order: each disconnected block, the old tip first (a Listener gets
// BlockDisconnected; a Confirmer gets TransactionUnconfirmed for each of
// its RelevantTransactions in that block, then BestBlockUpdated with the
// block's parent), then each new block as Mine tells them. Queries made
// from those callbacks see the chain after the reorganisation.
func (c *Chain) Reorg(ctx context.Context, depth int, opts ...ReorgOption) ([]chainhash.Hash, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o := reorgOptions{length: depth, exclude: make(map[chainhash.Hash]struct{})}
	for _, opt := range opts {
		opt(&o)
	}
	if depth < 1 || o.length < depth {
		return nil, fmt.Errorf("chainsim: reorg of depth %d with a branch of %d blocks: %w", depth, o.length, ErrBadRequest)
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	if depth > len(c.blocks)-1 {
		n := len(c.blocks) - 1
		c.mu.Unlock()
		return nil, fmt.Errorf("chainsim: reorg of depth %d, but only %d blocks are above the start block: %w", depth, n, ErrBadRequest)
	}
	savedPool := c.pool.clone()
	var gone []*blockRec
	for range depth {
		rec := c.unapply()
		gone = append(gone, rec)
		c.restoreToPool(rec.block.Transactions[1:])
	}
	fork := c.tip().block.Header
	var made []*blockRec
	for i := range o.length {
		var forced []*btcwire.MsgTx
		if i == 0 {
			forced = o.include
		}
		rec, rej := c.mineLocked(c.template(forced, o.exclude))
		if rej != nil {
			for range made {
				c.unapply()
			}
			for j := len(gone) - 1; j >= 0; j-- {
				c.apply(gone[j].block, gone[j].height, false)
			}
			c.pool = savedPool
			c.mu.Unlock()
			return nil, rej
		}
		made = append(made, rec)
	}
	var evs []event
	for k, rec := range gone {
		parent := fork
		if k+1 < len(gone) {
			parent = gone[k+1].block.Header
		}
		evs = append(evs, event{header: rec.block.Header, hash: rec.hash, height: rec.height, txs: rec.block.Transactions, parent: parent})
	}
	hashes := make([]chainhash.Hash, len(made))
	for i, rec := range made {
		evs = append(evs, connectEvent(rec))
		hashes[i] = rec.hash
	}
	cons := c.snapshot()
	c.mu.Unlock()
	return hashes, c.deliver(ctx, cons, evs)
}

// restoreToPool puts txs, from a disconnected block, back in the mempool
// ahead of what it holds, and re-checks everything against the new tip,
// dropping what is no longer valid. The caller holds mu.
func (c *Chain) restoreToPool(txs []*btcwire.MsgTx) {
	old := c.pool.ordered()
	c.pool = newMempool()
	for _, tx := range txs {
		c.accept([]*btcwire.MsgTx{tx}, true)
	}
	for _, p := range old {
		c.accept([]*btcwire.MsgTx{p.tx}, true)
	}
}

// clone copies the mempool's indexes; the entries are never modified.
func (m *mempool) clone() *mempool {
	out := &mempool{
		txs:     make(map[chainhash.Hash]*poolTx, len(m.txs)),
		spends:  make(map[btcwire.OutPoint]chainhash.Hash, len(m.spends)),
		nextSeq: m.nextSeq,
	}
	for k, v := range m.txs {
		out.txs[k] = v
	}
	for k, v := range m.spends {
		out.spends[k] = v
	}
	return out
}
