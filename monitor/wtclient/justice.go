package wtclient

import (
	"context"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/txsort"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// The weights lnd's TxWeightEstimator assigns (lnd input/size.go). A
// justice transaction's fee is computed from them, by the client when it
// signs and by the tower when it rebuilds the transaction, so they must be
// lnd's exactly, not this module's own estimates.
const (
	// baseTxSize is version and locktime.
	baseTxSize = 8
	// inputSize is an outpoint, an empty scriptSig and a sequence.
	inputSize = 32 + 4 + 1 + 4
	// p2wpkhOutputSize and p2wshOutputSize are value, script length and
	// script.
	p2wpkhOutputSize = 8 + 1 + 22
	p2wshOutputSize  = 8 + 1 + 34
	// witnessHeaderSize is the segwit marker and flag.
	witnessHeaderSize = 2
	// toLocalScriptSize is the to_local witness script.
	toLocalScriptSize = 79
	// toLocalPenaltyWitnessSize is lnd's corrected size of the revocation
	// witness `<sig> 1 <script>`, used for anchor sessions; legacy
	// sessions keep the old estimate, one byte less, because towers
	// rebuild their justice transactions with it.
	toLocalPenaltyWitnessSize = 1 + 1 + 73 + 1 + 1 + 1 + toLocalScriptSize
	// p2wkhWitnessSize is `<sig> <pubkey>`.
	p2wkhWitnessSize = 1 + 1 + 73 + 1 + 33
	// toRemoteConfirmedWitnessSize is `<sig> <to_remote script>` of
	// option_anchors.
	toRemoteConfirmedWitnessSize = 1 + 1 + 73 + 1 + 37
)

// MinSweepFeeRate is the lowest sweep fee rate lnd's client accepts in a
// session policy (4 sat/vB), and so this one.
const MinSweepFeeRate wire.SatPerKWeight = 1000

// sweepOutputSize returns the size lnd weighs the sweep output at, and
// refuses scripts a tower cannot weigh.
func sweepOutputSize(pk []byte) (int, error) {
	switch {
	case len(pk) == 22 && pk[0] == txscript.OP_0 && pk[1] == txscript.OP_DATA_20:
		return p2wpkhOutputSize, nil
	case len(pk) == 34 && (pk[0] == txscript.OP_0 || pk[0] == txscript.OP_1) && pk[1] == txscript.OP_DATA_32:
		return p2wshOutputSize, nil
	default:
		return 0, fmt.Errorf("%w: %x (want P2WPKH, P2WSH or P2TR)", ErrSweepScript, pk)
	}
}

// sweepDust is the dust limit lnd applies to the sweep output, which it
// takes from the script's length: 294 sat for 22 bytes, 330 for 34.
func sweepDust(pk []byte) btcutil.Amount {
	if len(pk) == 22 {
		return script.DustP2WPKH
	}
	return script.DustP2WSH
}

// JusticeWeight returns the weight lnd's client and tower give the
// justice transaction of blob type t: one to_local input, a to_remote
// input when hasToRemote, and one output paying sweep.
func JusticeWeight(t BlobType, sweep []byte, hasToRemote bool) (int64, error) {
	if !t.Supported() {
		return 0, fmt.Errorf("%w: %v", ErrUnknownBlobType, t)
	}
	out, err := sweepOutputSize(sweep)
	if err != nil {
		return 0, err
	}
	nIn, wit := 1, toLocalPenaltyWitnessSize
	if !t.Has(FlagAnchorChannel) {
		wit-- // lnd's legacy estimate
	}
	if hasToRemote {
		nIn++
		if t.Has(FlagAnchorChannel) {
			wit += toRemoteConfirmedWitnessSize
		} else {
			wit += p2wkhWitnessSize
		}
	}
	// Input and output counts are below 0xfd: one byte each.
	stripped := baseTxSize + 1 + nIn*inputSize + 1 + out
	return int64(stripped*4 + witnessHeaderSize + wit), nil
}

// JusticeOutput returns the value of the one output of an altruist justice
// transaction that sweeps total at feeRate, as lnd's policy computes it:
// total minus feeRate·weight/1000, refused (ErrNotEligible) when the fee
// exceeds total or leaves the output below the dust limit of sweep.
func JusticeOutput(total btcutil.Amount, weight int64, sweep []byte, feeRate wire.SatPerKWeight) (btcutil.Amount, error) {
	fee := feeRate.FeeForWeight(weight)
	if fee > total {
		return 0, fmt.Errorf("%w: fee %v exceeds the %v swept", ErrNotEligible, fee, total)
	}
	if v := total - fee; v >= sweepDust(sweep) {
		return v, nil
	}
	return 0, fmt.Errorf("%w: %v swept less fee %v is dust", ErrNotEligible, total, fee)
}

// outputRef locates one output of a commitment: its index (-1 when
// absent) and value.
type outputRef struct {
	Index int32
	Value btcutil.Amount
}

func (o outputRef) present() bool { return o.Index >= 0 }

// breach is one commitment of the peer as the client keeps it: enough to
// rebuild its keys, scripts and to_local and to_remote outpoints, and, once
// revoked, the secret.
type breach struct {
	ChannelID wire.ChannelID
	Number    uint64
	TxID      chainhash.Hash
	Point     *btcec.PublicKey
	ToLocal   outputRef
	ToRemote  outputRef
	Secret    revocation.Secret
}

// breachFromCommitment records the peer's commitment c.
func breachFromCommitment(id wire.ChannelID, c *channel.Commitment) *breach {
	ref := func(o *channel.Output) outputRef {
		if !o.Present() {
			return outputRef{Index: -1}
		}
		return outputRef{Index: int32(o.Index), Value: o.Value}
	}
	return &breach{
		ChannelID: id, Number: c.Number, TxID: c.TxHash, Point: c.Keys.PerCommitmentPoint,
		ToLocal: ref(&c.ToLocal), ToRemote: ref(&c.ToRemote),
	}
}

// justiceInput is one input of the justice transaction.
type justiceInput struct {
	out      btcwire.OutPoint
	prev     *btcwire.TxOut
	sequence uint32
	req      channel.SignRequest
	pub      *btcec.PublicKey
}

// craftUpdate builds the justice transaction the tower will rebuild for
// revoked commitment b of the channel with parameters p, signs its inputs
// with s, and returns the breach hint and the encrypted kit (nonce from
// rnd).
//
// The transaction is lnd's (watchtower/wtclient/backup_task.go, rebuilt by
// watchtower/lookout/justice_descriptor.go): version 2, locktime 0, the
// to_local input with sequence 0 and, when present, the to_remote input
// with sequence 0 (1 under option_anchors), one output paying sweep,
// inputs and outputs in BIP 69 order, fee from lnd's weight estimate.
func craftUpdate(ctx context.Context, s channel.Signer, p *channel.Params, b *breach, sweep []byte, t BlobType, feeRate wire.SatPerKWeight, rnd io.Reader) (BreachHint, []byte, error) {
	var hint BreachHint
	if want, err := BlobTypeFor(p.Type); err != nil || want != t {
		return hint, nil, fmt.Errorf("%w: %v session for a %v channel", ErrUnknownBlobType, t, p.Type)
	}
	secret := b.Secret.PrivKey()
	if !secret.PubKey().IsEqual(b.Point) {
		return hint, nil, fmt.Errorf("%w: per_commitment_secret %d does not match its point", ErrCorruptStore, b.Number)
	}
	if !b.ToLocal.present() {
		return hint, nil, fmt.Errorf("%w: commitment %d has no to_local output", ErrNotEligible, b.Number)
	}
	keys, err := channel.DeriveCommitmentKeys(p, channel.Remote, b.Point)
	if err != nil {
		return hint, nil, err
	}
	toLocalWS, err := script.ToLocalScript(keys.RevocationKey, keys.LocalDelayedKey, p.Remote.ToSelfDelay)
	if err != nil {
		return hint, nil, err
	}
	inputs := []*justiceInput{{
		out:  btcwire.OutPoint{Hash: b.TxID, Index: uint32(b.ToLocal.Index)},
		prev: &btcwire.TxOut{Value: int64(b.ToLocal.Value), PkScript: script.P2WSH(toLocalWS)},
		req: channel.SignRequest{
			Key: channel.KeyRevocation, PerCommitmentSecret: secret,
			WitnessScript: toLocalWS, Value: b.ToLocal.Value, HashType: txscript.SigHashAll,
		},
		pub: keys.RevocationKey,
	}}
	total := b.ToLocal.Value
	if b.ToRemote.present() {
		ws, pk, err := script.ToRemoteScript(p.Type, keys.ToRemoteKey)
		if err != nil {
			return hint, nil, err
		}
		in := &justiceInput{
			out:  btcwire.OutPoint{Hash: b.TxID, Index: uint32(b.ToRemote.Index)},
			prev: &btcwire.TxOut{Value: int64(b.ToRemote.Value), PkScript: pk},
			req:  channel.SignRequest{Key: channel.KeyPayment, WitnessScript: pk, Value: b.ToRemote.Value, HashType: txscript.SigHashAll},
			pub:  keys.ToRemoteKey,
		}
		if p.Type.HasAnchors() {
			in.sequence = 1
			in.req.WitnessScript = ws
		}
		inputs = append(inputs, in)
		total += b.ToRemote.Value
	}
	weight, err := JusticeWeight(t, sweep, b.ToRemote.present())
	if err != nil {
		return hint, nil, err
	}
	value, err := JusticeOutput(total, weight, sweep, feeRate)
	if err != nil {
		return hint, nil, err
	}

	tx := btcwire.NewMsgTx(2)
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for _, in := range inputs {
		tx.AddTxIn(&btcwire.TxIn{PreviousOutPoint: in.out, Sequence: in.sequence})
		fetcher.AddPrevOut(in.out, in.prev)
	}
	tx.AddTxOut(&btcwire.TxOut{Value: int64(value), PkScript: sweep})
	txsort.InPlaceSort(tx)
	hashes := txscript.NewTxSigHashes(tx, fetcher)

	kit := &JusticeKit{SweepScript: sweep, CSVDelay: uint32(p.Remote.ToSelfDelay)}
	copy(kit.RevocationKey[:], keys.RevocationKey.SerializeCompressed())
	copy(kit.DelayedKey[:], keys.LocalDelayedKey.SerializeCompressed())
	for i, in := range inputs {
		idx := -1
		for j, txIn := range tx.TxIn {
			if txIn.PreviousOutPoint == in.out {
				idx = j
			}
		}
		req := in.req
		req.Tx, req.InputIndex, req.SigHashes = tx, idx, hashes
		sig, err := s.SignInput(ctx, &req)
		if err != nil {
			return hint, nil, fmt.Errorf("wtclient: signing justice input: %w", err)
		}
		digest, err := req.Digest()
		if err != nil {
			return hint, nil, err
		}
		es, err := sig.ToECDSA()
		if err != nil || !es.Verify(digest, in.pub) {
			return hint, nil, fmt.Errorf("%w: the signer's %v signature does not verify against the script's key", ErrInvalidConfig, req.Key)
		}
		if i == 0 {
			kit.ToLocalSig = sig
		} else {
			copy(kit.ToRemoteKey[:], in.pub.SerializeCompressed())
			kit.ToRemoteSig = sig
		}
	}
	blob, err := kit.Encrypt(NewBreachKey(&b.TxID), rnd)
	if err != nil {
		return hint, nil, err
	}
	return NewBreachHint(&b.TxID), blob, nil
}
