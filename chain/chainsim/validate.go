package chainsim

import (
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"

	"github.com/lnkit/lnkit/chain"
)

// Consensus and policy limits the checks use.
const (
	// MaxBlockWeight is the consensus limit on a block's weight (BIP 141).
	MaxBlockWeight = 4_000_000
	// MaxStandardTxWeight is the largest transaction the mempool takes,
	// as Bitcoin Core's policy.
	MaxStandardTxWeight = 400_000
	// CoinbaseMaturity is the number of confirmations a coinbase output
	// needs before it can be spent.
	CoinbaseMaturity = 100
	// maxReplacements bounds how many mempool transactions one
	// replacement may evict (Bitcoin Core's rule 5).
	maxReplacements = 100
	// witnessScale is the weight of a non-witness byte (BIP 141).
	witnessScale = 4
)

// prevCoin is an output as an input being checked sees it.
type prevCoin struct {
	out *btcwire.TxOut
	// height is the height of the block holding the output; for an
	// output of an unconfirmed transaction, the height of the block the
	// spender is checked for, as BIP 68 assumes.
	height   uint32
	coinbase bool
}

// txWeight is the BIP 141 weight of tx.
func txWeight(tx *btcwire.MsgTx) int64 {
	return int64(tx.SerializeSizeStripped()*(witnessScale-1) + tx.SerializeSize())
}

// isNullOutPoint reports whether op is a coinbase input's prevout.
func isNullOutPoint(op btcwire.OutPoint) bool {
	return op.Index == btcwire.MaxPrevOutIndex && op.Hash == ([32]byte{})
}

// checkSanity applies the context-free rules: inputs and outputs present,
// output values in range, no input twice, no coinbase-style input.
func checkSanity(tx *btcwire.MsgTx) *RejectError {
	if len(tx.TxIn) == 0 {
		return reject(chain.ErrInvalidTx, -1, "no inputs")
	}
	if len(tx.TxOut) == 0 {
		return reject(chain.ErrInvalidTx, -1, "no outputs")
	}
	var total int64
	for i, out := range tx.TxOut {
		if out.Value < 0 || out.Value > btcutil.MaxSatoshi {
			return reject(chain.ErrInvalidTx, -1, "output %d value %d out of range", i, out.Value)
		}
		total += out.Value
		if total > btcutil.MaxSatoshi {
			return reject(chain.ErrInvalidTx, -1, "outputs total more than 21 million BTC")
		}
	}
	seen := make(map[btcwire.OutPoint]struct{}, len(tx.TxIn))
	for i, in := range tx.TxIn {
		if isNullOutPoint(in.PreviousOutPoint) {
			return reject(chain.ErrInvalidTx, i, "coinbase input outside a coinbase")
		}
		if _, dup := seen[in.PreviousOutPoint]; dup {
			return reject(chain.ErrInvalidTx, i, "spends %v twice", in.PreviousOutPoint)
		}
		seen[in.PreviousOutPoint] = struct{}{}
	}
	return nil
}

// isFinal reports whether tx may be in a block at height whose parent has
// median time past mtp (BIP 113): a zero lock time, a lock time below the
// height or time, or every input's sequence final.
func isFinal(tx *btcwire.MsgTx, height uint32, mtp int64) bool {
	if tx.LockTime == 0 {
		return true
	}
	limit := int64(height)
	if tx.LockTime >= txscript.LockTimeThreshold {
		limit = mtp
	}
	if int64(tx.LockTime) < limit {
		return true
	}
	for _, in := range tx.TxIn {
		if in.Sequence != btcwire.MaxTxInSequenceNum {
			return false
		}
	}
	return true
}

