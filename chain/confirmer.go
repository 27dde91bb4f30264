package chain

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
)

// RelevantTx is a confirmed transaction that a Confirmer cares about, with
// the block it was confirmed in, so that the host can check whether that
// block is still in the best chain.
type RelevantTx struct {
	// Txid is the transaction's id.
	Txid chainhash.Hash
	// Height is the height of the block that confirmed it.
	Height uint32
	// BlockHash is the hash of that block; the zero hash if the consumer
	// does not know it.
	BlockHash chainhash.Hash
}

// Confirmer is implemented by the SDK's consumers of chain data for hosts
// that see transactions rather than blocks: an Electrum or Esplora client
// that subscribes to what the consumers registered with a Filter. It is
// LDK's Confirm model.
//
// The host calls these methods in chain order:
//   - TransactionsConfirmed for every transaction the Filter registrations
//     match, once confirmed: blocks in height order, and within a block in
//     block order (dependent transactions of one block may come in later
//     calls for the same block, but parents before children);
//   - TransactionUnconfirmed for every transaction from
//     RelevantTransactions whose block left the best chain, after its
//     confirmation and before any new confirmation of it;
//   - BestBlockUpdated whenever the tip changes, whether or not the new
//     block holds anything relevant; it may come before or after the
//     TransactionsConfirmed calls of the same block.
//
// If a consumer registers new transactions or outputs with the Filter from
// inside TransactionsConfirmed, the host must look for matches again in
// the same block (a spend of an output confirmed in that block may sit in
// it too) and report them in another call for that block.
//
// Calls to one Confirmer are serial. A consumer may call the Broadcaster,
// FeeEstimator, Filter and Wallet from inside them. An error means the
// consumer could not take the event in; the host should deliver it again
// later, so consumers treat a repeated event as a no-op.
type Confirmer interface {
	// TransactionsConfirmed hands in transactions confirmed in the block
	// with header at height, with their indexes in that block.
	TransactionsConfirmed(ctx context.Context, header btcwire.BlockHeader, height uint32, txs []IndexedTx) error
	// TransactionUnconfirmed reports that a transaction returned by
	// RelevantTransactions is no longer confirmed: its block was
	// reorganised out. It may confirm again later.
	TransactionUnconfirmed(ctx context.Context, txid chainhash.Hash) error
	// BestBlockUpdated reports the new tip.
	BestBlockUpdated(ctx context.Context, header btcwire.BlockHeader, height uint32) error
	// RelevantTransactions lists the confirmed transactions whose
	// un-confirmation the consumer must hear about. It must not block.
	RelevantTransactions() []RelevantTx
}

// Confirmers fans one host feed out to several Confirmers, in slice order,
// as Listeners does for Listeners. Errors are joined and a failing element
// does not keep the event from the others.
type Confirmers []Confirmer

// TransactionsConfirmed calls TransactionsConfirmed on every Confirmer in
// order.
func (cs Confirmers) TransactionsConfirmed(ctx context.Context, header btcwire.BlockHeader, height uint32, txs []IndexedTx) error {
	var errs []error
	for i, c := range cs {
		if err := c.TransactionsConfirmed(ctx, header, height, txs); err != nil {
			errs = append(errs, fmt.Errorf("confirmer %d: block %d: %w", i, height, err))
		}
	}
	return errors.Join(errs...)
}

// TransactionUnconfirmed calls TransactionUnconfirmed on every Confirmer
// in order.
func (cs Confirmers) TransactionUnconfirmed(ctx context.Context, txid chainhash.Hash) error {
	var errs []error
	for i, c := range cs {
		if err := c.TransactionUnconfirmed(ctx, txid); err != nil {
			errs = append(errs, fmt.Errorf("confirmer %d: unconfirm %s: %w", i, txid, err))
		}
	}
	return errors.Join(errs...)
}

// BestBlockUpdated calls BestBlockUpdated on every Confirmer in order.
func (cs Confirmers) BestBlockUpdated(ctx context.Context, header btcwire.BlockHeader, height uint32) error {
	var errs []error
	for i, c := range cs {
		if err := c.BestBlockUpdated(ctx, header, height); err != nil {
			errs = append(errs, fmt.Errorf("confirmer %d: tip %d: %w", i, height, err))
		}
	}
	return errors.Join(errs...)
}

// RelevantTransactions returns the union of every Confirmer's list, in
// order, each txid once (the first Confirmer to report it wins).
func (cs Confirmers) RelevantTransactions() []RelevantTx {
	seen := make(map[chainhash.Hash]struct{})
	var out []RelevantTx
	for _, c := range cs {
		for _, r := range c.RelevantTransactions() {
			if _, ok := seen[r.Txid]; ok {
				continue
			}
			seen[r.Txid] = struct{}{}
			out = append(out, r)
		}
	}
	return out
}
