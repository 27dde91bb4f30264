package rpc

import (
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
)

// WatchFilter implements chain.Filter for a Poller: given to a Poller, it
// makes the Poller hand each block to the Listener with only the
// transactions that match a registration (each with its true index in the
// block) instead of all of them. Registrations are permanent. It is safe
// for concurrent use and never blocks, so consumers may register from
// inside their Listener callbacks; a registration made while a block is
// being delivered applies from the next block on.
//
// A transaction matches when its txid was registered, when one of its
// outputs pays a registered script, when it spends a registered output, or
// when it spends an output of a transaction of the same block that
// matched (so that a parent and the child that spends it in one block are
// both delivered, as a consumer cannot register the child's input in
// time).
type WatchFilter struct {
	mu      sync.RWMutex
	txids   map[chainhash.Hash]struct{}
	scripts map[string]struct{}
	outputs map[btcwire.OutPoint]struct{}
}

var _ chain.Filter = (*WatchFilter)(nil)

// NewWatchFilter returns an empty filter: no transaction matches.
func NewWatchFilter() *WatchFilter {
	return &WatchFilter{
		txids:   make(map[chainhash.Hash]struct{}),
		scripts: make(map[string]struct{}),
		outputs: make(map[btcwire.OutPoint]struct{}),
	}
}

// RegisterTx implements chain.Filter: the transaction txid, and any
// transaction with an output paying pkScript, will match. An empty
// pkScript registers the txid alone.
func (f *WatchFilter) RegisterTx(txid chainhash.Hash, pkScript []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txids[txid] = struct{}{}
	if len(pkScript) > 0 {
		f.scripts[string(pkScript)] = struct{}{}
	}
}

// RegisterOutput implements chain.Filter: any transaction spending
// out.OutPoint will match, and so will any transaction paying
// out.PkScript if it is not empty.
func (f *WatchFilter) RegisterOutput(out chain.WatchedOutput) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outputs[out.OutPoint] = struct{}{}
	if len(out.PkScript) > 0 {
		f.scripts[string(out.PkScript)] = struct{}{}
	}
}

// Match reports whether tx matches a registration (without the same-block
// rule, which needs the block).
func (f *WatchFilter) Match(tx *btcwire.MsgTx) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.match(tx, tx.TxHash(), nil)
}

func (f *WatchFilter) match(tx *btcwire.MsgTx, txid chainhash.Hash, parents map[chainhash.Hash]struct{}) bool {
	if _, ok := f.txids[txid]; ok {
		return true
	}
	for _, out := range tx.TxOut {
		if _, ok := f.scripts[string(out.PkScript)]; ok {
			return true
		}
	}
	for _, in := range tx.TxIn {
		if _, ok := f.outputs[in.PreviousOutPoint]; ok {
			return true
		}
		if _, ok := parents[in.PreviousOutPoint.Hash]; ok {
			return true
		}
	}
	return false
}

// filterBlock returns the block's transactions that f lets through, with
// their indexes; all of them if f is nil.
func filterBlock(f *WatchFilter, b *btcwire.MsgBlock) []chain.IndexedTx {
	if f == nil {
		txs := make([]chain.IndexedTx, len(b.Transactions))
		for i, tx := range b.Transactions {
			txs[i] = chain.IndexedTx{Index: uint32(i), Tx: tx}
		}
		return txs
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	var txs []chain.IndexedTx
	parents := make(map[chainhash.Hash]struct{})
	for i, tx := range b.Transactions {
		txid := tx.TxHash()
		if f.match(tx, txid, parents) {
			txs = append(txs, chain.IndexedTx{Index: uint32(i), Tx: tx})
			parents[txid] = struct{}{}
		}
	}
	return txs
}
