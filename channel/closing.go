package channel

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// ClosingTxVersion is the version of closing transactions.
const ClosingTxVersion = 2

const (
	legacyClosingSequence = 0xFFFFFFFF
	simpleClosingSequence = 0xFFFFFFFD
)

// LegacyClose describes a closing_signed proposal (BOLT 2 "Closing
// Negotiation: closing_signed"; BOLT 3 "Legacy Closing Transaction").
type LegacyClose struct {
	// LocalScript and RemoteScript are the scriptpubkeys of both shutdown
	// messages.
	LocalScript, RemoteScript []byte
	// LocalBalance and RemoteBalance are the final balances (no HTLCs
	// remain when closing).
	LocalBalance, RemoteBalance wire.MilliSatoshi
	// Fee is fee_satoshis; the opener pays it.
	Fee btcutil.Amount
	// DustLimit is the dust_limit_satoshis of the node offering the
	// signature; outputs below it are removed.
	DustLimit btcutil.Amount
	// OmitLocal removes this node's own output, OmitRemote the peer's.
	// BOLT 3 lets the node offering a signature eliminate its own output,
	// so set OmitLocal when this node signs a variant without its output,
	// and OmitRemote to rebuild the variant a peer's closing_signed
	// chose without the peer's output (VerifyLegacyClose tries it).
	OmitLocal, OmitRemote bool
}

// NewLegacyClosingTx builds the unsigned closing transaction of a
// closing_signed negotiation: version 2, locktime 0, the funding input with
// sequence 0xFFFFFFFF, each balance rounded down to whole satoshis with the
// fee taken from the opener's, outputs below DustLimit removed, outputs in
// BIP 69 order.
func NewLegacyClosingTx(p *Params, lc *LegacyClose) (*btcwire.MsgTx, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := checkCloseBalances(p, lc.LocalBalance, lc.RemoteBalance); err != nil {
		return nil, err
	}
	amounts := [2]btcutil.Amount{lc.LocalBalance.ToSatoshis(), lc.RemoteBalance.ToSatoshis()}
	if lc.Fee < 0 || amounts[p.Opener] < lc.Fee {
		return nil, fmt.Errorf("%w: fee_satoshis %v exceeds the opener's balance %v (BOLT 3: the fee is subtracted from the opener's output)",
			ErrInvalidClose, lc.Fee, amounts[p.Opener])
	}
	amounts[p.Opener] -= lc.Fee
	scripts := [2][]byte{lc.LocalScript, lc.RemoteScript}
	tx := closingTx(p, 0, legacyClosingSequence)
	omit := [2]bool{lc.OmitLocal, lc.OmitRemote}
	for side, amt := range amounts {
		if omit[side] {
			continue
		}
		if amt < lc.DustLimit || amt == 0 {
			continue
		}
		if len(scripts[side]) == 0 {
			return nil, fmt.Errorf("%w: %v shutdown scriptpubkey is empty", ErrInvalidClose, Side(side))
		}
		tx.AddTxOut(btcwire.NewTxOut(int64(amt), scripts[side]))
	}
	if len(tx.TxOut) == 0 {
		return nil, fmt.Errorf("%w: every output is dust", ErrInvalidClose)
	}
	if _, err := script.SortOutputs(tx.TxOut, nil); err != nil {
		return nil, err
	}
	return tx, nil
}

