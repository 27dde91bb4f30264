package channel

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/wire"
)

// Errors of the cooperative close negotiation.
var (
	// ErrCloseNegotiation reports that the peer broke a rule of the
	// closing negotiation (BOLT 2 "Channel Close"): a bad signature, a
	// fee outside the rules, a message out of place. Every such error
	// wraps it; the returned actions say what BOLT 2 asks for (a warning
	// and a disconnection, or an error and a failed channel).
	ErrCloseNegotiation = errors.New("channel: cooperative close negotiation failed")

	// ErrCloseFeeRange reports that no fee acceptable to both nodes can be
	// reached: the fee_range of closing_signed does not overlap this
	// node's, or the pre-fee_range negotiation cannot move any closer.
	// Errors that wrap it also wrap ErrCloseNegotiation.
	ErrCloseFeeRange = errors.New("channel: closing fee ranges do not overlap")
)

// CoopCloseConfig is what a CoopClose needs besides the negotiation's
// inputs.
type CoopCloseConfig struct {
	// Params are the channel's static parameters, from this node's view.
	// Params.Opener is the side that pays the fee of a legacy
	// (closing_signed) closing transaction.
	Params *Params
	// Signer signs with this node's funding key.
	Signer Signer
	// SimpleClose is set when both nodes negotiated option_simple_close:
	// the negotiation uses closing_complete and closing_sig. Otherwise it
	// is the legacy closing_signed negotiation with fee_range.
	SimpleClose bool
	// AnySegwit is set when both nodes negotiated
	// option_shutdown_anysegwit: closing scripts may then be any segwit
	// v1 to v16 program of 2 to 40 bytes.
	AnySegwit bool
}

// CloseFeePolicy is this node's fee preference for a closing transaction,
// as the host's FeeEstimator gives it. Rates are turned into fees with the
// expected weight of the closing transaction: its outputs as built, one
// funding input with two 73-byte signatures.
type CloseFeePolicy struct {
	// FeeRate is the rate this node proposes.
	FeeRate wire.SatPerKWeight
	// MinFeeRate and MaxFeeRate bound the fees this node accepts: the
	// fee_range of closing_signed, and the fees a closing_complete of
	// this node may carry. Zero MinFeeRate means 253 sat/kw (the relay
	// floor); zero MaxFeeRate means FeeRate.
	MinFeeRate, MaxFeeRate wire.SatPerKWeight
}

func (f CloseFeePolicy) withDefaults() (CloseFeePolicy, error) {
	if f.MinFeeRate == 0 {
		f.MinFeeRate = minRelayFeeRate
	}
	if f.MaxFeeRate == 0 {
		f.MaxFeeRate = f.FeeRate
	}
	if f.FeeRate == 0 || f.MinFeeRate > f.FeeRate || f.FeeRate > f.MaxFeeRate {
		return f, fmt.Errorf("%w: closing fee rates need 0 < min %v <= target %v <= max %v",
			ErrInvalidParams, f.MinFeeRate, f.FeeRate, f.MaxFeeRate)
	}
	return f, nil
}

// fees returns the policy as fees for a transaction of the given weight.
func (f CloseFeePolicy) fees(weight int64) (target, lo, hi btcutil.Amount) {
	return f.FeeRate.FeeForWeight(weight), f.MinFeeRate.FeeForWeight(weight), f.MaxFeeRate.FeeForWeight(weight)
}

