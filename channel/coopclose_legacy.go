package channel

import (
	"context"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/wire"
)

// legacyRound is the closing_signed negotiation of one connection (BOLT 2
// "Legacy Closing Negotiation: closing_signed").
type legacyRound struct {
	// lo and hi bound the fees this node accepts; target is the fee it
	// proposes. For the non-opener hi is raised to the opener's max
	// (BOLT 2: SHOULD set max_fee_satoshis to at least the one received).
	lo, hi, target btcutil.Amount
	// sent is this node's latest closing_signed.
	sent *legacySent
	// lastRecv is the fee of the peer's latest closing_signed, for the
	// pre-fee_range rule "strictly between".
	lastRecv *btcutil.Amount
	// done: a mutually signed transaction was made on this connection.
	done bool
}

type legacySent struct {
	fee btcutil.Amount
	rng wire.FeeRange
}

// legacyOffer is a closing_signed this node is about to send: its
// transaction and signature.
type legacyOffer struct {
	fee btcutil.Amount
	rng wire.FeeRange
	tx  *btcwire.MsgTx
	sig wire.Signature
}

func (c *CoopClose) legacyView(fee btcutil.Amount) LegacyClose {
	return LegacyClose{
		LocalScript: c.localScript, RemoteScript: c.remoteScript,
		LocalBalance: c.in.LocalBalance, RemoteBalance: c.in.RemoteBalance,
		Fee: fee,
	}
}

func (c *CoopClose) openerBalance() btcutil.Amount {
	if c.p.Opener == Local {
		return satoshis(c.in.LocalBalance)
	}
	return satoshis(c.in.RemoteBalance)
}

// legacyFinal is the mutually signed transaction of an earlier legacy
// negotiation, if any.
func (c *CoopClose) legacyFinal() *closeRecord {
	for i := len(c.records) - 1; i >= 0; i-- {
		if r := c.records[i]; r.kind == closeLegacy && r.remoteSig != nil {
			return r
		}
	}
	return nil
}

func (c *CoopClose) startLegacy(ctx context.Context, st *closeStep) error {
	r := &c.legacy
	// This node's variant at zero fee has as many outputs as any variant
	// can have: its weight bounds them all.
	lc := c.legacyView(0)
	lc.DustLimit = c.p.Local.DustLimit
	base, err := NewLegacyClosingTx(c.p, &lc)
	if err != nil {
		return err
	}
	target, lo, hi := c.fees.fees(closingWeight(txScripts(base)...))
	if bal := c.openerBalance(); hi > bal {
		hi = bal
	}
	if final := c.legacyFinal(); final != nil {
		// An earlier negotiation ended with a mutually signed
		// transaction (maybe already broadcast): agree on its fee
		// again, so that the peer can complete it too.
		if c.p.Opener == Local {
			lo, hi = final.fee, final.fee
		} else {
			lo = final.fee
			if hi < lo {
				hi = lo
			}
		}
		target = final.fee
	}
	if lo > hi {
		return fmt.Errorf("%w: the opener's balance %v cannot pay the minimum closing fee %v",
			ErrInvalidClose, c.openerBalance(), lo)
	}
	r.lo, r.hi, r.target = lo, hi, clampFee(target, lo, hi)
	if c.p.Opener != Local {
		// BOLT 2: the opener sends the first closing_signed.
		return nil
	}
	o, err := c.legacyOffer(ctx, r.target, wire.FeeRange{Min: lo, Max: hi})
	if err != nil {
		return err
	}
	c.legacySend(st, o)
	return nil
}

// legacyRange is the fee_range this node sends. The opener's is its own
// bounds; the non-opener, which pays nothing, raises its max to the
// opener's (peerMax), capped by what the opener can pay.
func (c *CoopClose) legacyRange(peerMax btcutil.Amount) wire.FeeRange {
	r := &c.legacy
	rng := wire.FeeRange{Min: r.lo, Max: r.hi}
	if c.p.Opener != Local {
		if bal := c.openerBalance(); peerMax > bal {
			peerMax = bal
		}
		if peerMax > rng.Max {
			rng.Max = peerMax
		}
	}
	return rng
}

