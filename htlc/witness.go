package htlc

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
)

// LocalSigHashType is the sighash type of the commitment holder's own
// signature on its HTLC transactions: SIGHASH_ALL.
const LocalSigHashType = txscript.SigHashAll

// RemoteSigHashType returns the sighash type of the counterparty's signature
// on an HTLC transaction (the one it sends in commitment_signed):
// SIGHASH_ALL without anchors, SIGHASH_SINGLE|SIGHASH_ANYONECANPAY under
// option_anchors, which lets the holder add inputs and outputs to pay the
// fee (BOLT 3, "HTLC-Timeout and HTLC-Success Transactions").
func RemoteSigHashType(t script.ChannelType) txscript.SigHashType {
	if t.HasAnchors() {
		return txscript.SigHashSingle | txscript.SigHashAnyOneCanPay
	}
	return txscript.SigHashAll
}

// SignatureHash returns the BIP 143 digest that a signature with hashType
// over input 0 of an HTLC transaction commits to. htlcScript is the witness
// script of the commitment's HTLC output and htlcValue that output's value.
// Input 0 must be the HTLC input, as NewTimeoutTx and NewSuccessTx build it;
// other inputs (fee inputs added under anchors) may follow, as long as none
// spends a taproot output.
func SignatureHash(tx *btcwire.MsgTx, htlcScript []byte, htlcValue btcutil.Amount, hashType txscript.SigHashType) ([]byte, error) {
	if tx == nil || len(tx.TxIn) == 0 {
		return nil, fmt.Errorf("%w: an HTLC transaction needs its HTLC input", ErrInvalidParams)
	}
	prev := btcwire.NewTxOut(int64(htlcValue), script.P2WSH(htlcScript))
	fetcher := txscript.NewCannedPrevOutputFetcher(prev.PkScript, prev.Value)
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	return txscript.CalcWitnessSigHash(htlcScript, hashes, hashType, tx, 0, prev.Value)
}

// TimeoutWitness returns the witness of an HTLC-timeout transaction's input,
// spending the offered HTLC output through its 2-of-2 branch:
//
//	0 <remotehtlcsig> <localhtlcsig> <> <htlcScript>
//
// The remote signature gets RemoteSigHashType's byte, the local one
// SIGHASH_ALL.
func TimeoutWitness(t script.ChannelType, remoteSig, localSig *ecdsa.Signature, htlcScript []byte) btcwire.TxWitness {
	return script.OfferedHTLCLocalTimeoutWitness(
		script.Sig(remoteSig, RemoteSigHashType(t)), script.Sig(localSig, LocalSigHashType), htlcScript)
}

// SuccessWitness returns the witness of an HTLC-success transaction's input,
// spending the received HTLC output with the preimage:
//
//	0 <remotehtlcsig> <localhtlcsig> <payment_preimage> <htlcScript>
func SuccessWitness(t script.ChannelType, remoteSig, localSig *ecdsa.Signature, preimage Preimage, htlcScript []byte) btcwire.TxWitness {
	return script.ReceivedHTLCLocalSuccessWitness(
		script.Sig(remoteSig, RemoteSigHashType(t)), script.Sig(localSig, LocalSigHashType), preimage, htlcScript)
}