// CoopCloseStart are the inputs of a closing negotiation: what the channel
// looks like once both shutdown messages are exchanged and no HTLC is
// left.
type CoopCloseStart struct {
	// LocalBalance and RemoteBalance are the final balances from this
	// node's view; they must add up to the funding amount.
	LocalBalance, RemoteBalance wire.MilliSatoshi
	// LocalScript and RemoteScript are the scriptpubkeys of this node's
	// and the peer's shutdown.
	LocalScript, RemoteScript []byte
	// Fees is this node's fee preference.
	Fees CloseFeePolicy
	// LockTime is the locktime of this node's closing_complete
	// (option_simple_close): the current block height discourages fee
	// sniping. Ignored by the legacy negotiation (locktime 0).
	LockTime uint32
	// DropOwnOutputBelow is the amount under which this node considers
	// its own output uneconomical and leaves it out of the transactions
	// it signs where BOLT 2 and 3 allow it: the variant without its own
	// output in closing_signed, closee_output_only in its
	// closing_complete when it has the lesser balance, closer_output_only
	// when it answers a closing_complete that carries it. Outputs below
	// dust are always left out. Zero leaves out only dust.
	DropOwnOutputBelow btcutil.Amount
}

// CoopCloseBump asks for a new closing_complete (option_simple_close) at a
// higher fee, which replaces (RBF) the previous closing transactions once
// the peer signs it.
type CoopCloseBump struct {
	// FeeRate is the new rate. The fee it gives must exceed the fee of
	// this node's previous closing_complete; for the new transaction to
	// replace one in mempools it should exceed it by at least the
	// incremental relay fee (1 sat/vbyte) of its size.
	FeeRate wire.SatPerKWeight
	// LockTime is the new transaction's locktime.
	LockTime uint32
	// LocalScript, when set, replaces this node's closing script
	// (closer_scriptpubkey). From then on the peer's closing_complete
	// must name it as closee_scriptpubkey.
	LocalScript []byte
}

// BroadcastClose asks the host to broadcast a fully signed cooperative
// closing transaction. Its signatures were persisted by a preceding
// *Persist. Broadcasting it again (after a restart, see
// CoopClose.Rebroadcast) is harmless.
type BroadcastClose struct {
	// ChannelID names the channel.
	ChannelID wire.ChannelID
	// Tx is the closing transaction with its witness.
	Tx *btcwire.MsgTx
}

// CoopCloseSigned reports a closing transaction signed by both nodes: the
// channel is closed once it, or another transaction of the same
// negotiation, has the confirmation depth the host waits for. Under
// option_simple_close both nodes may sign several (one per closing_complete
// each of them sends); they all spend the funding output, so exactly one
// confirms.
type CoopCloseSigned struct {
	// ChannelID names the channel.
	ChannelID wire.ChannelID
	// TxID is the closing transaction's id.
	TxID chainhash.Hash
	// Fee is what the transaction pays: the funding amount minus its
	// outputs (fee_satoshis plus any dust and sub-satoshi remainders).
	Fee btcutil.Amount
	// Closer is the side that paid the fee: the opener under the legacy
	// negotiation, the sender of closing_complete under
	// option_simple_close.
	Closer Side
}

func (*BroadcastClose) action()  {}
func (*CoopCloseSigned) action() {}

// CloseTx is a closing transaction this node signed.
type CloseTx struct {
	// Tx is the transaction: with its witness when Complete, else
	// without (only this node's signature is known; the peer, which has
	// it, can still complete and broadcast it).
	Tx *btcwire.MsgTx
	// TxID is its id.
	TxID chainhash.Hash
	// FeeSatoshis is the fee_satoshis of the proposal it belongs to.
	FeeSatoshis btcutil.Amount
	// Closer is the side that pays the fee.
	Closer Side
	// Variant is the option_simple_close variant (0 under the legacy
	// negotiation).
	Variant ClosingVariant
	// Complete is set when both signatures are known.
	Complete bool
}

