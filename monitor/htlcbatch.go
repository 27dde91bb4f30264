package monitor

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// htlcInput is one HTLC of a batch: its index in c.HTLCs, the peer's
// signature and, for HTLC-success, the preimage.
type htlcInput struct {
	index    int
	sig      wire.Signature
	preimage *htlc.Preimage
}

// bumpHTLCBatch is channel.BumpHTLCTx for several HTLCs of this node's
// option_anchors commitment c at once (BOLT 5 "Generation of HTLC
// Transactions": "MAY combine it with other transactions"): the HTLC
// transactions of c.HTLCs[ins[k].index], which must share their locktime, become
// input k and output k of one transaction (the pairing the peer's
// SIGHASH_SINGLE|SIGHASH_ANYONECANPAY signatures need), followed by the
// wallet inputs of f and one change output. This node signs each HTLC
// input SIGHASH_ALL over the whole transaction; the wallet inputs are left
// for the wallet. One set of wallet coins pays for all of them, so a
// wallet with a single coin need not fund one HTLC per block. The peer's
// signatures were checked when the commitment was applied.
//
// A shortfall is a *channel.InsufficientFundsError, as BumpHTLCTx reports.
func bumpHTLCBatch(ctx context.Context, s channel.Signer, c *channel.Commitment, ins []htlcInput, f *channel.WalletFunding) (*channel.WalletFundedTx, error) {
	if c == nil || c.Owner != channel.Local || !c.Type.HasAnchors() || len(ins) == 0 {
		return nil, fmt.Errorf("%w: a batch of HTLC transactions needs this node's option_anchors commitment", channel.ErrInvalidSweep)
	}
	if f == nil || len(f.ChangeScript) == 0 {
		return nil, fmt.Errorf("%w: a fee bump needs a change script", channel.ErrInvalidSweep)
	}
	first := c.HTLCs[ins[0].index].SecondLevelTx
	tx := &btcwire.MsgTx{Version: first.Version, LockTime: first.LockTime}
	var prev []*btcwire.TxOut
	dummy := make([]byte, 73)
	witness := func(h *channel.CommitHTLC, remote, local []byte, pre *htlc.Preimage) btcwire.TxWitness {
		if h.Direction == htlc.Offered {
			return script.OfferedHTLCLocalTimeoutWitness(remote, local, h.Output.WitnessScript)
		}
		return script.ReceivedHTLCLocalSuccessWitness(remote, local, *pre, h.Output.WitnessScript)
	}
	seen := map[btcwire.OutPoint]bool{}
	for _, in := range ins {
		if in.index < 0 || in.index >= len(c.HTLCs) {
			return nil, fmt.Errorf("%w: no HTLC %d", channel.ErrInvalidSweep, in.index)
		}
		h := &c.HTLCs[in.index]
		st := h.SecondLevelTx
		if st == nil || len(st.TxIn) != 1 || len(st.TxOut) != 1 || st.LockTime != tx.LockTime {
			return nil, fmt.Errorf("%w: HTLC %d's transaction cannot join the batch", channel.ErrInvalidSweep, h.ID)
		}
		if h.Direction == htlc.Received && (in.preimage == nil || !in.preimage.Matches(h.PaymentHash)) {
			return nil, fmt.Errorf("%w: HTLC-success needs the preimage of %v", channel.ErrInvalidSweep, h.PaymentHash)
		}
		txin := *st.TxIn[0]
		txin.Witness = witness(h, dummy, dummy, in.preimage)
		tx.TxIn = append(tx.TxIn, &txin)
		out := *st.TxOut[0]
		tx.TxOut = append(tx.TxOut, &out)
		prev = append(prev, &btcwire.TxOut{Value: int64(h.Output.Value), PkScript: h.Output.PkScript})
		seen[txin.PreviousOutPoint] = true
	}
	var walletValue btcutil.Amount
	var walletIdx []int
	var walletWeight int64
	for i := range f.Inputs {
		w := &f.Inputs[i]
		if w.Value <= 0 || !txscript.IsWitnessProgram(w.PkScript) || w.WitnessSize < 2 || seen[w.OutPoint] {
			return nil, fmt.Errorf("%w: wallet input %d", channel.ErrInvalidSweep, i)
		}
		seen[w.OutPoint] = true
		walletIdx = append(walletIdx, len(tx.TxIn))
		tx.TxIn = append(tx.TxIn, &btcwire.TxIn{PreviousOutPoint: w.OutPoint, Sequence: btcwire.MaxTxInSequenceNum - 2})
		prev = append(prev, &btcwire.TxOut{Value: int64(w.Value), PkScript: w.PkScript})
		walletValue += w.Value
		walletWeight += int64(w.WitnessSize - 1)
	}
	change := &btcwire.TxOut{PkScript: f.ChangeScript}
	tx.TxOut = append(tx.TxOut, change)
	weight := int64(tx.SerializeSizeStripped()*3+tx.SerializeSize()) + walletWeight
	fee := f.FeeRate.FeeForWeight(weight)
	if left := walletValue - fee; left < script.DustThreshold(f.ChangeScript) {
		return nil, &channel.InsufficientFundsError{Missing: script.DustThreshold(f.ChangeScript) - left, Fee: fee}
	}
	change.Value = int64(walletValue - fee)

	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for i, in := range tx.TxIn {
		fetcher.AddPrevOut(in.PreviousOutPoint, prev[i])
	}
	hashes := txscript.NewTxSigHashes(tx, fetcher)
	remoteType := htlc.RemoteSigHashType(c.Type)
	for k, in := range ins {
		h := &c.HTLCs[in.index]
		req := &channel.SignRequest{
			Key: channel.KeyHTLC, PerCommitmentPoint: c.Keys.PerCommitmentPoint, Tx: tx, InputIndex: k,
			WitnessScript: h.Output.WitnessScript, Value: h.Output.Value, HashType: htlc.LocalSigHashType, SigHashes: hashes,
		}
		ls, err := s.SignInput(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("monitor: signing HTLC %d: %w", h.ID, err)
		}
		lsig, err := ls.ToECDSA()
		if err != nil {
			return nil, err
		}
		digest, err := req.Digest()
		if err != nil {
			return nil, err
		}
		if !lsig.Verify(digest, c.Keys.LocalHTLCKey) {
			return nil, fmt.Errorf("%w: the signer's HTLC signature does not verify against local_htlcpubkey", channel.ErrInvalidSweep)
		}
		rsig, err := in.sig.ToECDSA()
		if err != nil {
			return nil, err
		}
		tx.TxIn[k].Witness = witness(h, script.Sig(rsig, remoteType), script.Sig(lsig, htlc.LocalSigHashType), in.preimage)
	}
	var paid btcutil.Amount
	for _, o := range tx.TxOut {
		paid += btcutil.Amount(o.Value)
	}
	var in btcutil.Amount
	for _, p := range prev {
		in += btcutil.Amount(p.Value)
	}
	return &channel.WalletFundedTx{
		Tx: tx, WalletInputs: walletIdx, Change: len(tx.TxOut) - 1, PrevOuts: prev,
		Weight: weight, Fee: in - paid,
	}, nil
}
