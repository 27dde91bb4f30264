package channel

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// simpleRound is the option_simple_close negotiation of one connection
// (BOLT 2 "Closing Negotiation: closing_complete and closing_sig").
type simpleRound struct {
	// proposals are this node's closing_complete messages sent on this
	// connection, oldest first.
	proposals []*simpleProposal
	// lastFee is the fee_satoshis of this node's latest closing_complete
	// (on any connection): a bump must exceed it.
	lastFee btcutil.Amount
}

// simpleProposal is one closing_complete this node sent, with the record
// of each variant it signed.
type simpleProposal struct {
	msg  *wire.ClosingComplete
	recs map[ClosingVariant]*closeRecord
}

// errCannotPropose: this node's balance cannot pay for a closing_complete
// that relays.
var errCannotPropose = errors.New("this node's balance cannot pay for a closing transaction that relays")

func sigField(s *wire.ClosingSigs, v ClosingVariant) **wire.Signature {
	switch v {
	case CloserOutputOnly:
		return &s.CloserOutputOnly
	case CloseeOutputOnly:
		return &s.CloseeOutputOnly
	default:
		return &s.CloserAndCloseeOutputs
	}
}

var simpleVariants = [...]ClosingVariant{CloserOutputOnly, CloseeOutputOnly, CloserAndClosee}

func (c *CoopClose) startSimple(ctx context.Context, st *closeStep) error {
	for _, r := range c.records {
		if r.kind == closeSimple && r.closer == Local && r.remoteSig != nil {
			// This node's proposal is already signed by the peer (and
			// broadcast): Bump replaces it.
			return nil
		}
	}
	target, lo, _ := c.fees.fees(closingWeight(c.localScript, c.remoteScript))
	p, err := c.simpleOffer(ctx, target, lo, c.in.LockTime, c.localScript)
	if errors.Is(err, errCannotPropose) {
		// This node only signs the peer's closing_complete.
		return nil
	}
	if err != nil {
		return err
	}
	c.simpleSend(st, p)
	return nil
}

// Bump sends a new closing_complete (option_simple_close) at a higher fee,
// and optionally to a new script of this node: once the peer answers with
// closing_sig, the new transaction replaces the earlier ones (RBF). The
// negotiation must be started on this connection. A fee that does not
// exceed the previous closing_complete's, or that this node's balance
// cannot pay keeping an output that relays, returns an error wrapping
// ErrInvalidClose and changes nothing.
func (c *CoopClose) Bump(ctx context.Context, b CoopCloseBump) ([]Action, error) {
	if c.failed != nil {
		return nil, fmt.Errorf("%w: %v", ErrChannelFailed, c.failed)
	}
	if !c.cfg.SimpleClose {
		return nil, fmt.Errorf("%w: a bump needs option_simple_close (closing_signed has no RBF)", ErrInvalidClose)
	}
	if !c.started {
		return nil, fmt.Errorf("%w: the negotiation is not started on this connection", ErrInvalidClose)
	}
	pk := c.localScript
	if b.LocalScript != nil {
		if err := c.checkScript(b.LocalScript); err != nil {
			return nil, fmt.Errorf("%w: new closing script: %w", ErrInvalidClose, err)
		}
		pk = append([]byte(nil), b.LocalScript...)
	}
	fee := b.FeeRate.FeeForWeight(closingWeight(pk, c.remoteScript))
	if fee <= c.simple.lastFee {
		return nil, fmt.Errorf("%w: fee %v at %v does not exceed the previous closing_complete's %v",
			ErrInvalidClose, fee, b.FeeRate, c.simple.lastFee)
	}
	p, err := c.simpleOffer(ctx, fee, c.simple.lastFee+1, b.LockTime, pk)
	if err != nil {
		return nil, err
	}
	var st closeStep
	c.simpleSend(&st, p)
	return st.actions(), nil
}

