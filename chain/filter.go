package chain

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
)

// WatchedOutput is an output whose spend a consumer must hear about.
type WatchedOutput struct {
	// OutPoint is the output.
	OutPoint btcwire.OutPoint
	// PkScript is its output script, for hosts that can only subscribe
	// by script (Electrum's script hashes).
	PkScript []byte
}

// Filter is implemented by the host and called by the SDK to say what it
// must be told about, as LDK's Filter: a transaction-oriented host
// (Electrum, Esplora) subscribes to exactly these and reports matches
// through Confirmer; a block-oriented host may use them to filter the
// transactions of the blocks it hands to a Listener.
//
// A transaction matches when its txid was registered with RegisterTx, when
// one of its outputs pays a script registered with RegisterTx (a host
// watching by script sees replacements of the transaction too), or when it
// spends an output registered with RegisterOutput. A host may report more
// than matches; consumers ignore what they do not need.
//
// Registrations are permanent. The methods are called from inside
// Listener and Confirmer callbacks and from the consumers' own goroutines,
// so they must be safe for concurrent use and must not block: a host that
// subscribes over the network queues the registration.
type Filter interface {
	// RegisterTx asks to be told when the transaction txid confirms.
	// pkScript is the script of one of its outputs.
	RegisterTx(txid chainhash.Hash, pkScript []byte)
	// RegisterOutput asks to be told when a transaction spending out
	// confirms.
	RegisterOutput(out WatchedOutput)
}
