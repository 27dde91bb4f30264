package chainsim

import (
	"bytes"
	"context"
	"fmt"

	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
)

// Faucet brings coins into the simulation: it mines one block holding a
// single transaction that pays outs from the faucet's coins (signed, valid
// like any other), tells consumers of the block as Mine does, and returns
// the transaction. Nothing else from the mempool goes into that block.
//
// The faucet holds 20 million BTC in 20 coins from the first block, plus
// the fees of every block mined, and pays from its largest coin that is
// mature and not spent in the mempool. Its transactions pay no fee.
func (c *Chain) Faucet(ctx context.Context, outs ...*btcwire.TxOut) (*btcwire.MsgTx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(outs) == 0 {
		return nil, fmt.Errorf("chainsim: faucet: no outputs: %w", ErrBadRequest)
	}
	var total int64
	for i, o := range outs {
		if o == nil || o.Value <= 0 || o.Value > faucetCoinValue {
			return nil, fmt.Errorf("chainsim: faucet: output %d must pay between 1 sat and 1,000,000 BTC: %w", i, ErrBadRequest)
		}
		total += o.Value
	}
	if total > faucetCoinValue {
		return nil, fmt.Errorf("chainsim: faucet: asked for more than 1,000,000 BTC at once: %w", ErrBadRequest)
	}
	c.opMu.Lock()
	defer c.opMu.Unlock()
	c.mu.Lock()
	tx, err := c.faucetTx(outs, total)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	rec, rej := c.mineLocked([]*btcwire.MsgTx{tx})
	if rej != nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("chainsim: faucet transaction refused: %w", rej)
	}
	cons := c.snapshot()
	c.mu.Unlock()
	return tx.Copy(), c.deliver(ctx, cons, []event{connectEvent(rec)})
}

// faucetTx builds and signs the faucet's payment of outs. The caller
// holds mu.
func (c *Chain) faucetTx(outs []*btcwire.TxOut, total int64) (*btcwire.MsgTx, error) {
	next := c.height() + 1
	var best btcwire.OutPoint
	var bestCoin *coin
	for op := range c.byScript[string(c.faucetScript)] {
		k := c.coins[op]
		if _, spent := c.pool.spends[op]; spent || k.out.Value < total {
			continue
		}
		if k.coinbase && next < k.height+CoinbaseMaturity {
			continue
		}
		if bestCoin == nil || k.out.Value > bestCoin.out.Value ||
			(k.out.Value == bestCoin.out.Value && outPointLess(op, best)) {
			best, bestCoin = op, k
		}
	}
	if bestCoin == nil {
		return nil, fmt.Errorf("chainsim: faucet has no mature coin unspent in the mempool worth %d sat: %w", total, ErrBadRequest)
	}
	tx := btcwire.NewMsgTx(2)
	tx.AddTxIn(btcwire.NewTxIn(&best, nil, nil))
	for _, o := range outs {
		tx.AddTxOut(copyTxOut(o))
	}
	if change := bestCoin.out.Value - total; change > 0 {
		tx.AddTxOut(btcwire.NewTxOut(change, c.faucetScript))
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(bestCoin.out.PkScript, bestCoin.out.Value)
	w, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher), 0,
		bestCoin.out.Value, bestCoin.out.PkScript, txscript.SigHashAll, c.faucetKey, true)
	if err != nil {
		return nil, fmt.Errorf("chainsim: faucet signature: %w", err)
	}
	tx.TxIn[0].Witness = w
	return tx, nil
}

// outPointLess orders outpoints by txid bytes, then index, for
// deterministic choices among equal coins.
func outPointLess(a, b btcwire.OutPoint) bool {
	if c := bytes.Compare(a.Hash[:], b.Hash[:]); c != 0 {
		return c < 0
	}
	return a.Index < b.Index
}
