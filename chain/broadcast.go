package chain

import (
	"context"

	btcwire "github.com/btcsuite/btcd/wire"
)

// Broadcaster is implemented by the host to publish transactions.
//
// Several transactions given in one call are a package, parents first: a
// commitment and the child that spends its anchor to pay for both (CPFP),
// or a parent and its descendants. A host whose node supports package
// relay submits them together, so that a parent paying less than the
// minimum relay fee is carried by its child; otherwise it sends them one by
// one, in order.
//
// Broadcast returns nil if the transactions were accepted or are already
// known (in the mempool or confirmed), so rebroadcasting is always safe.
// An error wraps, where the host can tell, one of ErrInvalidTx,
// ErrMissingInput, ErrDoubleSpend, ErrScript, ErrNonFinal, ErrSequenceLock
// or ErrFeeTooLow. It must be safe for concurrent use and may be called
// from inside Listener and Confirmer callbacks.
type Broadcaster interface {
	// Broadcast publishes txs, a single transaction or a package ordered
	// parents first.
	Broadcast(ctx context.Context, txs ...*btcwire.MsgTx) error
}
