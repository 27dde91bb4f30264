package channel

import (
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
)

// Side names one of the two channel parties from this node's point of view.
type Side uint8

const (
	// Local is this node.
	Local Side = iota
	// Remote is the channel peer.
	Remote
)

// Other returns the opposite side.
func (s Side) Other() Side { return s ^ 1 }

// String returns "local" or "remote".
func (s Side) String() string {
	if s == Local {
		return "local"
	}
	return "remote"
}

// Basepoints are the public keys one party announces in open_channel or
// accept_channel (BOLT 2). All per-commitment keys are derived from them.
type Basepoints struct {
	// Funding is funding_pubkey, a key of the 2-of-2 funding output and
	// of the party's anchor.
	Funding *btcec.PublicKey
	// Revocation is revocation_basepoint.
	Revocation *btcec.PublicKey
	// Payment is payment_basepoint, which the other party's commitments
	// pay the party's to_remote output to.
	Payment *btcec.PublicKey
	// DelayedPayment is delayed_payment_basepoint.
	DelayedPayment *btcec.PublicKey
	// HTLC is htlc_basepoint.
	HTLC *btcec.PublicKey
}

func (b *Basepoints) validate(who Side) error {
	for _, k := range []struct {
		name string
		key  *btcec.PublicKey
	}{
		{"funding_pubkey", b.Funding}, {"revocation_basepoint", b.Revocation},
		{"payment_basepoint", b.Payment}, {"delayed_payment_basepoint", b.DelayedPayment},
		{"htlc_basepoint", b.HTLC},
	} {
		if k.key == nil {
			return fmt.Errorf("%w: %s %s missing", ErrInvalidParams, who, k.name)
		}
	}
	return nil
}

// MinToSelfDelay is the smallest to_self_delay Params.Validate accepts.
const MinToSelfDelay = 1

// PartyParams is what one party contributes to the channel.
type PartyParams struct {
	Basepoints

	// ToSelfDelay is the CSV delay on this party's own to_local output and
	// on its HTLC transaction outputs, in its own commitment. Note that BOLT 2
	// lets the *other* party choose it: it is the to_self_delay field of the
	// peer's open_channel/accept_channel.
	ToSelfDelay uint16

	// DustLimit is this party's dust_limit_satoshis. It trims outputs of
	// this party's own commitment transaction.
	DustLimit btcutil.Amount
}

// Params are the static parameters of a channel: everything that stays the
// same from one commitment to the next. Params is read-only once built and
// safe for concurrent use.
type Params struct {
	// FundingOutpoint is the funding transaction output the commitments
	// spend.
	FundingOutpoint btcwire.OutPoint
	// FundingAmount is the value of the funding output.
	FundingAmount btcutil.Amount
	// Type is the negotiated commitment format.
	Type script.ChannelType
	// Opener is the side that sent open_channel; it pays the commitment
	// fee and, under anchors, both anchor outputs.
	Opener Side

	// Local and Remote are the two parties' contributions.
	Local, Remote PartyParams
}

// Party returns the parameters of one side.
func (p *Params) Party(s Side) *PartyParams {
	if s == Local {
		return &p.Local
	}
	return &p.Remote
}

// Validate checks that the parameters are complete and in range:
//
//   - a supported channel type and an opener that is Local or Remote;
//   - a funding amount above 0 and at most btcutil.MaxSatoshi;
//   - all five basepoints of both parties;
//   - each dust_limit_satoshis at least script.MinDustLimit (354, BOLT 2)
//     and at most btcutil.MaxSatoshi;
//   - each to_self_delay at least 1. With 0 the to_local output and every
//     HTLC transaction output could be spent by their owner in the block
//     after the commitment, so a revoked commitment could not be
//     punished.
//
// It applies no upper bound to to_self_delay: BOLT 2 lets the receiver
// of open_channel/accept_channel refuse one that is "unreasonably large",
// and that limit (say 2016 blocks, two weeks) is a policy of the open
// flow, not a property of a channel that exists.
func (p *Params) Validate() error {
	if !p.Type.Valid() {
		return fmt.Errorf("%w: unsupported channel type %v", ErrInvalidParams, p.Type)
	}
	if p.Opener != Local && p.Opener != Remote {
		return fmt.Errorf("%w: opener %d", ErrInvalidParams, p.Opener)
	}
	if p.FundingAmount <= 0 || p.FundingAmount > btcutil.MaxSatoshi {
		return fmt.Errorf("%w: funding amount %d out of range", ErrInvalidParams, p.FundingAmount)
	}
	if err := p.Local.validate(Local); err != nil {
		return err
	}
	return p.Remote.validate(Remote)
}

func (pp *PartyParams) validate(who Side) error {
	if err := pp.Basepoints.validate(who); err != nil {
		return err
	}
	if pp.DustLimit < script.MinDustLimit || pp.DustLimit > btcutil.MaxSatoshi {
		return fmt.Errorf("%w: %s dust_limit_satoshis %d (BOLT 2: at least %d)",
			ErrInvalidParams, who, pp.DustLimit, script.MinDustLimit)
	}
	if pp.ToSelfDelay < MinToSelfDelay {
		return fmt.Errorf("%w: %s to_self_delay %d: a revoked commitment could not be punished (at least %d)",
			ErrInvalidParams, who, pp.ToSelfDelay, MinToSelfDelay)
	}
	return nil
}
