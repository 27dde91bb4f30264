package channel

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// SweepTxVersion is the version of the sweep transactions built here.
const SweepTxVersion = 2

// rbfSequence is the sequence of sweep inputs that need no relative
// timelock: it signals replaceability and keeps CLTV usable.
const rbfSequence = 0xFFFFFFFD

// maxWitnessSig is the longest DER signature plus sighash byte; fees are
// estimated with it.
const maxWitnessSig = 73

// sweepInput is one output a sweep spends, with how to sign and witness it.
type sweepInput struct {
	outpoint btcwire.OutPoint
	value    btcutil.Amount
	sequence uint32
	// req is the signing template; Tx, InputIndex, Value and SigHashes are
	// filled in by buildSweep.
	req     SignRequest
	witness func(sig []byte) btcwire.TxWitness
}

// buildSweep spends inputs to one output paying dest, with the fee of
// feeRate for the transaction's weight (signatures counted at their
// maximum length), and signs every input.
func buildSweep(ctx context.Context, s Signer, inputs []sweepInput, lockTime uint32, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	if len(inputs) == 0 {
		return nil, fmt.Errorf("%w: nothing to sweep", ErrInvalidSweep)
	}
	if len(dest) == 0 {
		return nil, fmt.Errorf("%w: empty destination script", ErrInvalidSweep)
	}
	tx := &btcwire.MsgTx{Version: SweepTxVersion, LockTime: lockTime}
	var total btcutil.Amount
	dummy := make([]byte, maxWitnessSig)
	for i := range inputs {
		in := &inputs[i]
		tx.TxIn = append(tx.TxIn, &btcwire.TxIn{
			PreviousOutPoint: in.outpoint,
			Sequence:         in.sequence,
			Witness:          in.witness(dummy),
		})
		total += in.value
	}
	tx.TxOut = []*btcwire.TxOut{{PkScript: dest}}
	weight := int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
	fee := feeRate.FeeForWeight(weight)
	value := total - fee
	if value < script.DustThreshold(dest) {
		return nil, fmt.Errorf("%w: %v swept, fee %v leaves %v, below dust", ErrInvalidSweep, total, fee, value)
	}
	tx.TxOut[0].Value = int64(value)

	hashes := txscript.NewTxSigHashes(tx, emptyFetcher)
	for i := range inputs {
		in := &inputs[i]
		req := in.req
		req.Tx, req.InputIndex, req.Value, req.SigHashes = tx, i, in.value, hashes
		sig, err := s.SignInput(ctx, &req)
		if err != nil {
			return nil, fmt.Errorf("channel: signing sweep input %d: %w", i, err)
		}
		ws, err := witnessSig(sig, req.HashType)
		if err != nil {
			return nil, err
		}
		tx.TxIn[i].Witness = in.witness(ws)
	}
	return tx, nil
}

func outpoint(c *Commitment, index int) btcwire.OutPoint {
	return btcwire.OutPoint{Hash: c.TxHash, Index: uint32(index)}
}

// checkRevocationSecret makes sure secret is the per-commitment secret of
// the revoked commitment c of the peer.
func checkRevocationSecret(c *Commitment, secret *btcec.PrivateKey) error {
	if c == nil || c.Owner != Remote {
		return fmt.Errorf("%w: a justice transaction spends the peer's revoked commitment", ErrInvalidSweep)
	}
	if secret == nil || !secret.PubKey().IsEqual(c.Keys.PerCommitmentPoint) {
		return fmt.Errorf("%w: per_commitment_secret does not match the commitment's per_commitment_point", ErrInvalidSweep)
	}
	return nil
}

// justiceInputs lists every output of the peer's revoked commitment c this
// node can take: to_local and each HTLC output through the revocation key,
// and this node's own to_remote output.
func justiceInputs(c *Commitment, secret *btcec.PrivateKey) []sweepInput {
	rev := SignRequest{Key: KeyRevocation, PerCommitmentSecret: secret, HashType: txscript.SigHashAll}
	var ins []sweepInput
	if c.ToLocal.Present() {
		req := rev
		req.WitnessScript = c.ToLocal.WitnessScript
		ws := c.ToLocal.WitnessScript
		ins = append(ins, sweepInput{
			outpoint: outpoint(c, c.ToLocal.Index), value: c.ToLocal.Value, sequence: rbfSequence, req: req,
			witness: func(sig []byte) btcwire.TxWitness { return script.ToLocalRevokeWitness(sig, ws) },
		})
	}
	for i := range c.HTLCs {
		h := &c.HTLCs[i]
		req := rev
		req.WitnessScript = h.Output.WitnessScript
		ws := h.Output.WitnessScript
		ins = append(ins, sweepInput{
			outpoint: outpoint(c, h.Output.Index), value: h.Output.Value, sequence: rbfSequence, req: req,
			witness: func(sig []byte) btcwire.TxWitness {
				return script.HTLCRevokeWitness(sig, c.Keys.RevocationKey, ws)
			},
		})
	}
	if c.ToRemote.Present() {
		ins = append(ins, toRemoteInput(c))
	}
	return ins
}