// VerifyLegacyClose checks the signature of a closing_signed the peer sent
// for the proposal lc and returns the closing transaction it signs. BOLT 2
// requires the signature to be valid for one of the two variants of BOLT 3
// "Legacy Closing Transaction" the peer may offer: with every output at or
// above its dust limit, or without its own output. Both are tried, the
// first one first. Since the peer offers the signature, its
// dust_limit_satoshis (p.Remote.DustLimit) removes outputs: lc.DustLimit,
// lc.OmitLocal and lc.OmitRemote are ignored. A signature valid for
// neither variant, or not in low-S form (BOLT 2: refused like an invalid
// one), is ErrInvalidClosingSig.
func VerifyLegacyClose(p *Params, lc *LegacyClose, remoteSig wire.Signature) (*btcwire.MsgTx, error) {
	if p == nil || lc == nil {
		return nil, fmt.Errorf("%w: nil parameters or proposal", ErrInvalidClose)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	ws, err := script.FundingScript(p.Local.Funding, p.Remote.Funding)
	if err != nil {
		return nil, err
	}
	var firstErr error
	for _, omitRemote := range []bool{false, true} {
		v := *lc
		v.DustLimit, v.OmitLocal, v.OmitRemote = p.Remote.DustLimit, false, omitRemote
		tx, err := NewLegacyClosingTx(p, &v)
		if err != nil {
			// Without the peer's output nothing may be left; the
			// first variant's error is the one to report.
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		digest, err := fundingSignRequest(p, tx, ws).Digest()
		if err == nil && verifyPeerSig(remoteSig, digest, p.Remote.Funding) {
			return tx, nil
		}
		if firstErr == nil {
			firstErr = ErrInvalidClosingSig
			if err != nil {
				firstErr = err
			}
		}
	}
	if errors.Is(firstErr, ErrInvalidClosingSig) {
		return nil, fmt.Errorf("%w: closing_signed is not a valid low-S signature of either variant (BOLT 2: with all outputs, or without the sender's)", ErrInvalidClosingSig)
	}
	return nil, firstErr
}

// ClosingVariant selects which outputs a closing_complete transaction has
// (BOLT 2 "Closing Negotiation: closing_complete and closing_sig"); each
// variant has its own signature TLV.
type ClosingVariant uint8

const (
	// CloserAndClosee has both outputs (closer_and_closee_outputs).
	CloserAndClosee ClosingVariant = iota + 1
	// CloserOutputOnly omits the closee's output (closer_output_only).
	CloserOutputOnly
	// CloseeOutputOnly omits the closer's output (closee_output_only).
	CloseeOutputOnly
)

// String names the variant after its TLV field.
func (v ClosingVariant) String() string {
	switch v {
	case CloserAndClosee:
		return "closer_and_closee_outputs"
	case CloserOutputOnly:
		return "closer_output_only"
	case CloseeOutputOnly:
		return "closee_output_only"
	default:
		return fmt.Sprintf("ClosingVariant(%d)", uint8(v))
	}
}

// SimpleClose describes a closing_complete proposal of option_simple_close.
type SimpleClose struct {
	// Closer is the side that sends closing_complete and pays the fee.
	Closer Side
	// CloserScript and CloseeScript are closer_scriptpubkey and
	// closee_scriptpubkey.
	CloserScript, CloseeScript []byte
	// LocalBalance and RemoteBalance are the final balances.
	LocalBalance, RemoteBalance wire.MilliSatoshi
	// Fee is fee_satoshis, paid entirely by the closer.
	Fee btcutil.Amount
	// LockTime is the locktime field of closing_complete.
	LockTime uint32
}

// NewSimpleClosingTx builds the closing transaction of a closing_complete
// proposal in the given variant: version 2, the proposal's locktime, the
// funding input with sequence 0xFFFFFFFD; the closer's output is its
// balance rounded down minus fee_satoshis, the closee's its balance rounded
// down; an output whose script starts with OP_RETURN has amount 0; outputs
// in BIP 69 order. It refuses a variant whose outputs would not relay: an
// included non-OP_RETURN output below its script's dust threshold (BOLT 3
// "Dust Limits"), or a fee larger than the closer's balance.
func NewSimpleClosingTx(p *Params, sc *SimpleClose, v ClosingVariant) (*btcwire.MsgTx, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if sc.Closer != Local && sc.Closer != Remote {
		return nil, fmt.Errorf("%w: closer %d", ErrInvalidClose, sc.Closer)
	}
	if err := checkCloseBalances(p, sc.LocalBalance, sc.RemoteBalance); err != nil {
		return nil, err
	}
	bal := [2]btcutil.Amount{sc.LocalBalance.ToSatoshis(), sc.RemoteBalance.ToSatoshis()}
	closerAmt, closeeAmt := bal[sc.Closer], bal[sc.Closer.Other()]
	if sc.Fee < 0 || sc.Fee > closerAmt {
		return nil, fmt.Errorf("%w: fee_satoshis %v exceeds the closer's balance %v (BOLT 2: the closer pays the fee)",
			ErrInvalidClose, sc.Fee, closerAmt)
	}
	closerAmt -= sc.Fee
	var withCloser, withClosee bool
	switch v {
	case CloserAndClosee:
		withCloser, withClosee = true, true
	case CloserOutputOnly:
		withCloser = true
	case CloseeOutputOnly:
		withClosee = true
	default:
		return nil, fmt.Errorf("%w: variant %v", ErrInvalidClose, v)
	}
	tx := closingTx(p, sc.LockTime, simpleClosingSequence)
	add := func(who string, pk []byte, amt btcutil.Amount) error {
		if len(pk) == 0 {
			return fmt.Errorf("%w: %s scriptpubkey is empty", ErrInvalidClose, who)
		}
		if pk[0] == txscript.OP_RETURN {
			amt = 0
		} else if amt < script.DustThreshold(pk) {
			return fmt.Errorf("%w: %s output %v is below dust %v; use another variant",
				ErrInvalidClose, who, amt, script.DustThreshold(pk))
		}
		tx.AddTxOut(btcwire.NewTxOut(int64(amt), pk))
		return nil
	}
	if withCloser {
		if err := add("closer", sc.CloserScript, closerAmt); err != nil {
			return nil, err
		}
	}
	if withClosee {
		if err := add("closee", sc.CloseeScript, closeeAmt); err != nil {
			return nil, err
		}
	}
	if _, err := script.SortOutputs(tx.TxOut, nil); err != nil {
		return nil, err
	}
	return tx, nil
}

func closingTx(p *Params, lockTime, sequence uint32) *btcwire.MsgTx {
	tx := &btcwire.MsgTx{Version: ClosingTxVersion, LockTime: lockTime}
	tx.TxIn = []*btcwire.TxIn{{PreviousOutPoint: p.FundingOutpoint, Sequence: sequence}}
	return tx
}

func checkCloseBalances(p *Params, local, remote wire.MilliSatoshi) error {
	limit, err := wire.NewMilliSatoshi(p.FundingAmount)
	if err != nil {
		return fmt.Errorf("%w: funding amount: %w", ErrInvalidParams, err)
	}
	if local > limit || remote > limit || local+remote > limit {
		return fmt.Errorf("%w: balances %v + %v exceed the funding amount", ErrBalanceMismatch, local, remote)
	}
	return nil
}

// SignFundingSpend signs input 0 of a transaction spending the funding
// output (a closing transaction, or any commitment) with this node's
// funding key, SIGHASH_ALL: the signature of closing_signed,
// closing_complete and closing_sig.
func SignFundingSpend(ctx context.Context, s Signer, p *Params, tx *btcwire.MsgTx) (wire.Signature, error) {
	ws, err := script.FundingScript(p.Local.Funding, p.Remote.Funding)
	if err != nil {
		return wire.Signature{}, err
	}
	return s.SignInput(ctx, fundingSignRequest(p, tx, ws))
}

// VerifyFundingSpend checks the peer's signature on input 0 of a
// transaction spending the funding output.
func VerifyFundingSpend(p *Params, tx *btcwire.MsgTx, remoteSig wire.Signature) error {
	ws, err := script.FundingScript(p.Local.Funding, p.Remote.Funding)
	if err != nil {
		return err
	}
	digest, err := fundingSignRequest(p, tx, ws).Digest()
	if err != nil {
		return err
	}
	if !verifySig(remoteSig, digest, p.Remote.Funding) {
		return ErrInvalidClosingSig
	}
	return nil
}

// CompleteFundingSpend returns a copy of tx with the 2-of-2 witness built
// from both funding signatures.
func CompleteFundingSpend(p *Params, tx *btcwire.MsgTx, localSig, remoteSig wire.Signature) (*btcwire.MsgTx, error) {
	w, err := fundingWitness(p, localSig, remoteSig)
	if err != nil {
		return nil, err
	}
	out := tx.Copy()
	out.TxIn[0].Witness = w
	return out, nil
}