// simpleOffer builds and signs a closing_complete from this node paying
// fee (lowered if need be to keep this node's output above dust, but not
// below minFee), following BOLT 2's rules for the closer:
//
//   - with the lesser balance it may not sign closer_output_only: it
//     signs closee_output_only when its own output is dust or
//     uneconomical, else closer_and_closee_outputs;
//   - otherwise it may not sign closee_output_only: it signs
//     closer_output_only, and closer_and_closee_outputs too unless the
//     peer's output is dust.
func (c *CoopClose) simpleOffer(ctx context.Context, fee, minFee btcutil.Amount, lockTime uint32, ours []byte) (*simpleProposal, error) {
	theirs := c.remoteScript
	ourBal, theirBal := satoshis(c.in.LocalBalance), satoshis(c.in.RemoteBalance)
	lesser := c.in.LocalBalance < c.in.RemoteBalance
	limit := ourBal
	if !lesser && !isOpReturn(ours) {
		// Its output cannot be left out, so it must not fall below
		// dust.
		limit = ourBal - script.DustThreshold(ours)
	}
	if fee > limit {
		fee = limit
	}
	if fee < minFee || fee < 0 {
		return nil, fmt.Errorf("%w: %w (balance %v, minimum fee %v)", ErrInvalidClose, errCannotPropose, ourBal, minFee)
	}
	ourAmt := ourBal - fee
	if isOpReturn(ours) {
		ourAmt = 0
	}
	ourDust := !isOpReturn(ours) && ourAmt < script.DustThreshold(ours)
	theirDust := !isOpReturn(theirs) && theirBal < script.DustThreshold(theirs)
	uneconomical := !isOpReturn(ours) && ourAmt < c.in.DropOwnOutputBelow
	var variants []ClosingVariant
	switch {
	case lesser && (ourDust || uneconomical):
		variants = []ClosingVariant{CloseeOutputOnly}
	case lesser:
		variants = []ClosingVariant{CloserAndClosee}
	case theirDust:
		variants = []ClosingVariant{CloserOutputOnly}
	default:
		variants = []ClosingVariant{CloserOutputOnly, CloserAndClosee}
	}
	sc := &SimpleClose{
		Closer: Local, CloserScript: ours, CloseeScript: theirs,
		LocalBalance: c.in.LocalBalance, RemoteBalance: c.in.RemoteBalance,
		Fee: fee, LockTime: lockTime,
	}
	msg := &wire.ClosingComplete{ChannelID: c.id, CloserScript: ours, CloseeScript: theirs, Fee: fee, LockTime: lockTime}
	p := &simpleProposal{msg: msg, recs: map[ClosingVariant]*closeRecord{}}
	for _, v := range variants {
		tx, err := NewSimpleClosingTx(c.p, sc, v)
		if err != nil {
			// Every output left would be dust.
			return nil, fmt.Errorf("%w: %w: %v", ErrInvalidClose, errCannotPropose, err)
		}
		sig, err := c.signClose(ctx, tx)
		if err != nil {
			return nil, err
		}
		s := sig
		*sigField(&msg.Sigs, v) = &s
		p.recs[v] = &closeRecord{kind: closeSimple, closer: Local, variant: v, fee: fee, tx: tx, localSig: sig}
	}
	return p, nil
}

// simpleSend records the variants of a proposal and sends its
// closing_complete.
func (c *CoopClose) simpleSend(st *closeStep, p *simpleProposal) {
	for _, v := range simpleVariants {
		if r := p.recs[v]; r != nil {
			p.recs[v] = c.record(st, r)
		}
	}
	st.sends = append(st.sends, p.msg)
	c.simple.proposals = append(c.simple.proposals, p)
	c.simple.lastFee = p.msg.Fee
	c.localScript = p.msg.CloserScript
}