// CoopClose runs the cooperative close negotiation of one channel once
// both shutdown messages are exchanged and no HTLC is left (BOLT 2
// "Closing Negotiation"): the legacy closing_signed exchange with fee_range,
// or option_simple_close's closing_complete and closing_sig with
// replace-by-fee.
//
// It is a pure core in the Machine's style: each input returns the ordered
// actions the host performs (see Action for the persistence rule); it
// performs no I/O, reads no clock and starts no goroutine. Timeouts (BOLT
// 2: fail the channel when no acceptable closing_signed comes in a
// reasonable time) and confirmation depth belong to the host.
//
// The actions it returns are *Persist, *Send, *BroadcastClose,
// *CoopCloseSigned, and on a violation by the peer either *Send of a
// wire.Warning followed by *Disconnect, or *Send of a wire.Error followed
// by *ChannelFailed (after which the CoopClose accepts no further input).
// Every *Send that carries a signature of this node, and every
// *BroadcastClose, is preceded by a *Persist of the transactions signed:
// in the same list, unless an earlier step already persisted that very
// record (a proposal made again after a reconnection, say).
//
// Records, under KeyPrefix(channelID):
//
//	close/tx/<n>   one closing transaction this node signed (n: 16 hex
//	               digits, increasing): the unsigned transaction, this
//	               node's signature, the peer's once known, the proposal's
//	               fee_satoshis, closer and variant. Written before this
//	               node's signature leaves; rewritten once the peer's
//	               signature completes it. Never deleted by the CoopClose:
//	               the host removes the channel's records once the close
//	               is deep enough.
//
// What survives a restart (RestoreCoopClose) is exactly these records: the
// negotiation itself restarts after a reconnection (BOLT 2: shutdown is
// retransmitted, then the legacy negotiation begins again and under
// option_simple_close each side sends a new closing_complete), so the host
// calls Start again once the Machine hands the channel over. Every
// transaction the peer may complete and broadcast is known, and the best
// mutually signed one can be broadcast again at once (Rebroadcast).
//
// The protocol (CoopCloseConfig.SimpleClose) is fixed for a CoopClose.
// Since option_simple_close is negotiated per connection, a reconnection
// that negotiates the other protocol needs a CoopClose restored from the
// records with the new configuration; it keeps the transactions signed
// under either.
//
// A CoopClose is not safe for concurrent use.
type CoopClose struct {
	cfg    CoopCloseConfig
	p      *Params
	id     wire.ChannelID
	prefix string

	failed  error
	started bool
	in      CoopCloseStart
	fees    CloseFeePolicy
	// localScript and remoteScript are the scripts of the latest
	// proposals: the shutdown scripts, updated under option_simple_close
	// by closing_complete.
	localScript, remoteScript []byte

	records []*closeRecord
	nextSeq uint64

	legacy legacyRound
	simple simpleRound
}

// NewCoopClose returns a negotiator for a channel. Nothing happens until
// Start.
func NewCoopClose(cfg CoopCloseConfig) (*CoopClose, error) {
	if cfg.Params == nil {
		return nil, fmt.Errorf("%w: nil Params", ErrInvalidParams)
	}
	if err := cfg.Params.Validate(); err != nil {
		return nil, err
	}
	if cfg.Signer == nil {
		return nil, fmt.Errorf("%w: a Signer is required", ErrInvalidParams)
	}
	p := *cfg.Params
	cfg.Params = &p
	id := wire.NewChannelID(p.FundingOutpoint)
	return &CoopClose{cfg: cfg, p: &p, id: id, prefix: KeyPrefix(id), nextSeq: 1}, nil
}

// ChannelID returns the channel's id.
func (c *CoopClose) ChannelID() wire.ChannelID { return c.id }

// Failed returns why the channel failed during the negotiation, or nil.
func (c *CoopClose) Failed() error { return c.failed }