// legacyOffer builds and signs this node's variant of the closing
// transaction at fee (BOLT 3: outputs below this node's
// dust_limit_satoshis removed, and its own output too when it is
// uneconomical and something else is left).
func (c *CoopClose) legacyOffer(ctx context.Context, fee btcutil.Amount, rng wire.FeeRange) (*legacyOffer, error) {
	lc := c.legacyView(fee)
	lc.DustLimit = c.p.Local.DustLimit
	own := satoshis(c.in.LocalBalance)
	if c.p.Opener == Local {
		own -= fee
	}
	var tx *btcwire.MsgTx
	if own < c.in.DropOwnOutputBelow {
		omit := lc
		omit.OmitLocal = true
		if t, err := NewLegacyClosingTx(c.p, &omit); err == nil {
			tx = t
		}
	}
	if tx == nil {
		t, err := NewLegacyClosingTx(c.p, &lc)
		if err != nil {
			return nil, err
		}
		tx = t
	}
	sig, err := c.signClose(ctx, tx)
	if err != nil {
		return nil, err
	}
	return &legacyOffer{fee: fee, rng: rng, tx: tx, sig: sig}, nil
}

// legacySend records an offer and sends its closing_signed.
func (c *CoopClose) legacySend(st *closeStep, o *legacyOffer) {
	c.record(st, &closeRecord{kind: closeLegacy, closer: c.p.Opener, fee: o.fee, tx: o.tx, localSig: o.sig})
	rng := o.rng
	st.sends = append(st.sends, &wire.ClosingSigned{ChannelID: c.id, Fee: o.fee, Signature: o.sig, FeeRange: &rng})
	c.legacy.sent = &legacySent{fee: o.fee, rng: o.rng}
}

// legacyFinish ends the negotiation at the peer's fee: it answers with a
// closing_signed at the same fee when reply is set, then signs the
// transaction the peer's signature covers and broadcasts it.
func (c *CoopClose) legacyFinish(ctx context.Context, peerTx *btcwire.MsgTx, msg *wire.ClosingSigned, reply *wire.FeeRange) ([]Action, error) {
	var o *legacyOffer
	if reply != nil {
		var err error
		if o, err = c.legacyOffer(ctx, msg.Fee, *reply); err != nil {
			return nil, err
		}
	}
	sig, err := c.signClose(ctx, peerTx)
	if err != nil {
		return nil, err
	}
	var st closeStep
	if o != nil {
		c.legacySend(&st, o)
	}
	remote := msg.Signature
	rec := c.record(&st, &closeRecord{kind: closeLegacy, closer: c.p.Opener, fee: msg.Fee, tx: peerTx, localSig: sig, remoteSig: &remote})
	c.completed(&st, rec)
	c.legacy.done = true
	return st.actions(), nil
}

func strictlyBetween(x, a, b btcutil.Amount) bool {
	if a > b {
		a, b = b, a
	}
	return a < x && x < b
}

