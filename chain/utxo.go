package chain

import (
	"context"
	"errors"

	btcwire "github.com/btcsuite/btcd/wire"
)

// ErrOutputNotFound is what a UTXOSource wraps when the best chain has no
// such block, transaction or output, or the output is spent.
var ErrOutputNotFound = errors.New("chain: no unspent output at that position")

// UTXOSource looks up an unspent output by its position in the best chain,
// the position a short_channel_id names (block height, index of the
// transaction in the block, index of the output). Gossip uses it to check,
// as BOLT 7 asks, that an announced channel's funding output exists, pays
// the 2-of-2 of the announcement's bitcoin keys and is unspent, and to learn
// the channel's capacity. It is optional: a host that cannot look outputs
// up (a light client that only follows its own scripts) leaves it out, and
// announced channels are then taken unverified, with no capacity.
//
// A full node answers it from its block index and UTXO set (bitcoind and
// btcd: getblockhash, getblock, gettxout); an Esplora server from
// /block-height, /block/:hash/txid/:index and /tx/:txid/outspend.
// It must be safe for concurrent use; it may block (on the network), and
// must heed ctx.
type UTXOSource interface {
	// UnspentOutput returns the output at (height, txIndex, outIndex)
	// of the best chain if it is unspent, or an error wrapping
	// ErrOutputNotFound if there is none or it is spent. Other errors
	// mean the source could not answer.
	UnspentOutput(ctx context.Context, height, txIndex uint32, outIndex uint16) (*btcwire.TxOut, error)
}