// Start begins the negotiation on the current connection, once both
// shutdown messages are exchanged and no HTLC is left (and again after
// each reconnection, once shutdown is exchanged again).
//
// Legacy: the opener sends the first closing_signed; the other node waits
// for it. After a negotiation that already produced a mutually signed
// transaction, the new one accepts only that fee (opener) or at least it
// (the other node), so both nodes can end with the same transaction.
//
// option_simple_close: this node sends closing_complete at its fee rate,
// paid from its own output, unless it already holds a mutually signed
// transaction it proposed (Bump replaces it) or its balance cannot pay
// the minimum fee of its policy while keeping an output that relays (it
// then only answers the peer's closing_complete).
func (c *CoopClose) Start(ctx context.Context, in CoopCloseStart) ([]Action, error) {
	if c.failed != nil {
		return nil, fmt.Errorf("%w: %v", ErrChannelFailed, c.failed)
	}
	if c.started {
		return nil, fmt.Errorf("%w: the negotiation already started on this connection", ErrInvalidClose)
	}
	fees, err := in.Fees.withDefaults()
	if err != nil {
		return nil, err
	}
	funding, err := wire.NewMilliSatoshi(c.p.FundingAmount)
	if err != nil {
		return nil, fmt.Errorf("%w: funding amount: %w", ErrInvalidParams, err)
	}
	if in.LocalBalance > funding || in.RemoteBalance > funding || in.LocalBalance+in.RemoteBalance != funding {
		return nil, fmt.Errorf("%w: final balances %v + %v are not the funding amount %v (no HTLC may be left)",
			ErrBalanceMismatch, in.LocalBalance, in.RemoteBalance, funding)
	}
	if in.DropOwnOutputBelow < 0 {
		return nil, fmt.Errorf("%w: negative DropOwnOutputBelow", ErrInvalidParams)
	}
	if err := c.checkScript(in.LocalScript); err != nil {
		return nil, fmt.Errorf("%w: local closing script: %w", ErrInvalidClose, err)
	}
	in.LocalScript = append([]byte(nil), in.LocalScript...)
	in.RemoteScript = append([]byte(nil), in.RemoteScript...)
	if err := c.checkScript(in.RemoteScript); err != nil {
		// BOLT 2 shutdown: a receiver of a scriptpubkey in none of the
		// allowed forms SHOULD send a warning.
		return c.warn(true, fmt.Errorf("%w: the peer's shutdown scriptpubkey: %w", ErrCloseNegotiation, err))
	}
	c.in, c.fees = in, fees
	c.localScript, c.remoteScript = in.LocalScript, in.RemoteScript
	var st closeStep
	if c.cfg.SimpleClose {
		c.simple = simpleRound{lastFee: c.simple.lastFee}
		if err := c.startSimple(ctx, &st); err != nil {
			return nil, err
		}
	} else {
		c.legacy = legacyRound{}
		if err := c.startLegacy(ctx, &st); err != nil {
			return nil, err
		}
	}
	c.started = true
	return st.actions(), nil
}

// Disconnected tells the negotiator that the connection is gone: the
// negotiation of this connection is abandoned (its signed transactions
// stay known) and Start must be called again on the next one.
func (c *CoopClose) Disconnected() {
	c.started = false
	c.legacy = legacyRound{}
	c.simple = simpleRound{lastFee: c.simple.lastFee}
}