// receiveClosingSigned applies BOLT 2's requirements on the receiver of
// closing_signed.
func (c *CoopClose) receiveClosingSigned(ctx context.Context, msg *wire.ClosingSigned) ([]Action, error) {
	r := &c.legacy
	if r.done {
		// This connection's negotiation is over; BOLT 2 asks for no
		// answer (the peer has what it needs, or restarts after a
		// reconnection).
		return nil, nil
	}
	lc := c.legacyView(msg.Fee)
	tx, err := VerifyLegacyClose(c.p, &lc, msg.Signature)
	if err != nil {
		// BOLT 2: a signature valid for neither variant: send a
		// warning and close the connection.
		return c.warn(true, fmt.Errorf("%w: closing_signed with fee_satoshis %v: %w", ErrCloseNegotiation, msg.Fee, err))
	}
	if !isLowS(msg.Signature) {
		return c.warn(true, fmt.Errorf("%w: %w: closing_signed signature is not low-S", ErrCloseNegotiation, ErrInvalidClosingSig))
	}
	opener := c.p.Opener == Local
	if r.sent != nil && msg.Fee == r.sent.fee {
		// The fee this node proposed: sign and broadcast.
		return c.legacyFinish(ctx, tx, msg, nil)
	}
	if pr := msg.FeeRange; pr != nil {
		if pr.Min > pr.Max || msg.Fee < pr.Min || msg.Fee > pr.Max {
			return c.warn(true, fmt.Errorf("%w: fee_satoshis %v outside the sender's own fee_range [%v, %v]",
				ErrCloseNegotiation, msg.Fee, pr.Min, pr.Max))
		}
		ours := c.legacyRange(pr.Max)
		lo, hi := max(ours.Min, pr.Min), min(ours.Max, pr.Max)
		if lo > hi {
			// SHOULD send a warning; the channel MUST fail if no
			// satisfying fee_range comes in a reasonable time, which
			// the host times.
			return c.warn(false, fmt.Errorf("%w: %w: the peer's fee_range [%v, %v] and this node's [%v, %v]",
				ErrCloseNegotiation, ErrCloseFeeRange, pr.Min, pr.Max, ours.Min, ours.Max))
		}
		if opener {
			if msg.Fee < lo || msg.Fee > hi {
				return c.failChannel(fmt.Errorf("%w: fee_satoshis %v is outside the overlap [%v, %v] of the fee ranges",
					ErrCloseNegotiation, msg.Fee, lo, hi))
			}
			// MUST reply with the same fee_satoshis.
			return c.legacyFinish(ctx, tx, msg, &ours)
		}
		if r.sent != nil {
			return c.failChannel(fmt.Errorf("%w: the opener answered fee_satoshis %v to this node's %v",
				ErrCloseNegotiation, msg.Fee, r.sent.fee))
		}
		if msg.Fee >= lo && msg.Fee <= hi {
			// Proposing a fee in the overlap: this one.
			return c.legacyFinish(ctx, tx, msg, &ours)
		}
		// MUST propose a fee_satoshis in the overlap; the non-opener
		// never goes above the opener's max.
		o, err := c.legacyOffer(ctx, clampFee(r.target, lo, hi), ours)
		if err != nil {
			return nil, err
		}
		var st closeStep
		c.legacySend(&st, o)
		return st.actions(), nil
	}

	// A peer that sends no fee_range: the negotiation before fee_range,
	// each proposal strictly between the two previous ones.
	ours := c.legacyRange(msg.Fee)
	if msg.Fee >= ours.Min && msg.Fee <= ours.Max {
		// Within this node's range (BOLT 2 checks this before the
		// "strictly between" rule): use it, and reply with it.
		return c.legacyFinish(ctx, tx, msg, &ours)
	}
	if r.sent != nil && r.lastRecv != nil && !strictlyBetween(msg.Fee, r.sent.fee, *r.lastRecv) {
		return c.warn(true, fmt.Errorf("%w: fee_satoshis %v is not strictly between this node's %v and the peer's previous %v",
			ErrCloseNegotiation, msg.Fee, r.sent.fee, *r.lastRecv))
	}
	f := clampFee(msg.Fee, ours.Min, ours.Max)
	if r.sent != nil && !strictlyBetween(f, msg.Fee, r.sent.fee) {
		return c.warn(true, fmt.Errorf("%w: %w: no fee strictly between the peer's %v and this node's %v is within [%v, %v]",
			ErrCloseNegotiation, ErrCloseFeeRange, msg.Fee, r.sent.fee, ours.Min, ours.Max))
	}
	o, err := c.legacyOffer(ctx, f, ours)
	if err != nil {
		return nil, err
	}
	var st closeStep
	c.legacySend(&st, o)
	fee := msg.Fee
	r.lastRecv = &fee
	return st.actions(), nil
}
