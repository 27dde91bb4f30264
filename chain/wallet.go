package chain

import (
	"context"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/wire"
)

// Input is an input that the caller of Wallet.FundPsbt adds and signs itself,
// such as an anchor output that a child pays for, or an HTLC output that a
// second-stage transaction spends.
type Input struct {
	// OutPoint is the output spent.
	OutPoint btcwire.OutPoint
	// Prev is that output: its value counts towards the transaction's
	// inputs and its script is put in the PSBT.
	Prev *btcwire.TxOut
	// Sequence is the input's nSequence (a CSV delay, or
	// btcwire.MaxTxInSequenceNum).
	Sequence uint32
	// WitnessWeight is the weight of the witness that will spend it,
	// including the item count, so that the fee covers it.
	WitnessWeight int64
}

// FundRequest asks a Wallet to pay for a transaction (Wallet.FundPsbt).
type FundRequest struct {
	// Outputs are the outputs to pay, in this order, at indexes
	// 0..len(Outputs)-1 of the funded transaction. A funding output's
	// index is therefore known before anything is signed. Outputs may be
	// empty (a CPFP child spending an anchor): the change output is then
	// the transaction's only output.
	Outputs []*btcwire.TxOut
	// Inputs are inputs the caller signs, in this order, at indexes
	// 0..len(Inputs)-1; the wallet's own inputs follow them. This keeps
	// SIGHASH_SINGLE pairs (input i with output i) intact.
	Inputs []Input
	// FeeRate is the fee rate of the whole transaction, signed, at which
	// the wallet sets the fee.
	FeeRate wire.SatPerKWeight
	// Version is the transaction version; 0 means 2.
	Version int32
	// LockTime is the transaction's nLockTime.
	LockTime uint32
}

// Funded is a transaction that a Wallet has completed with its inputs and
// change, unsigned.
type Funded struct {
	// Packet holds the unsigned transaction. Every input has its
	// WitnessUtxo set. Packet.UnsignedTx.TxHash() is already the final
	// txid, because the wallet adds only segwit inputs.
	Packet *psbt.Packet
	// ChangeIndex is the index of the change output, or -1 if there is
	// none (the remainder, below the dust limit, went to the fee).
	ChangeIndex int
	// Fee is the fee the transaction pays.
	Fee btcutil.Amount
}

// Wallet is implemented by the host (or the SDK's own on-chain wallet) to
// pay for funding transactions, CPFP children and fee bumps, and to
// provide scripts for change, sweeps and shutdown.
//
// The exchange format is BIP 174 (PSBT), which every wallet and signing
// device speaks: the SDK learns the txid and the funding output's index
// from the unsigned transaction, signs its own inputs (or has them signed
// by the peer), and lets the wallet sign the rest.
//
// FundPsbt locks the inputs it selects, so that concurrent requests do
// not spend the same coins, until ReleaseInputs is called or the
// transaction spends them. All methods must be safe for concurrent use
// and may be called from inside Listener and Confirmer callbacks.
type Wallet interface {
	// FundPsbt selects inputs of the wallet and adds a change output as
	// needed, so that req's outputs are paid at req.FeeRate, and returns
	// the unsigned PSBT. It wraps ErrInsufficientFunds if the wallet's
	// spendable coins do not suffice. Every input it adds spends a segwit
	// output, so the txid does not change when the transaction is signed
	// (BOLT 2 requires this of a funding transaction).
	FundPsbt(ctx context.Context, req *FundRequest) (*Funded, error)
	// SignPsbt signs and finalizes the inputs of p that spend the
	// wallet's coins, with SIGHASH_ALL, and leaves the other inputs
	// untouched. Call it once every output, sequence and lock time is
	// final; psbt.Extract then gives the transaction, once the caller has
	// finalized its own inputs.
	SignPsbt(ctx context.Context, p *psbt.Packet) error
	// ReleaseInputs unlocks the wallet's inputs of p, a transaction that
	// will not be broadcast.
	ReleaseInputs(ctx context.Context, p *psbt.Packet) error
	// NewScript returns a fresh output script of the wallet (P2WPKH or
	// P2TR), for change, sweeps and shutdown scripts.
	NewScript(ctx context.Context) ([]byte, error)
}
