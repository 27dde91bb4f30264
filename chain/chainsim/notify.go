package chainsim

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
)

// consumer is a registered Listener, or a Confirmer with its Filter.
type consumer struct {
	l  chain.Listener
	cf chain.Confirmer
	f  *Filter
}

// AddListener registers l to be told of every block connected or
// disconnected from now on, with all its transactions. Consumers are
// called in the order they were added.
func (c *Chain) AddListener(l chain.Listener) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.consumers = append(c.consumers, &consumer{l: l})
}

// AddConfirmer registers cf to be told, from the next block on, of the
// transactions that match what it registers with the returned Filter, of
// their un-confirmation (through cf.RelevantTransactions) and of every new
// tip. Consumers are called in the order they were added.
func (c *Chain) AddConfirmer(cf chain.Confirmer) *Filter {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := newFilter()
	c.consumers = append(c.consumers, &consumer{cf: cf, f: f})
	return f
}

// event is a block connected to or disconnected from the best chain, as
// captured under mu for delivery after it is released.
type event struct {
	connect bool
	header  btcwire.BlockHeader
	hash    chainhash.Hash
	height  uint32
	txs     []*btcwire.MsgTx
	// parent is the header of the block below, the tip after a
	// disconnection.
	parent btcwire.BlockHeader
}

func connectEvent(rec *blockRec) event {
	return event{connect: true, header: rec.block.Header, hash: rec.hash, height: rec.height, txs: rec.block.Transactions}
}

// snapshot returns the consumers registered now; the caller holds mu.
func (c *Chain) snapshot() []*consumer { return append([]*consumer(nil), c.consumers...) }

// deliver hands the events, in order, to every consumer, in order, with
// mu released. A consumer's error is reported and does not keep the event
// from the other consumers; chainsim does not deliver it again.
func (c *Chain) deliver(ctx context.Context, cons []*consumer, evs []event) error {
	var errs []error
	for _, ev := range evs {
		for i, cs := range cons {
			var err error
			switch {
			case cs.l != nil && ev.connect:
				err = cs.l.BlockConnected(ctx, &chain.Block{Header: ev.header, Height: ev.height, Txs: indexed(ev.txs, nil)})
			case cs.l != nil:
				err = cs.l.BlockDisconnected(ctx, ev.header, ev.height)
			case ev.connect:
				err = confirmBlock(ctx, cs, ev)
			default:
				err = unconfirmBlock(ctx, cs, ev)
			}
			if err != nil {
				verb := "connecting"
				if !ev.connect {
					verb = "disconnecting"
				}
				errs = append(errs, fmt.Errorf("chainsim: consumer %d, %s block %d: %w", i, verb, ev.height, err))
			}
		}
	}
	return errors.Join(errs...)
}

// indexed copies the transactions of a block that pick selects (all if
// pick is nil) with their indexes.
func indexed(txs []*btcwire.MsgTx, pick func(i int) bool) []chain.IndexedTx {
	var out []chain.IndexedTx
	for i, tx := range txs {
		if pick == nil || pick(i) {
			out = append(out, chain.IndexedTx{Index: uint32(i), Tx: tx.Copy()})
		}
	}
	return out
}

// confirmBlock tells a Confirmer of the block's matching transactions and
// then of the new tip. If the Confirmer registers more with its Filter
// while it is told, the block is searched again for transactions that now
// match, as the chain.Confirmer contract requires of hosts.
func confirmBlock(ctx context.Context, cs *consumer, ev event) error {
	sent := make([]bool, len(ev.txs))
	for {
		gen := cs.f.generation()
		batch := indexed(ev.txs, func(i int) bool {
			if sent[i] || !cs.f.Matches(ev.txs[i]) {
				return false
			}
			sent[i] = true
			return true
		})
		if len(batch) == 0 {
			break
		}
		if err := cs.cf.TransactionsConfirmed(ctx, ev.header, ev.height, batch); err != nil {
			return err
		}
		if cs.f.generation() == gen {
			break
		}
	}
	return cs.cf.BestBlockUpdated(ctx, ev.header, ev.height)
}

// unconfirmBlock tells a Confirmer which of its relevant transactions the
// disconnected block held, and then of the new tip.
func unconfirmBlock(ctx context.Context, cs *consumer, ev event) error {
	for _, r := range cs.cf.RelevantTransactions() {
		inBlock := r.BlockHash == ev.hash || (r.BlockHash == chainhash.Hash{} && r.Height >= ev.height)
		if !inBlock {
			continue
		}
		if err := cs.cf.TransactionUnconfirmed(ctx, r.Txid); err != nil {
			return err
		}
	}
	return cs.cf.BestBlockUpdated(ctx, ev.parent, ev.height-1)
}