// toRemoteInput spends this node's to_remote output of the peer's
// commitment: P2WPKH to the payment basepoint, or under option_anchors the
// CSV-1 P2WSH.
func toRemoteInput(c *Commitment) sweepInput {
	in := sweepInput{
		outpoint: outpoint(c, c.ToRemote.Index), value: c.ToRemote.Value, sequence: rbfSequence,
		req: SignRequest{Key: KeyPayment, HashType: txscript.SigHashAll},
	}
	if c.Type.HasAnchors() {
		ws := c.ToRemote.WitnessScript
		in.sequence = 1
		in.req.WitnessScript = ws
		in.witness = func(sig []byte) btcwire.TxWitness { return script.ToRemoteAnchorsWitness(sig, ws) }
	} else {
		key := c.Keys.ToRemoteKey
		in.req.WitnessScript = c.ToRemote.PkScript
		in.witness = func(sig []byte) btcwire.TxWitness { return script.P2WPKHWitness(sig, key) }
	}
	return in
}

// JusticeTx builds and signs the penalty transaction for the peer's revoked
// commitment c (c.Owner must be Remote), given the per_commitment_secret the
// peer revealed for it in revoke_and_ack. It sweeps, to dest, at feeRate:
// to_local and every HTLC output through the revocation key (witnesses
// `<revocation_sig> 1` and `<revocation_sig> <revocationpubkey>`), and this
// node's own to_remote output. Anchor outputs are left alone.
func JusticeTx(ctx context.Context, s Signer, c *Commitment, secret *btcec.PrivateKey, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	if err := checkRevocationSecret(c, secret); err != nil {
		return nil, err
	}
	return buildSweep(ctx, s, justiceInputs(c, secret), 0, dest, feeRate)
}

// JusticeSecondLevelTx sweeps, through the revocation key, the output of an
// HTLC-timeout or HTLC-success transaction htlcTx that the peer broadcast
// from its revoked commitment c.
func JusticeSecondLevelTx(ctx context.Context, s Signer, c *Commitment, secret *btcec.PrivateKey, htlcTx *btcwire.MsgTx, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	if err := checkRevocationSecret(c, secret); err != nil {
		return nil, err
	}
	in, err := secondLevelInput(c, htlcTx)
	if err != nil {
		return nil, err
	}
	in.req = SignRequest{Key: KeyRevocation, PerCommitmentSecret: secret, HashType: txscript.SigHashAll, WitnessScript: c.SecondLevelScript}
	ws := c.SecondLevelScript
	in.witness = func(sig []byte) btcwire.TxWitness { return script.ToLocalRevokeWitness(sig, ws) }
	return buildSweep(ctx, s, []sweepInput{in}, 0, dest, feeRate)
}

// secondLevelInput finds output 0 of an HTLC transaction of c.
func secondLevelInput(c *Commitment, htlcTx *btcwire.MsgTx) (sweepInput, error) {
	if htlcTx == nil || len(htlcTx.TxIn) == 0 || len(htlcTx.TxOut) == 0 {
		return sweepInput{}, fmt.Errorf("%w: not an HTLC transaction", ErrInvalidSweep)
	}
	pk := script.P2WSH(c.SecondLevelScript)
	out := htlcTx.TxOut[0]
	if string(out.PkScript) != string(pk) {
		return sweepInput{}, fmt.Errorf("%w: HTLC transaction output does not pay this commitment's second-stage script", ErrInvalidSweep)
	}
	return sweepInput{
		outpoint: btcwire.OutPoint{Hash: htlcTx.TxHash(), Index: 0},
		value:    btcutil.Amount(out.Value),
		sequence: rbfSequence,
	}, nil
}

// delayedInput spends a to_local-shaped output of this node's commitment c
// after to_self_delay: witness `<local_delayedsig> 0`, sequence
// to_self_delay.
func delayedInput(p *Params, c *Commitment, in sweepInput) sweepInput {
	ws := c.SecondLevelScript
	in.sequence = uint32(p.Local.ToSelfDelay)
	in.req = SignRequest{
		Key: KeyDelayedPayment, PerCommitmentPoint: c.Keys.PerCommitmentPoint,
		HashType: txscript.SigHashAll, WitnessScript: ws,
	}
	in.witness = func(sig []byte) btcwire.TxWitness { return script.ToLocalDelayedWitness(sig, ws) }
	return in
}