// ReceiveMessage hands the negotiator a closing_signed (legacy) or a
// closing_complete or closing_sig (option_simple_close) from the peer.
// Other message types, messages of another channel and messages before
// Start return an error and change nothing.
func (c *CoopClose) ReceiveMessage(ctx context.Context, msg wire.Message) ([]Action, error) {
	if c.failed != nil {
		return nil, fmt.Errorf("%w: %v", ErrChannelFailed, c.failed)
	}
	var id wire.ChannelID
	switch m := msg.(type) {
	case *wire.ClosingSigned:
		id = m.ChannelID
	case *wire.ClosingComplete:
		id = m.ChannelID
	case *wire.ClosingSig:
		id = m.ChannelID
	case nil:
		return nil, fmt.Errorf("%w: nil message", ErrInvalidParams)
	default:
		return nil, fmt.Errorf("channel: %v is not a closing negotiation message", msg.MsgType())
	}
	if id != c.id {
		return nil, fmt.Errorf("%w: %v is for channel %v, not %v", ErrInvalidParams, msg.MsgType(), id, c.id)
	}
	if !c.started {
		return nil, fmt.Errorf("%w: %v before Start", ErrInvalidClose, msg.MsgType())
	}
	switch m := msg.(type) {
	case *wire.ClosingSigned:
		if c.cfg.SimpleClose {
			return c.warn(true, fmt.Errorf("%w: closing_signed under option_simple_close", ErrCloseNegotiation))
		}
		return c.receiveClosingSigned(ctx, m)
	case *wire.ClosingComplete:
		if !c.cfg.SimpleClose {
			return c.warn(true, fmt.Errorf("%w: closing_complete without option_simple_close", ErrCloseNegotiation))
		}
		return c.receiveClosingComplete(ctx, m)
	default:
		if !c.cfg.SimpleClose {
			return c.warn(true, fmt.Errorf("%w: closing_sig without option_simple_close", ErrCloseNegotiation))
		}
		return c.receiveClosingSig(m.(*wire.ClosingSig))
	}
}

// Transactions returns every closing transaction this node signed, oldest
// first: all of them may appear on chain (the peer holds this node's
// signature of each), so the host watches all of them.
func (c *CoopClose) Transactions() []CloseTx {
	out := make([]CloseTx, 0, len(c.records))
	for _, r := range c.records {
		out = append(out, r.info(c.p))
	}
	return out
}

// Best returns the mutually signed closing transaction with the highest
// fee (the latest among equals), with its witness, or nil if there is
// none.
func (c *CoopClose) Best() *btcwire.MsgTx {
	if r := c.best(); r != nil {
		return r.info(c.p).Tx
	}
	return nil
}

// Rebroadcast returns the actions that broadcast the best mutually signed
// closing transaction (see Best) and report it, or nil if there is none:
// for a host that restarted, or whose broadcast failed.
func (c *CoopClose) Rebroadcast() []Action {
	r := c.best()
	if r == nil {
		return nil
	}
	var st closeStep
	c.completed(&st, r)
	return st.actions()
}

func (c *CoopClose) best() *closeRecord {
	var best *closeRecord
	var bestFee btcutil.Amount
	for _, r := range c.records {
		if r.remoteSig == nil {
			continue
		}
		if fee := r.txFee(c.p); best == nil || fee >= bestFee {
			best, bestFee = r, fee
		}
	}
	return best
}

// closeStep gathers the results of one input in the order they become
// actions: persist, sends, broadcasts, events.
type closeStep struct {
	ops        []PersistOp
	sends      []wire.Message
	broadcasts []Action
	events     []Action
}

// put adds a write, replacing an earlier one of the same key in the step.
func (s *closeStep) put(key string, value []byte) {
	for i := range s.ops {
		if s.ops[i].Key == key {
			s.ops[i].Value = value
			return
		}
	}
	s.ops = append(s.ops, PersistOp{Key: key, Value: value})
}

func (s *closeStep) actions() []Action {
	acts := make([]Action, 0, 1+len(s.sends)+len(s.broadcasts)+len(s.events))
	if len(s.ops) > 0 {
		acts = append(acts, &Persist{Ops: s.ops})
	}
	for _, m := range s.sends {
		acts = append(acts, &Send{Msg: m})
	}
	acts = append(acts, s.broadcasts...)
	return append(acts, s.events...)
}

// warn answers a violation with a warning, and a disconnection when
// disconnect is set; the negotiation state is unchanged.
func (c *CoopClose) warn(disconnect bool, err error) ([]Action, error) {
	acts := []Action{&Send{Msg: &wire.Warning{ChannelID: c.id, Data: []byte(err.Error())}}}
	if disconnect {
		acts = append(acts, &Disconnect{ChannelID: c.id, Reason: err})
	}
	return acts, err
}