// checkContext applies the rules that depend on the spent outputs and on
// the block the transaction is checked for (at height, with mtp the median
// time past of its parent): nLockTime, coinbase maturity, BIP 68 relative
// lock times, value, and every input's script. It returns the fee.
func checkContext(tx *btcwire.MsgTx, prevs []prevCoin, height uint32, mtp int64) (btcutil.Amount, *RejectError) {
	if !isFinal(tx, height, mtp) {
		if tx.LockTime >= txscript.LockTimeThreshold {
			return 0, reject(chain.ErrNonFinal, -1, "nLockTime %d is a time not yet passed: median time past %d", tx.LockTime, mtp)
		}
		return 0, reject(chain.ErrNonFinal, -1, "nLockTime %d not below the height %d of the next block", tx.LockTime, height)
	}
	var sumIn int64
	for i, p := range prevs {
		if p.coinbase && height < p.height+CoinbaseMaturity {
			return 0, reject(chain.ErrSequenceLock, i, "spends a coinbase output of block %d before block %d (maturity)", p.height, p.height+CoinbaseMaturity)
		}
		sumIn += p.out.Value
		if sumIn > btcutil.MaxSatoshi {
			return 0, reject(chain.ErrInvalidTx, i, "inputs total more than 21 million BTC")
		}
	}
	if rej := checkSequenceLocks(tx, prevs, height, mtp); rej != nil {
		return 0, rej
	}
	var sumOut int64
	for _, o := range tx.TxOut {
		sumOut += o.Value
	}
	if sumOut > sumIn {
		return 0, reject(chain.ErrInvalidTx, -1, "outputs (%v) exceed inputs (%v)", btcutil.Amount(sumOut), btcutil.Amount(sumIn))
	}
	if rej := checkScripts(tx, prevs); rej != nil {
		return 0, rej
	}
	return btcutil.Amount(sumIn - sumOut), nil
}

// checkSequenceLocks applies BIP 68 to a version 2 (or later) transaction:
// an input whose sequence has the disable flag clear may be in a block
// only once the output it spends is old enough, counted in blocks, or in
// units of 512 seconds of median time past.
func checkSequenceLocks(tx *btcwire.MsgTx, prevs []prevCoin, height uint32, mtp int64) *RejectError {
	if uint32(tx.Version) < 2 {
		return nil
	}
	for i, in := range tx.TxIn {
		seq := in.Sequence
		if seq&btcwire.SequenceLockTimeDisabled != 0 {
			continue
		}
		value := int64(seq & btcwire.SequenceLockTimeMask)
		coinHeight := prevs[i].height
		if seq&btcwire.SequenceLockTimeIsSeconds != 0 {
			// The clock starts at the median time past of the block
			// before the one holding the output.
			start := medianTimePast(coinHeight - min(coinHeight, 1))
			minTime := start + value<<btcwire.SequenceLockTimeGranularity - 1
			if mtp <= minTime {
				return reject(chain.ErrSequenceLock, i, "relative lock of %d s from median time %d: median time past is %d, needs more than %d", value<<btcwire.SequenceLockTimeGranularity, start, mtp, minTime)
			}
			continue
		}
		if int64(height) < int64(coinHeight)+value {
			return reject(chain.ErrSequenceLock, i, "relative lock of %d blocks on an output confirmed at height %d: spendable in block %d, not %d", value, coinHeight, int64(coinHeight)+value, height)
		}
	}
	return nil
}

// checkScripts runs every input's script through btcd's engine with the
// standard verification flags (which include witness, CLTV, CSV, taproot,
// low-S, NULLFAIL and MINIMALIF).
func checkScripts(tx *btcwire.MsgTx, prevs []prevCoin) *RejectError {
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range tx.TxIn {
		fetcher.AddPrevOut(in.PreviousOutPoint, prevs[i].out)
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	for i, p := range prevs {
		vm, err := txscript.NewEngine(p.out.PkScript, tx, i, txscript.StandardVerifyFlags, nil, hashes, p.out.Value, fetcher)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			r := reject(chain.ErrScript, i, "spending %v", tx.TxIn[i].PreviousOutPoint)
			r.Cause = err
			return r
		}
	}
	return nil
}
