package chain

import (
	"context"
	"errors"
	"fmt"

	btcwire "github.com/btcsuite/btcd/wire"
)

// IndexedTx is a confirmed transaction with its position in its block, the
// position a short_channel_id (BOLT 7) records.
type IndexedTx struct {
	// Index is the transaction's position in the block; the coinbase is 0.
	Index uint32
	// Tx is the transaction. It belongs to the caller and must not be
	// modified; a consumer that keeps it keeps it read-only.
	Tx *btcwire.MsgTx
}

// Block is a block connected to the best chain, as a host hands it to a
// Listener.
type Block struct {
	// Header is the block's header; Header.BlockHash() is its hash.
	Header btcwire.BlockHeader
	// Height is the block's height.
	Height uint32
	// Txs are the block's transactions in block order: all of them, or
	// only those that match the consumers' Filter registrations (a host
	// using compact block filters may hand in only those). Either way each
	// carries its true index in the block.
	Txs []IndexedTx
}

// Listener is implemented by the SDK's consumers of chain data (channels,
// the monitor) for hosts that see every block: a bitcoind or btcd node, or
// a BIP 157/158 client. It is the block-oriented of the two push models;
// Confirmer is the transaction-oriented one. A host feeds each consumer
// through one of them, never both.
//
// The host calls BlockConnected for every block that joins the best chain,
// in height order with no gaps, starting just above the height the
// consumer was created at or last synced to. On a reorganisation it calls
// BlockDisconnected for every block that leaves the best chain, the tip
// first, before connecting the blocks of the new branch. Calls to one
// Listener are serial.
//
// A consumer may call the Broadcaster, FeeEstimator, Filter and Wallet from
// inside these methods. An error means the consumer could not take the
// block in (for example, it could not persist what the block changed); the
// host should stop feeding it and deliver the same call again later.
// Consumers therefore treat a repeated block as a no-op.
type Listener interface {
	// BlockConnected hands in a block that became the new tip.
	BlockConnected(ctx context.Context, b *Block) error
	// BlockDisconnected reports that the tip at height, with header, left
	// the best chain: everything it confirmed is unconfirmed again, and
	// the tip is now its parent at height-1.
	BlockDisconnected(ctx context.Context, header btcwire.BlockHeader, height uint32) error
}

// Listeners fans one host feed out to several Listeners: each call is made
// on every element in slice order, so a host that drives the channels and
// the monitor from one block source registers Listeners{channels, monitor}.
// A failing Listener does not keep the block from the others; the errors
// are joined, so the host retries the call and every element must treat a
// block it has already seen as a no-op.
type Listeners []Listener

// BlockConnected calls BlockConnected on every Listener in order.
func (ls Listeners) BlockConnected(ctx context.Context, b *Block) error {
	var errs []error
	for i, l := range ls {
		if err := l.BlockConnected(ctx, b); err != nil {
			errs = append(errs, fmt.Errorf("listener %d: block %d: %w", i, b.Height, err))
		}
	}
	return errors.Join(errs...)
}

// BlockDisconnected calls BlockDisconnected on every Listener in order.
func (ls Listeners) BlockDisconnected(ctx context.Context, header btcwire.BlockHeader, height uint32) error {
	var errs []error
	for i, l := range ls {
		if err := l.BlockDisconnected(ctx, header, height); err != nil {
			errs = append(errs, fmt.Errorf("listener %d: disconnect %d: %w", i, height, err))
		}
	}
	return errors.Join(errs...)
}