// failChannel answers a violation BOLT 2 says MUST fail the channel: an
// error message, then *ChannelFailed asking for the local commitment to
// be broadcast.
func (c *CoopClose) failChannel(err error) ([]Action, error) {
	err = fmt.Errorf("%w: %w", ErrProtocolViolation, err)
	c.failed = err
	return []Action{
		&Send{Msg: &wire.Error{ChannelID: c.id, Data: []byte(err.Error())}},
		&ChannelFailed{ChannelID: c.id, Err: err, Broadcast: true},
	}, err
}

// signClose signs tx with the funding key and checks the signature, so
// that nothing invalid is persisted, sent or broadcast.
func (c *CoopClose) signClose(ctx context.Context, tx *btcwire.MsgTx) (wire.Signature, error) {
	sig, err := SignFundingSpend(ctx, c.cfg.Signer, c.p, tx)
	if err != nil {
		return sig, err
	}
	if !isLowS(sig) {
		// Equally valid, and the only form peers accept.
		sig = lowS(sig)
	}
	if err := verifyLocalFundingSig(c.p, tx, sig); err != nil {
		return sig, fmt.Errorf("%w: the signer's closing signature does not verify: %w", ErrInvalidParams, err)
	}
	return sig, nil
}

// verifyRemote checks the peer's closing signature: valid for tx and in
// low-S form (BOLT 2: a signature non-compliant with LOW-S is refused like
// an invalid one; such a witness would not relay).
func verifyRemote(p *Params, tx *btcwire.MsgTx, sig wire.Signature) error {
	if !isLowS(sig) {
		return fmt.Errorf("%w: signature is not low-S", ErrInvalidClosingSig)
	}
	return VerifyFundingSpend(p, tx, sig)
}

func verifyLocalFundingSig(p *Params, tx *btcwire.MsgTx, sig wire.Signature) error {
	q := *p
	q.Local, q.Remote = p.Remote, p.Local
	return VerifyFundingSpend(&q, tx, sig)
}

// lowS returns sig with s replaced by n - s when s is in the upper half.
func lowS(sig wire.Signature) wire.Signature {
	var s btcec.ModNScalar
	if s.SetByteSlice(sig[32:]) || !s.IsOverHalfOrder() {
		return sig
	}
	s.Negate()
	s.PutBytesUnchecked(sig[32:])
	return sig
}

func isLowS(sig wire.Signature) bool {
	var s btcec.ModNScalar
	if s.SetByteSlice(sig[32:]) || s.IsZero() {
		return false
	}
	return !s.IsOverHalfOrder()
}

// record adds (or, for a transaction already recorded, completes) the
// record of a transaction this node signed and adds its write to st.
func (c *CoopClose) record(st *closeStep, r *closeRecord) *closeRecord {
	txid := r.tx.TxHash()
	for _, old := range c.records {
		if old.txid == txid {
			if old.remoteSig == nil && r.remoteSig != nil {
				old.remoteSig = r.remoteSig
				st.put(c.recordKey(old.seq), old.encode())
			}
			return old
		}
	}
	r.txid, r.seq = txid, c.nextSeq
	c.nextSeq++
	c.records = append(c.records, r)
	st.put(c.recordKey(r.seq), r.encode())
	return r
}

// completed adds the broadcast and the report of a mutually signed
// record to st.
func (c *CoopClose) completed(st *closeStep, r *closeRecord) {
	info := r.info(c.p)
	st.broadcasts = append(st.broadcasts, &BroadcastClose{ChannelID: c.id, Tx: info.Tx})
	st.events = append(st.events, &CoopCloseSigned{ChannelID: c.id, TxID: r.txid, Fee: r.txFee(c.p), Closer: r.closer})
}

func satoshis(m wire.MilliSatoshi) btcutil.Amount { return m.ToSatoshis() }

func clampFee(f, lo, hi btcutil.Amount) btcutil.Amount {
	if f < lo {
		return lo
	}
	if f > hi {
		return hi
	}
	return f
}