// receiveClosingComplete answers the peer's closing_complete with
// closing_sig when it is valid (BOLT 2, the receiver "the closee").
func (c *CoopClose) receiveClosingComplete(ctx context.Context, msg *wire.ClosingComplete) ([]Action, error) {
	if !bytes.Equal(msg.CloseeScript, c.localScript) {
		// SHOULD ignore it, send a warning and close the connection.
		return c.warn(true, fmt.Errorf("%w: closing_complete's closee_scriptpubkey %x is not this node's last script %x",
			ErrCloseNegotiation, msg.CloseeScript, c.localScript))
	}
	if err := c.checkScript(msg.CloserScript); err != nil {
		return c.warn(true, fmt.Errorf("%w: closing_complete's closer_scriptpubkey %x: %w", ErrCloseNegotiation, msg.CloserScript, err))
	}
	if closer := satoshis(c.in.RemoteBalance); msg.Fee > closer {
		return c.warn(true, fmt.Errorf("%w: closing_complete's fee_satoshis %v exceeds the closer's balance %v",
			ErrCloseNegotiation, msg.Fee, closer))
	}
	ourAmt := satoshis(c.in.LocalBalance)
	if isOpReturn(msg.CloseeScript) {
		ourAmt = 0
	}
	ourDust := !isOpReturn(msg.CloseeScript) && ourAmt < script.DustThreshold(msg.CloseeScript)
	uneconomical := !isOpReturn(msg.CloseeScript) && ourAmt < c.in.DropOwnOutputBelow
	var v ClosingVariant
	switch {
	case ourDust:
		v = CloserOutputOnly
	case uneconomical && msg.Sigs.CloserOutputOnly != nil:
		// Leaving out its own output is this node's choice: it makes
		// it only when the closer offers that variant.
		v = CloserOutputOnly
	case msg.Sigs.CloserAndCloseeOutputs != nil:
		v = CloserAndClosee
	default:
		v = CloseeOutputOnly
	}
	sig := *sigField(&msg.Sigs, v)
	if sig == nil {
		return c.warn(true, fmt.Errorf("%w: closing_complete lacks the %v signature this node must use", ErrCloseNegotiation, v))
	}
	sc := &SimpleClose{
		Closer: Remote, CloserScript: msg.CloserScript, CloseeScript: msg.CloseeScript,
		LocalBalance: c.in.LocalBalance, RemoteBalance: c.in.RemoteBalance,
		Fee: msg.Fee, LockTime: msg.LockTime,
	}
	tx, err := NewSimpleClosingTx(c.p, sc, v)
	if err != nil {
		return c.warn(true, fmt.Errorf("%w: closing_complete's %v transaction: %w", ErrCloseNegotiation, v, err))
	}
	if err := verifyRemote(c.p, tx, *sig); err != nil {
		return c.warn(true, fmt.Errorf("%w: closing_complete's %v: %w", ErrCloseNegotiation, v, err))
	}
	ours, err := c.signClose(ctx, tx)
	if err != nil {
		return nil, err
	}
	var st closeStep
	remote := *sig
	rec := c.record(&st, &closeRecord{kind: closeSimple, closer: Remote, variant: v, fee: msg.Fee, tx: tx, localSig: ours, remoteSig: &remote})
	reply := &wire.ClosingSig{
		ChannelID: c.id, CloserScript: msg.CloserScript, CloseeScript: msg.CloseeScript,
		Fee: msg.Fee, LockTime: msg.LockTime,
	}
	*sigField(&reply.Sigs, v) = &ours
	st.sends = append(st.sends, reply)
	c.completed(&st, rec)
	c.remoteScript = append([]byte(nil), msg.CloserScript...)
	return st.actions(), nil
}

// receiveClosingSig completes one of this node's closing_complete
// transactions (BOLT 2, the receiver of closing_sig).
func (c *CoopClose) receiveClosingSig(msg *wire.ClosingSig) ([]Action, error) {
	var p *simpleProposal
	for i := len(c.simple.proposals) - 1; i >= 0; i-- {
		q := c.simple.proposals[i].msg
		if bytes.Equal(q.CloserScript, msg.CloserScript) && bytes.Equal(q.CloseeScript, msg.CloseeScript) &&
			q.Fee == msg.Fee && q.LockTime == msg.LockTime {
			p = c.simple.proposals[i]
			break
		}
	}
	if p == nil {
		// An answer to no closing_complete of this connection (one
		// replaced meanwhile, say): ignored.
		return nil, fmt.Errorf("%w: closing_sig with fee_satoshis %v matches no closing_complete sent; ignored",
			ErrCloseNegotiation, msg.Fee)
	}
	var v ClosingVariant
	var sig *wire.Signature
	n := 0
	for _, w := range simpleVariants {
		if s := *sigField(&msg.Sigs, w); s != nil {
			v, sig = w, s
			n++
		}
	}
	if n != 1 {
		return c.warn(true, fmt.Errorf("%w: closing_sig carries %d signatures, not exactly one", ErrCloseNegotiation, n))
	}
	rec := p.recs[v]
	if rec == nil {
		return c.warn(true, fmt.Errorf("%w: closing_sig signs %v, which this node's closing_complete did not offer", ErrCloseNegotiation, v))
	}
	if err := verifyRemote(c.p, rec.tx, *sig); err != nil {
		return c.warn(true, fmt.Errorf("%w: closing_sig's %v: %w", ErrCloseNegotiation, v, err))
	}
	if rec.remoteSig != nil {
		// A repeated closing_sig: already complete.
		return nil, nil
	}
	var st closeStep
	remote := *sig
	c.record(&st, &closeRecord{kind: rec.kind, closer: rec.closer, variant: rec.variant, fee: rec.fee, tx: rec.tx, localSig: rec.localSig, remoteSig: &remote})
	c.completed(&st, rec)
	return st.actions(), nil
}
