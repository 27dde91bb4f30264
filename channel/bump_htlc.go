package channel

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// BumpHTLCTx fee-bumps the zero-fee HTLC-timeout or HTLC-success
// transaction of c.HTLCs[i] of this node's option_anchors commitment c
// (c.Owner must be Local) with the wallet inputs of f, and completes it.
//
// The transaction is c.HTLCs[i].SecondLevelTx with the wallet inputs
// added after the HTLC input and a change output (f.ChangeScript) after
// the HTLC transaction's output. Input 0 and output 0 stay paired, so the
// peer's signature remoteSig (from commitment_signed,
// SIGHASH_SINGLE|SIGHASH_ANYONECANPAY) still holds; it is checked first,
// an invalid one being a *SignatureError wrapping ErrInvalidHTLCSig. This
// node's HTLC signature is made again over the whole transaction,
// SIGHASH_ALL, and input 0's witness completed (HTLC-success needs the
// preimage). The wallet inputs are left for the wallet to sign. The
// locktime stays cltv_expiry for HTLC-timeout, which the wallet inputs'
// sequence 0xFFFFFFFD keeps enforced.
//
// The HTLC input and output carry no fee, so the wallet inputs pay all of
// f.FeeRate times the transaction's weight; when they cannot and leave
// change at or above dust, the error is an *InsufficientFundsError.
func BumpHTLCTx(ctx context.Context, s Signer, c *Commitment, i int, remoteSig wire.Signature, preimage *htlc.Preimage, f *WalletFunding) (*WalletFundedTx, error) {
	return bumpHTLC(ctx, s, c, i, remoteSig, preimage, f, true)
}

func bumpHTLC(ctx context.Context, s Signer, c *Commitment, i int, remoteSig wire.Signature, preimage *htlc.Preimage, f *WalletFunding, checkSigs bool) (*WalletFundedTx, error) {
	if c == nil || c.Owner != Local || c.Keys == nil || i < 0 || i >= len(c.HTLCs) {
		return nil, fmt.Errorf("%w: no local HTLC %d", ErrInvalidParams, i)
	}
	if s == nil {
		return nil, fmt.Errorf("%w: no signer", ErrInvalidParams)
	}
	if !c.Type.HasAnchors() {
		return nil, fmt.Errorf("%w: only option_anchors HTLC transactions can take fee inputs (the peer signed the others SIGHASH_ALL)", ErrInvalidSweep)
	}
	h := &c.HTLCs[i]
	if h.SecondLevelTx == nil || len(h.SecondLevelTx.TxIn) != 1 || len(h.SecondLevelTx.TxOut) != 1 {
		return nil, fmt.Errorf("%w: HTLC %d has no HTLC transaction", ErrInvalidParams, h.ID)
	}
	if h.Direction == htlc.Received && (preimage == nil || !preimage.Matches(h.PaymentHash)) {
		return nil, fmt.Errorf("%w: HTLC-success needs the preimage of %v", ErrInvalidSweep, h.PaymentHash)
	}
	ws := h.Output.WitnessScript
	value := h.Output.Value
	remoteType := htlc.RemoteSigHashType(c.Type)

	// The peer's signature covers input 0, output 0, the version and the
	// locktime only: check it on the unbumped transaction.
	digest, err := witnessV0SigHash(h.SecondLevelTx, 0, ws, int64(value), remoteType)
	if err != nil {
		return nil, err
	}
	if !verifyPeerSig(remoteSig, digest[:], c.Keys.RemoteHTLCKey) {
		return nil, &SignatureError{HTLCIndex: i, HTLCID: h.ID, Err: ErrInvalidHTLCSig}
	}

	taken := map[btcwire.OutPoint]bool{h.SecondLevelTx.TxIn[0].PreviousOutPoint: true}
	walletValue, err := checkFunding(f, taken)
	if err != nil {
		return nil, err
	}
	tx := h.SecondLevelTx.Copy()
	if btcutil.Amount(tx.TxOut[0].Value) != value {
		return nil, fmt.Errorf("%w: HTLC %d transaction pays a fee of its own", ErrInvalidSweep, h.ID)
	}
	dummy := make([]byte, maxWitnessSig)
	witness := func(remote, local []byte) btcwire.TxWitness {
		if h.Direction == htlc.Offered {
			return script.OfferedHTLCLocalTimeoutWitness(remote, local, ws)
		}
		return script.ReceivedHTLCLocalSuccessWitness(remote, local, *preimage, ws)
	}
	tx.TxIn[0].Witness = witness(dummy, dummy)
	walletIdx, walletWeight := addWalletInputs(tx, f)
	tx.TxOut = append(tx.TxOut, &btcwire.TxOut{PkScript: f.ChangeScript})
	weight := txWeight(tx) + walletWeight
	fee := f.FeeRate.FeeForWeight(weight)
	if err := setChange(tx.TxOut[1], walletValue, 0, fee); err != nil {
		return nil, err
	}

	req := &SignRequest{
		Key:                KeyHTLC,
		PerCommitmentPoint: c.Keys.PerCommitmentPoint,
		Tx:                 tx,
		WitnessScript:      ws,
		Value:              value,
		HashType:           htlc.LocalSigHashType,
		SigHashes:          txscript.NewTxSigHashes(tx, emptyFetcher),
	}
	localSig, err := s.SignInput(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("channel: signing HTLC %d transaction: %w", h.ID, err)
	}
	if checkSigs {
		if err := checkSignerSig(req, localSig, c.Keys.LocalHTLCKey); err != nil {
			return nil, err
		}
	}
	rs, err := witnessSig(remoteSig, remoteType)
	if err != nil {
		return nil, err
	}
	ls, err := witnessSig(localSig, htlc.LocalSigHashType)
	if err != nil {
		return nil, err
	}
	tx.TxIn[0].Witness = witness(rs, ls)

	prev := []*btcwire.TxOut{{Value: int64(value), PkScript: h.Output.PkScript}}
	for k := range f.Inputs {
		prev = append(prev, &btcwire.TxOut{Value: int64(f.Inputs[k].Value), PkScript: f.Inputs[k].PkScript})
	}
	return &WalletFundedTx{
		Tx: tx, WalletInputs: walletIdx, Change: 1, PrevOuts: prev,
		Weight: weight, Fee: fee,
	}, nil
}
