package htlc

import (
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
)

// execute runs input idx of tx through btcd's script engine with the
// standard verify flags. extra lists the outputs spent by other inputs.
func execute(tx *btcwire.MsgTx, idx int, prevOut *btcwire.TxOut, extra map[btcwire.OutPoint]*btcwire.TxOut) error {
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	fetcher.AddPrevOut(tx.TxIn[idx].PreviousOutPoint, prevOut)
	for op, out := range extra {
		fetcher.AddPrevOut(op, out)
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	vm, err := txscript.NewEngine(prevOut.PkScript, tx, idx, txscript.StandardVerifyFlags, nil, hashes, prevOut.Value, fetcher)
	if err != nil {
		return err
	}
	return vm.Execute()
}
