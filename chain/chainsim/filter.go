package chainsim

import (
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
)

// Filter is the chain.Filter that AddConfirmer returns: what one Confirmer
// registered, and so what it is told about. It is safe for concurrent use
// and may be called from inside the Confirmer's callbacks; a registration
// made while TransactionsConfirmed runs makes the chain look through the
// same block again.
//
// A transaction matches if its txid was registered, if one of its outputs
// pays a script registered with RegisterTx, or if it spends a registered
// output.
type Filter struct {
	mu      sync.Mutex
	txids   map[chainhash.Hash]struct{}
	scripts map[string]struct{}
	outs    map[btcwire.OutPoint]struct{}
	gen     uint64 // counts registrations
}

var _ chain.Filter = (*Filter)(nil)

func newFilter() *Filter {
	return &Filter{
		txids:   make(map[chainhash.Hash]struct{}),
		scripts: make(map[string]struct{}),
		outs:    make(map[btcwire.OutPoint]struct{}),
	}
}

// RegisterTx asks for the transaction txid, and for any transaction paying
// pkScript.
func (f *Filter) RegisterTx(txid chainhash.Hash, pkScript []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txids[txid] = struct{}{}
	if len(pkScript) > 0 {
		f.scripts[string(pkScript)] = struct{}{}
	}
	f.gen++
}

// RegisterOutput asks for any transaction spending out.OutPoint.
func (f *Filter) RegisterOutput(out chain.WatchedOutput) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outs[out.OutPoint] = struct{}{}
	f.gen++
}

func (f *Filter) generation() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gen
}

// Matches reports whether tx matches the registrations.
func (f *Filter) Matches(tx *btcwire.MsgTx) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.txids[tx.TxHash()]; ok {
		return true
	}
	for _, out := range tx.TxOut {
		if _, ok := f.scripts[string(out.PkScript)]; ok {
			return true
		}
	}
	for _, in := range tx.TxIn {
		if _, ok := f.outs[in.PreviousOutPoint]; ok {
			return true
		}
	}
	return false
}
