package channel

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// CommitSigs are the signatures of a commitment_signed message: the
// signature of the commitment transaction and one signature per untrimmed
// HTLC, in the order of the HTLC outputs in the commitment transaction.
type CommitSigs struct {
	// CommitSig signs the commitment transaction (its funding input).
	CommitSig wire.Signature
	// HTLCSigs sign the HTLC transactions, in HTLC output order.
	HTLCSigs []wire.Signature
}

// SignCommitment signs the peer's commitment c (c.Owner must be Remote)
// for commitment_signed: the funding input with this node's funding key
// (SIGHASH_ALL) and each HTLC transaction with this node's HTLC key for
// c's per-commitment point, with SIGHASH_ALL, or under option_anchors
// SIGHASH_SINGLE|SIGHASH_ANYONECANPAY (BOLT 3).
//
// The signatures are made in parallel on up to GOMAXPROCS goroutines, all
// finished before it returns; the result is the same as signing one by
// one. When s is a *SerialSigner they are made one by one on the calling
// goroutine, and no goroutine is started.
func SignCommitment(ctx context.Context, s Signer, p *Params, c *Commitment) (*CommitSigs, error) {
	if c == nil || c.Owner != Remote {
		return nil, fmt.Errorf("%w: commitment_signed signs the remote commitment", ErrInvalidParams)
	}
	out := &CommitSigs{HTLCSigs: make([]wire.Signature, len(c.HTLCs))}
	hashType := htlc.RemoteSigHashType(c.Type)
	workers := runtime.GOMAXPROCS(0)
	if _, serial := s.(*SerialSigner); serial {
		workers = 1
	}
	err := parallel(ctx, workers, len(c.HTLCs)+1, func(ctx context.Context, i int) error {
		if i == 0 {
			sig, err := s.SignInput(ctx, fundingSignRequest(p, c.Tx, c.FundingScript))
			if err != nil {
				return fmt.Errorf("channel: signing commitment: %w", err)
			}
			out.CommitSig = sig
			return nil
		}
		h := &c.HTLCs[i-1]
		sig, err := s.SignInput(ctx, &SignRequest{
			Key:                KeyHTLC,
			PerCommitmentPoint: c.Keys.PerCommitmentPoint,
			Tx:                 h.SecondLevelTx,
			WitnessScript:      h.Output.WitnessScript,
			Value:              h.Output.Value,
			HashType:           hashType,
		})
		if err != nil {
			return fmt.Errorf("channel: signing HTLC %d transaction: %w", h.ID, err)
		}
		out.HTLCSigs[i-1] = sig
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// VerifyCommitSigs checks a received commitment_signed against this node's
// commitment c (c.Owner must be Local): the commitment signature against
// the peer's funding key and each HTLC signature, in output order, against
// remote_htlcpubkey with the sighash type of the channel. A signature not
// in low-S form fails like an invalid one (BOLT 2). Failures are
// *SignatureError wrapping ErrInvalidCommitSig or ErrInvalidHTLCSig; a
// wrong count is ErrHTLCSigCount. The signatures are checked in parallel on
// up to GOMAXPROCS goroutines, all finished before it returns; with
// GOMAXPROCS=1 on the calling goroutine alone.
func VerifyCommitSigs(ctx context.Context, p *Params, c *Commitment, sigs *CommitSigs) error {
	if c == nil || c.Owner != Local {
		return fmt.Errorf("%w: commitment_signed is checked against the local commitment", ErrInvalidParams)
	}
	if sigs == nil || len(sigs.HTLCSigs) != len(c.HTLCs) {
		n := 0
		if sigs != nil {
			n = len(sigs.HTLCSigs)
		}
		return fmt.Errorf("%w: got %d, commitment has %d untrimmed HTLCs (BOLT 2 commitment_signed)",
			ErrHTLCSigCount, n, len(c.HTLCs))
	}
	hashType := htlc.RemoteSigHashType(c.Type)
	return parallel(ctx, runtime.GOMAXPROCS(0), len(c.HTLCs)+1, func(_ context.Context, i int) error {
		if i == 0 {
			digest, err := fundingSignRequest(p, c.Tx, c.FundingScript).Digest()
			if err != nil {
				return err
			}
			if !verifyPeerSig(sigs.CommitSig, digest, p.Remote.Funding) {
				return &SignatureError{HTLCIndex: -1, Err: ErrInvalidCommitSig}
			}
			return nil
		}
		h := &c.HTLCs[i-1]
		// The HTLC transaction has one input, which spends the HTLC
		// output: htlc.SignatureHash's digest, hashed directly.
		digest, err := witnessV0SigHash(h.SecondLevelTx, 0, h.Output.WitnessScript, int64(h.Output.Value), hashType)
		if err != nil {
			return err
		}
		if !verifyPeerSig(sigs.HTLCSigs[i-1], digest[:], c.Keys.RemoteHTLCKey) {
			return &SignatureError{HTLCIndex: i - 1, HTLCID: h.ID, Err: ErrInvalidHTLCSig}
		}
		return nil
	})
}

// SignedCommitmentTx returns a copy of this node's commitment c (c.Owner
// must be Local) with its witness complete: this node's funding signature
// and the peer's commitment signature remoteSig, in the key order of the
// funding script. The result is ready to broadcast.
func SignedCommitmentTx(ctx context.Context, s Signer, p *Params, c *Commitment, remoteSig wire.Signature) (*btcwire.MsgTx, error) {
	if c == nil || c.Owner != Local {
		return nil, fmt.Errorf("%w: only the local commitment can be completed", ErrInvalidParams)
	}
	localSig, err := s.SignInput(ctx, fundingSignRequest(p, c.Tx, c.FundingScript))
	if err != nil {
		return nil, fmt.Errorf("channel: signing commitment: %w", err)
	}
	tx := c.Tx.Copy()
	w, err := fundingWitness(p, localSig, remoteSig)
	if err != nil {
		return nil, err
	}
	tx.TxIn[0].Witness = w
	return tx, nil
}

// SignedHTLCTx returns a copy of the HTLC-timeout or HTLC-success
// transaction of c.HTLCs[i] (c.Owner must be Local) with its witness
// complete: the peer's HTLC signature remoteSig (from commitment_signed),
// this node's own HTLC signature, and for HTLC-success the preimage, which
// must then be non-nil. The transaction can be broadcast once the
// commitment is confirmed (HTLC-timeout: once cltv_expiry is reached).
// Under option_anchors it pays no fee: add inputs and outputs to pay one
// (the peer's SIGHASH_SINGLE|SIGHASH_ANYONECANPAY signature allows it) and
// re-sign this node's input.
func SignedHTLCTx(ctx context.Context, s Signer, c *Commitment, i int, remoteSig wire.Signature, preimage *htlc.Preimage) (*btcwire.MsgTx, error) {
	if c == nil || c.Owner != Local || i < 0 || i >= len(c.HTLCs) {
		return nil, fmt.Errorf("%w: no local HTLC %d", ErrInvalidParams, i)
	}
	h := &c.HTLCs[i]
	if h.Direction == htlc.Received && (preimage == nil || !preimage.Matches(h.PaymentHash)) {
		return nil, fmt.Errorf("%w: HTLC-success needs the preimage of %v", ErrInvalidSweep, h.PaymentHash)
	}
	localSig, err := s.SignInput(ctx, &SignRequest{
		Key:                KeyHTLC,
		PerCommitmentPoint: c.Keys.PerCommitmentPoint,
		Tx:                 h.SecondLevelTx,
		WitnessScript:      h.Output.WitnessScript,
		Value:              h.Output.Value,
		HashType:           htlc.LocalSigHashType,
	})
	if err != nil {
		return nil, fmt.Errorf("channel: signing HTLC %d transaction: %w", h.ID, err)
	}
	rs, err := remoteSig.ToECDSA()
	if err != nil {
		return nil, err
	}
	ls, err := localSig.ToECDSA()
	if err != nil {
		return nil, err
	}
	tx := h.SecondLevelTx.Copy()
	if h.Direction == htlc.Offered {
		tx.TxIn[0].Witness = htlc.TimeoutWitness(c.Type, rs, ls, h.Output.WitnessScript)
	} else {
		tx.TxIn[0].Witness = htlc.SuccessWitness(c.Type, rs, ls, *preimage, h.Output.WitnessScript)
	}
	return tx, nil
}

func fundingSignRequest(p *Params, tx *btcwire.MsgTx, fundingScript []byte) *SignRequest {
	return &SignRequest{
		Key:           KeyFunding,
		Tx:            tx,
		WitnessScript: fundingScript,
		Value:         p.FundingAmount,
		HashType:      txscript.SigHashAll,
	}
}

// fundingWitness assembles the 2-of-2 witness from both funding
// signatures.
func fundingWitness(p *Params, localSig, remoteSig wire.Signature) (btcwire.TxWitness, error) {
	ls, err := witnessSig(localSig, txscript.SigHashAll)
	if err != nil {
		return nil, err
	}
	rs, err := witnessSig(remoteSig, txscript.SigHashAll)
	if err != nil {
		return nil, err
	}
	return script.FundingWitness(p.Local.Funding, p.Remote.Funding, ls, rs)
}

// parallel runs fn(0..n-1) on up to workers goroutines, all finished
// before it returns. Each result is written to its own index, so successful
// runs are identical to serial ones. On failure it stops handing out work
// and returns the failed call's error with the lowest index (when several
// fail, which one was reached first may depend on scheduling). With one
// worker (or one item) it runs inline.
func parallel(ctx context.Context, workers, n int, fn func(ctx context.Context, i int) error) error {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(ctx, i); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(workers)
	for w := 0; w < workers; w++ {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					errs[i] = err
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}