// SweepToLocalTx sweeps the to_local output of this node's commitment c
// (c.Owner must be Local) to dest once to_self_delay blocks have passed
// since c confirmed: the input's sequence is to_self_delay, so the
// transaction is valid no earlier.
func SweepToLocalTx(ctx context.Context, s Signer, p *Params, c *Commitment, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	if c == nil || c.Owner != Local || !c.ToLocal.Present() {
		return nil, fmt.Errorf("%w: no to_local output on the local commitment", ErrInvalidSweep)
	}
	in := delayedInput(p, c, sweepInput{outpoint: outpoint(c, c.ToLocal.Index), value: c.ToLocal.Value})
	return buildSweep(ctx, s, []sweepInput{in}, 0, dest, feeRate)
}

// SweepSecondLevelTx sweeps the output of this node's confirmed
// HTLC-timeout or HTLC-success transaction htlcTx of commitment c after
// to_self_delay.
func SweepSecondLevelTx(ctx context.Context, s Signer, p *Params, c *Commitment, htlcTx *btcwire.MsgTx, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	if c == nil || c.Owner != Local {
		return nil, fmt.Errorf("%w: second-stage outputs of the local commitment only", ErrInvalidSweep)
	}
	in, err := secondLevelInput(c, htlcTx)
	if err != nil {
		return nil, err
	}
	return buildSweep(ctx, s, []sweepInput{delayedInput(p, c, in)}, 0, dest, feeRate)
}

// claimInput spends HTLC output c.HTLCs[i] of the peer's commitment c: an
// HTLC the peer offered with the preimage, or one this node offered (the
// peer received) after its cltv_expiry. It returns the input and the
// transaction locktime it needs.
func claimInput(c *Commitment, i int, preimage *htlc.Preimage) (sweepInput, uint32, error) {
	if c == nil || c.Owner != Remote || i < 0 || i >= len(c.HTLCs) {
		return sweepInput{}, 0, fmt.Errorf("%w: no HTLC %d on the remote commitment", ErrInvalidSweep, i)
	}
	h := &c.HTLCs[i]
	ws := h.Output.WitnessScript
	in := sweepInput{
		outpoint: outpoint(c, h.Output.Index), value: h.Output.Value, sequence: rbfSequence,
		req: SignRequest{
			Key: KeyHTLC, PerCommitmentPoint: c.Keys.PerCommitmentPoint,
			HashType: txscript.SigHashAll, WitnessScript: ws,
		},
	}
	if c.Type.HasAnchors() {
		in.sequence = 1 // the anchors HTLC scripts require 1 OP_CHECKSEQUENCEVERIFY
	}
	var lockTime uint32
	if h.Direction == htlc.Offered {
		// The peer offered it: this node claims it with the preimage.
		if preimage == nil || !preimage.Matches(h.PaymentHash) {
			return sweepInput{}, 0, fmt.Errorf("%w: claiming HTLC %d needs the preimage of %v", ErrInvalidSweep, h.ID, h.PaymentHash)
		}
		pre := *preimage
		in.witness = func(sig []byte) btcwire.TxWitness {
			return script.OfferedHTLCRemoteSuccessWitness(sig, pre, ws)
		}
	} else {
		// This node offered it: it times out at cltv_expiry.
		lockTime = h.CLTVExpiry
		in.witness = func(sig []byte) btcwire.TxWitness {
			return script.ReceivedHTLCRemoteTimeoutWitness(sig, ws)
		}
	}
	return in, lockTime, nil
}

// ClaimHTLCTx spends HTLC output c.HTLCs[i] of the peer's commitment c
// (c.Owner must be Remote; the peer broadcast it) directly to dest: an HTLC
// the peer offered, with its preimage (witness `<sig> <preimage>`), or an
// HTLC this node offered, after timeout (witness `<sig> 0`, locktime
// cltv_expiry, so valid from that height on). preimage is ignored for
// timeouts.
func ClaimHTLCTx(ctx context.Context, s Signer, c *Commitment, i int, preimage *htlc.Preimage, dest []byte, feeRate wire.SatPerKWeight) (*btcwire.MsgTx, error) {
	in, lockTime, err := claimInput(c, i, preimage)
	if err != nil {
		return nil, err
	}
	return buildSweep(ctx, s, []sweepInput{in}, lockTime, dest, feeRate)
}
