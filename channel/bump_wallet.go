package channel

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Witness sizes of common wallet inputs, for WalletInput.WitnessSize: the
// witness as serialized, with its item count.
const (
	// P2WPKHWitnessSize is a P2WPKH spend: 1 (count) + 1+73 (signature
	// with sighash byte, at its longest) + 1+33 (compressed key).
	P2WPKHWitnessSize = 109
	// TaprootKeySpendWitnessSize is a taproot key-path spend: 1 (count) +
	// 1+65 (Schnorr signature with a sighash byte).
	TaprootKeySpendWitnessSize = 67
)

// ErrInsufficientFunds reports wallet inputs that cannot pay a fee bump's
// fee and leave a change output at or above its dust threshold. Errors
// wrapping it are *InsufficientFundsError.
var ErrInsufficientFunds = errors.New("channel: wallet inputs do not cover the fee and a change output above dust")

// InsufficientFundsError says how far the wallet inputs of a fee bump fall
// short.
type InsufficientFundsError struct {
	// Missing is how much more the inputs must hold for the transaction
	// as it stands; each input added raises the fee by its own weight.
	Missing btcutil.Amount
	// Fee is the fee the transaction needs.
	Fee btcutil.Amount
}

// Error describes the shortfall.
func (e *InsufficientFundsError) Error() string {
	return fmt.Sprintf("%v: %v short (fee %v)", ErrInsufficientFunds, e.Missing, e.Fee)
}

// Unwrap returns ErrInsufficientFunds.
func (e *InsufficientFundsError) Unwrap() error { return ErrInsufficientFunds }

// WalletInput is a coin of the host's wallet that pays for a fee bump.
// This package puts it in the transaction and leaves its witness empty; the
// wallet signs it afterwards (see WalletFundedTx).
type WalletInput struct {
	// OutPoint is the coin.
	OutPoint btcwire.OutPoint
	// Value is its amount.
	Value btcutil.Amount
	// PkScript is the script it pays: a native segwit output (P2WPKH,
	// P2WSH or taproot), so that the input's scriptSig stays empty.
	PkScript []byte
	// WitnessSize is the largest witness, in bytes as serialized with its
	// item count, the wallet will put on the input (P2WPKHWitnessSize,
	// TaprootKeySpendWitnessSize, or the wallet's own figure). The fee is
	// computed with it; a larger witness lowers the fee rate reached.
	WitnessSize int
}

// WalletFunding is what a fee bump takes from the host's wallet.
type WalletFunding struct {
	// Inputs are the wallet's coins; they are added after this node's
	// own inputs, in this order, each with sequence 0xFFFFFFFD.
	Inputs []WalletInput
	// ChangeScript is paid whatever the inputs hold beyond the fee; the
	// change output must reach the script's dust threshold.
	ChangeScript []byte
	// FeeRate is the fee rate to reach, in sat/kw.
	FeeRate wire.SatPerKWeight
}

// WalletFundedTx is a fee-bumping transaction in which this package has
// signed its own inputs and left the wallet's for the wallet to sign.
//
// This node's signatures are SIGHASH_ALL: they commit to every input and
// output, so the wallet must sign Tx as it is, adding witnesses only, with
// SIGHASH_ALL (SIGHASH_DEFAULT for taproot) so that nobody can change the
// transaction after it either.
type WalletFundedTx struct {
	// Tx is the transaction; the witnesses of the wallet's inputs are
	// empty.
	Tx *btcwire.MsgTx
	// WalletInputs are the indexes in Tx.TxIn of WalletFunding.Inputs,
	// in order.
	WalletInputs []int
	// Change is the index of the change output in Tx.TxOut.
	Change int
	// PrevOuts are the outputs Tx's inputs spend, in input order: what
	// the wallet's signer needs (a taproot signature commits to all of
	// them).
	PrevOuts []*btcwire.TxOut
	// Weight is the weight the fee was computed for: Tx's with this
	// node's signatures at 73 bytes and each wallet witness at its
	// WitnessSize, an upper bound of the signed transaction's weight.
	Weight int64
	// Fee is what Tx pays: its inputs minus its outputs.
	Fee btcutil.Amount
}

// PrevOutFetcher returns PrevOuts as a fetcher for
// txscript.NewTxSigHashes, the script engine and the wallet's signer.
func (w *WalletFundedTx) PrevOutFetcher() *txscript.MultiPrevOutFetcher {
	f := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range w.Tx.TxIn {
		f.AddPrevOut(in.PreviousOutPoint, w.PrevOuts[i])
	}
	return f
}

// checkFunding validates f; taken holds the outpoints the transaction's
// other inputs spend. It returns the inputs' total.
func checkFunding(f *WalletFunding, taken map[btcwire.OutPoint]bool) (btcutil.Amount, error) {
	if f == nil || len(f.ChangeScript) == 0 {
		return 0, fmt.Errorf("%w: a fee bump needs a change script", ErrInvalidSweep)
	}
	var total btcutil.Amount
	for i := range f.Inputs {
		in := &f.Inputs[i]
		if in.Value <= 0 || in.Value > btcutil.MaxSatoshi {
			return 0, fmt.Errorf("%w: wallet input %d value %v", ErrInvalidSweep, i, in.Value)
		}
		if !txscript.IsWitnessProgram(in.PkScript) {
			return 0, fmt.Errorf("%w: wallet input %d is not a native segwit output", ErrInvalidSweep, i)
		}
		if in.WitnessSize < 2 {
			return 0, fmt.Errorf("%w: wallet input %d witness size %d", ErrInvalidSweep, i, in.WitnessSize)
		}
		if taken[in.OutPoint] {
			return 0, fmt.Errorf("%w: outpoint %v spent twice", ErrInvalidSweep, in.OutPoint)
		}
		taken[in.OutPoint] = true
		total += in.Value
		if total > btcutil.MaxSatoshi {
			return 0, fmt.Errorf("%w: wallet inputs total more than 21 million BTC", ErrInvalidSweep)
		}
	}
	return total, nil
}

// addWalletInputs appends f's inputs, with empty witnesses, to tx and
// returns their indexes and the weight their witnesses will add.
func addWalletInputs(tx *btcwire.MsgTx, f *WalletFunding) (indexes []int, witnessWeight int64) {
	for i := range f.Inputs {
		in := &f.Inputs[i]
		indexes = append(indexes, len(tx.TxIn))
		tx.TxIn = append(tx.TxIn, &btcwire.TxIn{PreviousOutPoint: in.OutPoint, Sequence: rbfSequence})
		// An empty witness serializes as its one-byte item count,
		// which WitnessSize includes.
		witnessWeight += int64(in.WitnessSize - 1)
	}
	return indexes, witnessWeight
}

// setChange sets the value of change output out of a transaction whose
// inputs hold in and whose other outputs hold paid, for fee, or reports
// the shortfall.
func setChange(out *btcwire.TxOut, in, paid, fee btcutil.Amount) error {
	dust := script.DustThreshold(out.PkScript)
	change := in - paid - fee
	if change < dust {
		return &InsufficientFundsError{Missing: dust - change, Fee: fee}
	}
	out.Value = int64(change)
	return nil
}
