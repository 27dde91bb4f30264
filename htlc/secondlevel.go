package htlc

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// SecondLevelTxVersion is the version of HTLC-timeout and HTLC-success
// transactions.
const SecondLevelTxVersion = 2

// SecondLevelParams are the per-commitment values that every second-stage
// HTLC transaction of one commitment transaction shares. All keys are those
// of the commitment holder's commitment ("local" below means the holder).
type SecondLevelParams struct {
	// ChannelType selects legacy (static_remotekey) or anchors rules.
	ChannelType script.ChannelType
	// CommitTxHash is the txid of the commitment transaction whose HTLC
	// outputs are spent.
	CommitTxHash [32]byte
	// FeeRate is the commitment's feerate_per_kw; it sets the fee of
	// legacy HTLC transactions and is ignored under anchors.
	FeeRate wire.SatPerKWeight
	// RevocationKey is the commitment's revocationpubkey.
	RevocationKey *btcec.PublicKey
	// DelayedKey is local_delayedpubkey.
	DelayedKey *btcec.PublicKey
	// ToSelfDelay is the holder's to_self_delay (chosen by the other side).
	ToSelfDelay uint16
}

func (p *SecondLevelParams) check() error {
	if p == nil || p.RevocationKey == nil || p.DelayedKey == nil {
		return fmt.Errorf("%w: revocation and delayed keys are required", ErrInvalidParams)
	}
	if !p.ChannelType.Valid() {
		return fmt.Errorf("%w: %v", ErrInvalidParams, p.ChannelType)
	}
	return nil
}

// OutputScript returns the witness script of the output of every
// second-stage transaction: the to_local script with the commitment's
// revocationpubkey, to_self_delay and local_delayedpubkey.
func (p *SecondLevelParams) OutputScript() ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	return script.ToLocalScript(p.RevocationKey, p.DelayedKey, p.ToSelfDelay)
}

// sequence returns the nSequence of the HTLC input: 0 without anchors, 1
// with them, since the anchors HTLC scripts require a CSV of 1 block.
func (p *SecondLevelParams) sequence() uint32 {
	if p.ChannelType.HasAnchors() {
		return 1
	}
	return 0
}

// NewTimeoutTx builds the unsigned HTLC-timeout transaction for an offered
// HTLC whose output has index outputIndex in the commitment transaction
// (BOLT 3, "HTLC-Timeout and HTLC-Success Transactions"):
//
//   - version 2, locktime cltv_expiry;
//   - one input spending the HTLC output, sequence 0 (1 under anchors);
//   - one output of amount_msat/1000 minus the HTLC-timeout fee
//     (script.HTLCTimeoutFee: feerate_per_kw × 663 / 1000 rounded down, or
//     no fee under anchors), paying the P2WSH of the to_local-shaped script.
//
// It returns ErrWrongDirection for a received HTLC and ErrBelowFee when the
// fee takes the whole amount (the HTLC is then trimmed).
func NewTimeoutTx(p *SecondLevelParams, h *HTLC, outputIndex uint32) (*btcwire.MsgTx, error) {
	if h.Direction != Offered {
		return nil, fmt.Errorf("%w: HTLC-timeout spends an offered HTLC, HTLC %d is %v", ErrWrongDirection, h.ID, h.Direction)
	}
	return newSecondLevelTx(p, h, outputIndex, h.CLTVExpiry, script.HTLCTimeoutFee(p.ChannelType, p.FeeRate))
}

// NewSuccessTx builds the unsigned HTLC-success transaction for a received
// HTLC whose output has index outputIndex in the commitment transaction:
// like NewTimeoutTx but with locktime 0 and the HTLC-success fee
// (script.HTLCSuccessFee). The
// witness, which carries the preimage, is added by SuccessWitness.
func NewSuccessTx(p *SecondLevelParams, h *HTLC, outputIndex uint32) (*btcwire.MsgTx, error) {
	if h.Direction != Received {
		return nil, fmt.Errorf("%w: HTLC-success spends a received HTLC, HTLC %d is %v", ErrWrongDirection, h.ID, h.Direction)
	}
	return newSecondLevelTx(p, h, outputIndex, 0, script.HTLCSuccessFee(p.ChannelType, p.FeeRate))
}

// NewSecondLevelTx builds the HTLC-timeout transaction of an offered HTLC or
// the HTLC-success transaction of a received one.
func NewSecondLevelTx(p *SecondLevelParams, h *HTLC, outputIndex uint32) (*btcwire.MsgTx, error) {
	switch h.Direction {
	case Offered:
		return NewTimeoutTx(p, h, outputIndex)
	case Received:
		return NewSuccessTx(p, h, outputIndex)
	default:
		return nil, fmt.Errorf("%w: unknown direction %v", ErrInvalidParams, h.Direction)
	}
}

func newSecondLevelTx(p *SecondLevelParams, h *HTLC, outputIndex, lockTime uint32, fee btcutil.Amount) (*btcwire.MsgTx, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	value := h.Amount.ToSatoshis()
	if value <= fee {
		return nil, fmt.Errorf("%w: HTLC %d of %v pays a fee of %v", ErrBelowFee, h.ID, value, fee)
	}
	ws, err := script.ToLocalScript(p.RevocationKey, p.DelayedKey, p.ToSelfDelay)
	if err != nil {
		return nil, err
	}
	tx := btcwire.NewMsgTx(SecondLevelTxVersion)
	tx.LockTime = lockTime
	in := btcwire.NewTxIn(&btcwire.OutPoint{Hash: p.CommitTxHash, Index: outputIndex}, nil, nil)
	in.Sequence = p.sequence()
	tx.AddTxIn(in)
	tx.AddTxOut(btcwire.NewTxOut(int64(value-fee), script.P2WSH(ws)))
	return tx, nil
}
