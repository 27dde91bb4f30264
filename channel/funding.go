package channel

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// fundingStage is where a negotiation stands.
type fundingStage uint8

const (
	// Opener: open_channel sent, accept_channel awaited.
	fundAwaitAccept fundingStage = iota + 1
	// Opener: FundingTxNeeded returned, FundingTxBuilt awaited.
	fundAwaitFundingTx
	// Opener: funding_created sent, funding_signed awaited.
	fundAwaitFundingSigned
	// Fundee: accept_channel sent, funding_created awaited.
	fundAwaitFundingCreated
	// The channel is open: its Machine took over.
	fundOpen
	// The negotiation ended without a channel.
	fundFailed
)

var fundingStageNames = [...]string{
	fundAwaitAccept:         "awaiting accept_channel",
	fundAwaitFundingTx:      "awaiting the funding transaction from the host",
	fundAwaitFundingSigned:  "awaiting funding_signed",
	fundAwaitFundingCreated: "awaiting funding_created",
	fundOpen:                "open",
	fundFailed:              "failed",
}

// String describes the stage.
func (s fundingStage) String() string { return fundingStageNames[s] }

// Funding runs one v1 channel establishment (BOLT 2 "Channel
// Establishment v1": open_channel, accept_channel, funding_created,
// funding_signed) in either role, and hands the channel over to a Machine
// when both commitments 0 are signed.
//
// Like Machine it is a pure core: each input (a peer message, the host's
// funding transaction, the host giving up) returns the actions the host
// performs in order, and it does no I/O, reads no clock and starts no
// goroutine. The opener's flow:
//
//	NewOutboundFunding         -> Send(open_channel)
//	ReceiveMessage(accept)     -> FundingTxNeeded
//	FundingTxBuilt(tx)         -> Send(funding_created)
//	ReceiveMessage(signed)     -> Persist, MonitorUpdate..., BroadcastFunding, [Send(channel_ready)], ChannelOpened
//
// and the fundee's:
//
//	NewInboundFunding(open)    -> Send(accept_channel)
//	ReceiveMessage(created)    -> Persist, MonitorUpdate..., Send(funding_signed), [Send(channel_ready)], ChannelOpened
//
// The step that completes the negotiation creates the channel's Machine
// (NewMachine, which checks commitment 0 again) and returns its actions
// with the funding_signed or the broadcast placed after every write:
// BOLT 2's order, the fundee's channel durable before funding_signed
// leaves and the opener's before its funding transaction is broadcast,
// follows from performing the actions in order (see Action). The first
// *Persist also holds the channel's FundingTerms (LoadFundingTerms). A
// zero-conf channel's channel_ready comes from the Machine, after them.
//
// A peer message that breaks a rule ends the negotiation: the error wraps
// ErrFundingRefused (a *RefusalError naming the rule) and the actions send
// the peer an error for the temporary_channel_id (once funding_created is
// sent, for the channel_id) and, once FundingTxNeeded was returned, start
// with *ReleaseFundingInputs. The host gives up on a negotiation (the peer
// is silent, or disconnected: v1 establishment does not survive a
// reconnection, and an open_channel received after one starts a new
// Funding) with Abandon. Nothing needs to be persisted before the
// channel opens: an opener that crashed after funding_created never
// broadcast its funding transaction, so nothing is at stake.
//
// A Funding is not safe for concurrent use.
type Funding struct {
	cfg     FundingConfig
	pol     FundingPolicy
	opener  Side
	stage   fundingStage
	failErr error

	tempID wire.ChannelID
	chanID wire.ChannelID // once the funding outpoint is known
	open   *wire.OpenChannel
	accept *wire.AcceptChannel

	typ             script.ChannelType
	alias, zeroConf bool
	typeBits        wire.FeatureVector

	params            Params // FundingOutpoint set once known
	local, remote     Constraints
	localPoint        *btcec.PublicKey
	remotePoint       *btcec.PublicKey
	localBal          wire.MilliSatoshi
	remoteBal         wire.MilliSatoshi
	feeRate           wire.SatPerKWeight
	fundingOut        *btcwire.TxOut
	fundingScript     []byte
	fundingFeeRate    wire.SatPerKWeight
	minDepth          uint32
	remoteShutdown    []byte
	askedTx           bool // FundingTxNeeded was returned
	haveOutpoint      bool // params.FundingOutpoint and chanID are set
	fundingCreatedOut bool // funding_created was sent

	result  *FundingResult
	machine *Machine
}

// FundingResult is what a successful negotiation agreed: everything
// NewMachine takes, and the FundingTerms a host acts on (which the step
// that opened the channel also persisted).
type FundingResult struct {
	// Config is the first argument of NewMachine for the channel.
	Config MachineConfig
	// Init is the second: the channel at commitment 0.
	Init InitialState
	// ChannelID is the channel's id.
	ChannelID wire.ChannelID
	// FundingOutput is the output at Config.Params.FundingOutpoint the
	// channel needs: funding_satoshis to the 2-of-2 P2WSH. The host
	// watches for it, and tells the Machine FundingConfirmed only for a
	// confirmed output that pays exactly this (BOLT 2 channel_ready:
	// the fundee cannot check it at funding_created).
	FundingOutput *btcwire.TxOut
	FundingTerms
}

// NewOutboundFunding starts a channel establishment as the opener: it
// checks the request against BOLT 2's sender requirements and the
// connection's features, and returns the open_channel to send. Errors are
// the host's (ErrInvalidParams): nothing is sent.
//
// The channel_type is always sent: the asked type (by default anchors when
// both nodes advertise option_anchors, static_remotekey otherwise) with
// option_scid_alias and option_zeroconf when asked. The
// upfront_shutdown_script is always sent too, empty when the host has
// none.
func NewOutboundFunding(cfg FundingConfig, req OpenRequest) (*Funding, []Action, error) {
	pol, err := cfg.validate()
	if err != nil {
		return nil, nil, err
	}
	f := &Funding{cfg: cfg, pol: pol, opener: Local, fundingFeeRate: req.FundingFeeRate}
	open, err := f.planOpen(&req)
	if err != nil {
		return nil, nil, err
	}
	f.open = open
	f.stage = fundAwaitAccept
	return f, []Action{&Send{Msg: open}}, nil
}

// fundingLocalError turns a rule the host's own request breaks into an
// ErrInvalidParams error.
func fundingLocalError(r *RefusalError) error {
	return fmt.Errorf("%w: %v would break %s: %s", ErrInvalidParams, r.Msg, r.Rule, r.Detail)
}

// planOpen checks req and builds open_channel.
func (f *Funding) planOpen(req *OpenRequest) (*wire.OpenChannel, error) {
	cfg, pol := &f.cfg, &f.pol
	const mt = wire.MsgOpenChannel
	amt := req.FundingAmount
	switch {
	case amt <= 0 || amt > btcutil.MaxSatoshi:
		return nil, fmt.Errorf("%w: funding amount %d", ErrInvalidParams, amt)
	case amt >= largeChannelFunding && !(pol.LargeChannels && cfg.negotiated(wire.FeatureLargeChannel)):
		return nil, fmt.Errorf("%w: funding amount %d sat is at least 2^24: BOLT 2 needs option_support_large_channel from both nodes (and FundingPolicy.LargeChannels)",
			ErrInvalidParams, amt)
	case req.FeeRate < minRelayFeeRate:
		return nil, fmt.Errorf("%w: feerate_per_kw %v below %v", ErrInvalidParams, req.FeeRate, minRelayFeeRate)
	case cfg.negotiated(wire.FeatureDualFund):
		return nil, fmt.Errorf("%w: option_dual_fund is negotiated: BOLT 2 requires open_channel2, not open_channel", ErrInvalidParams)
	}

	f.typ = req.Type
	switch f.typ {
	case 0:
		f.typ = script.StaticRemoteKey
		if cfg.negotiated(wire.FeatureAnchorsZeroFeeHTLCTx) {
			f.typ = script.Anchors
		}
	case script.Anchors:
		if !cfg.negotiated(wire.FeatureAnchorsZeroFeeHTLCTx) {
			return nil, fmt.Errorf("%w: option_anchors is not negotiated with the peer", ErrInvalidParams)
		}
	case script.StaticRemoteKey:
	default:
		return nil, fmt.Errorf("%w: channel type %v", ErrInvalidParams, req.Type)
	}
	f.alias, f.zeroConf = req.SCIDAlias, req.ZeroConf
	switch {
	case f.alias && !cfg.negotiated(wire.FeatureSCIDAlias):
		return nil, fmt.Errorf("%w: option_scid_alias is not negotiated with the peer", ErrInvalidParams)
	case f.zeroConf && !cfg.negotiated(wire.FeatureZeroConf):
		return nil, fmt.Errorf("%w: option_zeroconf is not negotiated with the peer", ErrInvalidParams)
	case f.alias && req.Announce:
		return nil, fmt.Errorf("%w: BOLT 2: a channel with announce_channel MUST NOT have option_scid_alias in its channel_type", ErrInvalidParams)
	case (f.alias || f.zeroConf) && cfg.Alias == nil:
		return nil, fmt.Errorf("%w: an option_scid_alias or option_zeroconf channel needs FundingConfig.Alias", ErrInvalidParams)
	}
	f.typeBits = channelTypeVector(f.typ, f.alias, f.zeroConf)

	reserve := pol.reserveFor(amt, pol.DustLimit)
	if r := checkInitialBalances(mt, amt, req.PushAmount, f.typ, req.FeeRate, reserve); r != nil {
		return nil, fundingLocalError(r)
	}
	pt, err := f.firstPoint()
	if err != nil {
		return nil, err
	}
	f.tempID = req.TemporaryChannelID
	if f.tempID == (wire.ChannelID{}) {
		if f.tempID, err = newTemporaryChannelID(cfg.rand()); err != nil {
			return nil, err
		}
	}
	f.feeRate = req.FeeRate
	flags := wire.ChannelFlags(0)
	if req.Announce {
		flags = wire.ChannelFlagAnnounceChannel
	}
	shutdown := slices.Clone(cfg.UpfrontShutdownScript)
	if shutdown == nil {
		shutdown = []byte{}
	}
	ct := slices.Clone(f.typeBits)
	return &wire.OpenChannel{
		ChainHash:             cfg.ChainHash,
		TemporaryChannelID:    f.tempID,
		FundingAmount:         amt,
		PushAmount:            req.PushAmount,
		DustLimit:             pol.DustLimit,
		MaxHTLCValueInFlight:  pol.maxInFlightFor(amt),
		ChannelReserve:        reserve,
		HTLCMinimum:           pol.HTLCMinimum,
		FeeRate:               req.FeeRate,
		ToSelfDelay:           pol.ToSelfDelay,
		MaxAcceptedHTLCs:      pol.MaxAcceptedHTLCs,
		Keys:                  fundingKeys(&cfg.Basepoints, pt),
		ChannelFlags:          flags,
		UpfrontShutdownScript: &shutdown,
		ChannelType:           &ct,
	}, nil
}

// newTemporaryChannelID draws a non-zero temporary_channel_id.
func newTemporaryChannelID(r io.Reader) (wire.ChannelID, error) {
	var id wire.ChannelID
	for id == (wire.ChannelID{}) {
		if _, err := io.ReadFull(r, id[:]); err != nil {
			return id, fmt.Errorf("channel: temporary_channel_id: %w", err)
		}
	}
	return id, nil
}

// firstPoint is this node's first_per_commitment_point.
func (f *Funding) firstPoint() (*btcec.PublicKey, error) {
	if f.localPoint != nil {
		return f.localPoint, nil
	}
	pt, err := f.cfg.Secrets.Point(0)
	if err != nil {
		return nil, fmt.Errorf("channel: first_per_commitment_point: %w", err)
	}
	if pt == nil {
		return nil, fmt.Errorf("%w: Secrets gave no point for commitment 0", ErrInvalidParams)
	}
	f.localPoint = pt
	return pt, nil
}

func fundingKeys(b *Basepoints, first *btcec.PublicKey) wire.ChannelKeys {
	return wire.ChannelKeys{
		FundingKey:              wire.NewPoint(b.Funding),
		RevocationBasepoint:     wire.NewPoint(b.Revocation),
		PaymentBasepoint:        wire.NewPoint(b.Payment),
		DelayedPaymentBasepoint: wire.NewPoint(b.DelayedPayment),
		HTLCBasepoint:           wire.NewPoint(b.HTLC),
		FirstPerCommitmentPoint: wire.NewPoint(first),
	}
}

// NewInboundFunding answers a peer's open_channel as the fundee. It checks
// every BOLT 2 requirement on the message and this node's policy, with
// feeEstimate (the host's FeeEstimator's current estimate; at least 253
// sat/kw is assumed) bounding feerate_per_kw (see FundingPolicy's
// MinFeeRatePercent), and returns the accept_channel to send.
//
// A refusal returns a nil Funding, an error wrapping ErrFundingRefused (a
// *RefusalError), and the actions that tell the peer: the host performs
// them although the error is non-nil. Errors of the host's own
// configuration are ErrInvalidParams, with no action.
//
// The channel_type of open_channel is echoed; without one the channel is
// option_anchors when both nodes advertise it and option_static_remotekey
// otherwise (BOLT 2 funding_signed), and accept_channel has none either.
// A zero-conf channel_type is accepted only with
// FundingPolicy.AcceptZeroConf, and answered with minimum_depth 0.
func NewInboundFunding(cfg FundingConfig, open *wire.OpenChannel, feeEstimate wire.SatPerKWeight) (*Funding, []Action, error) {
	pol, err := cfg.validate()
	if err != nil {
		return nil, nil, err
	}
	if open == nil {
		return nil, nil, fmt.Errorf("%w: nil open_channel", ErrInvalidParams)
	}
	pt, err := (&Funding{cfg: cfg}).firstPoint()
	if err != nil {
		return nil, nil, err
	}
	o := *open
	o.UpfrontShutdownScript = cloneBytesPtr(open.UpfrontShutdownScript)
	if open.ChannelType != nil {
		ct := slices.Clone(*open.ChannelType)
		o.ChannelType = &ct
	}
	o.Extra = nil
	f := &Funding{cfg: cfg, pol: pol, opener: Remote, tempID: o.TemporaryChannelID, open: &o, localPoint: pt}
	accept, r := f.planAccept(feeEstimate)
	if r != nil {
		acts, err := f.refuse(r)
		return nil, acts, err
	}
	f.accept = accept
	f.stage = fundAwaitFundingCreated
	return f, []Action{&Send{Msg: accept}}, nil
}

func cloneBytesPtr(p *[]byte) *[]byte {
	if p == nil {
		return nil
	}
	b := slices.Clone(*p)
	return &b
}

// planAccept checks open_channel and builds accept_channel.
func (f *Funding) planAccept(feeEstimate wire.SatPerKWeight) (*wire.AcceptChannel, *RefusalError) {
	cfg, pol, o := &f.cfg, &f.pol, f.open
	const mt = wire.MsgOpenChannel
	if o.TemporaryChannelID == (wire.ChannelID{}) {
		return nil, refusal(mt, RuleTemporaryChannelID, "all zeros, which names every channel in an error (BOLT 2: MUST be unique among the peer's channels)")
	}
	if o.ChainHash != cfg.ChainHash {
		return nil, refusal(mt, RuleChainHash, "%v is not this node's chain %v (BOLT 2: MUST fail the channel)", o.ChainHash, cfg.ChainHash)
	}
	if cfg.negotiated(wire.FeatureDualFund) {
		return nil, refusal(mt, RuleDualFund, "option_dual_fund is negotiated (BOLT 2: MUST fail the channel; open_channel2 is the message)")
	}
	if r := checkFundingAmount(mt, o.FundingAmount, pol); r != nil {
		return nil, r
	}
	amt := o.FundingAmount
	total := wire.MilliSatoshi(amt) * wire.MilliSatoshiPerSatoshi
	if o.PushAmount > total {
		return nil, refusal(mt, RulePushAmount, "%v above 1000 * funding_satoshis = %v (BOLT 2: MUST fail the channel)", o.PushAmount, total)
	}
	side := openSide(o)
	if r := checkSide(mt, &side, amt, pol, cfg.shutdownRules()); r != nil {
		return nil, r
	}

	// channel_type.
	announce := o.ChannelFlags.AnnounceChannel()
	if o.ChannelType != nil {
		t, alias, zc, why := parseChannelType(*o.ChannelType)
		switch {
		case why != "":
			return nil, refusal(mt, RuleChannelType, "%v: %s (BOLT 2: MUST fail the channel if the type is not suitable)", *o.ChannelType, why)
		case alias && announce:
			return nil, refusal(mt, RuleChannelType, "option_scid_alias with announce_channel (BOLT 2: the sender MUST NOT)")
		case zc && !pol.AcceptZeroConf:
			return nil, refusal(mt, RuleZeroConf, "this node does not trust the peer with an unconfirmed channel (BOLT 2: MUST fail the channel)")
		case (alias || zc) && cfg.Alias == nil:
			return nil, refusal(mt, RuleChannelType, "%v needs an alias and this node has none for the channel", *o.ChannelType)
		}
		f.typ, f.alias, f.zeroConf = t, alias, zc
		f.typeBits = channelTypeVector(t, alias, zc)
	} else {
		f.typ = script.StaticRemoteKey
		if cfg.negotiated(wire.FeatureAnchorsZeroFeeHTLCTx) {
			f.typ = script.Anchors
		}
		f.typeBits = channelTypeVector(f.typ, false, false)
	}

	if r := checkOpenFeeRate(mt, o.FeeRate, feeEstimate, f.typ, pol); r != nil {
		return nil, r
	}
	reserve := pol.reserveFor(amt, pol.DustLimit, o.DustLimit)
	if r := checkInitialBalances(mt, amt, o.PushAmount, f.typ, o.FeeRate, o.ChannelReserve, reserve); r != nil {
		return nil, r
	}
	if pol.DustLimit > o.ChannelReserve {
		return nil, refusal(mt, RuleChannelReserve, "%d sat is below this node's dust_limit_satoshis %d (BOLT 2: accept_channel MUST set dust_limit_satoshis at most the open's channel_reserve_satoshis)",
			o.ChannelReserve, pol.DustLimit)
	}
	keys, rerr := parseChannelKeys(mt, &o.Keys)
	if rerr != nil {
		return nil, rerr
	}

	depth := pol.MinimumDepth
	if f.zeroConf {
		depth = 0
	}
	f.minDepth = depth
	f.feeRate = o.FeeRate
	f.params = Params{
		FundingAmount: amt,
		Type:          f.typ,
		Opener:        Remote,
		Local:         PartyParams{Basepoints: cfg.Basepoints, ToSelfDelay: o.ToSelfDelay, DustLimit: pol.DustLimit},
		Remote:        PartyParams{Basepoints: keys.bp, ToSelfDelay: pol.ToSelfDelay, DustLimit: o.DustLimit},
	}
	f.remotePoint = keys.first
	f.localBal, f.remoteBal = o.PushAmount, total-o.PushAmount
	f.local = Constraints{MaxHTLCValueInFlight: pol.maxInFlightFor(amt), ChannelReserve: reserve,
		HTLCMinimum: pol.HTLCMinimum, MaxAcceptedHTLCs: pol.MaxAcceptedHTLCs}
	f.remote = Constraints{MaxHTLCValueInFlight: o.MaxHTLCValueInFlight, ChannelReserve: o.ChannelReserve,
		HTLCMinimum: o.HTLCMinimum, MaxAcceptedHTLCs: o.MaxAcceptedHTLCs}
	f.remoteShutdown = cfg.shutdownRules().remoteScript(o.UpfrontShutdownScript)

	shutdown := slices.Clone(cfg.UpfrontShutdownScript)
	if shutdown == nil {
		shutdown = []byte{}
	}
	a := &wire.AcceptChannel{
		TemporaryChannelID:    f.tempID,
		DustLimit:             pol.DustLimit,
		MaxHTLCValueInFlight:  f.local.MaxHTLCValueInFlight,
		ChannelReserve:        reserve,
		HTLCMinimum:           pol.HTLCMinimum,
		MinimumDepth:          depth,
		ToSelfDelay:           pol.ToSelfDelay,
		MaxAcceptedHTLCs:      pol.MaxAcceptedHTLCs,
		Keys:                  fundingKeys(&cfg.Basepoints, f.localPoint),
		UpfrontShutdownScript: &shutdown,
	}
	if o.ChannelType != nil {
		ct := slices.Clone(*o.ChannelType)
		a.ChannelType = &ct
	}
	return a, nil
}

// ReceiveMessage hands the Funding a message from the peer for this
// negotiation: accept_channel (opener), funding_created (fundee),
// funding_signed (opener), error or warning. A message out of order, or
// one that breaks a rule, ends the negotiation (see Funding); an error
// from the peer ends it too, with an error wrapping ErrFundingAborted and,
// for an opener that asked for its funding transaction,
// *ReleaseFundingInputs. A warning is ignored. Once the channel is open,
// or the negotiation over, it returns ErrFundingState and does nothing.
//
// The signature of funding_created or funding_signed is checked against
// this node's commitment 0 (and for LOW-S). A fundee whose FundingConfig
// has no ChannelIDInUse must itself refuse a funding_created whose
// channel_id is in use, before calling this. A failure of this node's
// Signer returns its error and changes nothing: the host may hand the
// message again, or Abandon.
func (f *Funding) ReceiveMessage(ctx context.Context, msg wire.Message) ([]Action, error) {
	if msg == nil {
		return nil, fmt.Errorf("%w: nil message", ErrInvalidParams)
	}
	switch f.stage {
	case fundOpen:
		return nil, fmt.Errorf("%w: the channel is open: %v goes to its Machine", ErrFundingState, msg.MsgType())
	case fundFailed:
		return nil, fmt.Errorf("%w: the negotiation is over (%v)", ErrFundingState, f.failErr)
	}
	switch m := msg.(type) {
	case *wire.Error:
		var acts []Action
		if f.askedTx {
			acts = append(acts, &ReleaseFundingInputs{TemporaryChannelID: f.tempID})
		}
		f.stage = fundFailed
		f.failErr = fmt.Errorf("%w: the peer sent error: %s", ErrFundingAborted, m.DataString())
		return acts, f.failErr
	case *wire.Warning:
		return nil, nil
	case *wire.AcceptChannel:
		if f.stage == fundAwaitAccept {
			return f.receiveAccept(m)
		}
	case *wire.FundingCreated:
		if f.stage == fundAwaitFundingCreated {
			return f.receiveFundingCreated(ctx, m)
		}
	case *wire.FundingSigned:
		if f.stage == fundAwaitFundingSigned {
			return f.receiveFundingSigned(ctx, m)
		}
	}
	return f.refuse(refusal(msg.MsgType(), RuleUnexpectedMessage, "received while %v (BOLT 2 channel establishment order)", f.stage))
}

// receiveAccept checks accept_channel and asks for the funding
// transaction.
func (f *Funding) receiveAccept(a *wire.AcceptChannel) ([]Action, error) {
	cfg, pol, o := &f.cfg, &f.pol, f.open
	const mt = wire.MsgAcceptChannel
	if a.TemporaryChannelID != f.tempID {
		return f.refuse(refusal(mt, RuleTemporaryChannelID, "%v is not open_channel's %v (BOLT 2: MUST be the same)", a.TemporaryChannelID, f.tempID))
	}
	side := acceptSide(a)
	if r := checkSide(mt, &side, o.FundingAmount, pol, cfg.shutdownRules()); r != nil {
		return f.refuse(r)
	}
	if a.ChannelReserve < o.DustLimit {
		return f.refuse(refusal(mt, RuleChannelReserve, "%d sat is below open_channel's dust_limit_satoshis %d (BOLT 2: MUST fail the channel)",
			a.ChannelReserve, o.DustLimit))
	}
	if o.ChannelReserve < a.DustLimit {
		return f.refuse(refusal(mt, RuleChannelReserve, "open_channel's %d sat is below dust_limit_satoshis %d (BOLT 2: MUST fail the channel)",
			o.ChannelReserve, a.DustLimit))
	}
	switch {
	case a.ChannelType == nil:
		return f.refuse(refusal(mt, RuleChannelType, "absent; open_channel proposed %v (BOLT 2: the sender MUST set it to open_channel's)", f.typeBits))
	case !a.ChannelType.Equal(f.typeBits):
		return f.refuse(refusal(mt, RuleChannelType, "%v is not the proposed %v (BOLT 2: MUST fail the channel)", *a.ChannelType, f.typeBits))
	}
	if f.zeroConf && a.MinimumDepth != 0 {
		return f.refuse(refusal(mt, RuleMinimumDepth, "%d for an option_zeroconf channel (BOLT 2: the sender MUST set it to zero)", a.MinimumDepth))
	}
	if a.MinimumDepth > pol.MaxMinimumDepth {
		return f.refuse(refusal(mt, RuleMinimumDepth, "%d blocks above this node's limit of %d (BOLT 2: MAY fail the channel if unreasonably large)",
			a.MinimumDepth, pol.MaxMinimumDepth))
	}
	if r := checkInitialBalances(mt, o.FundingAmount, o.PushAmount, f.typ, o.FeeRate, a.ChannelReserve); r != nil {
		return f.refuse(r)
	}
	keys, rerr := parseChannelKeys(mt, &a.Keys)
	if rerr != nil {
		return f.refuse(rerr)
	}
	ws, out, err := script.FundingOutput(cfg.Basepoints.Funding, keys.bp.Funding, o.FundingAmount)
	if err != nil {
		return f.refuse(&RefusalError{Msg: mt, Rule: RuleInvalidPoint, Detail: "funding script", Cause: err})
	}

	acc := *a
	acc.UpfrontShutdownScript = cloneBytesPtr(a.UpfrontShutdownScript)
	acc.ChannelType = nil
	acc.Extra = nil
	f.accept = &acc
	f.params = Params{
		FundingAmount: o.FundingAmount,
		Type:          f.typ,
		Opener:        Local,
		Local:         PartyParams{Basepoints: cfg.Basepoints, ToSelfDelay: a.ToSelfDelay, DustLimit: o.DustLimit},
		Remote:        PartyParams{Basepoints: keys.bp, ToSelfDelay: o.ToSelfDelay, DustLimit: a.DustLimit},
	}
	total := wire.MilliSatoshi(o.FundingAmount) * wire.MilliSatoshiPerSatoshi
	f.localBal, f.remoteBal = total-o.PushAmount, o.PushAmount
	f.feeRate = o.FeeRate
	f.local = Constraints{MaxHTLCValueInFlight: o.MaxHTLCValueInFlight, ChannelReserve: o.ChannelReserve,
		HTLCMinimum: o.HTLCMinimum, MaxAcceptedHTLCs: o.MaxAcceptedHTLCs}
	f.remote = Constraints{MaxHTLCValueInFlight: a.MaxHTLCValueInFlight, ChannelReserve: a.ChannelReserve,
		HTLCMinimum: a.HTLCMinimum, MaxAcceptedHTLCs: a.MaxAcceptedHTLCs}
	f.remotePoint = keys.first
	f.minDepth = a.MinimumDepth
	f.remoteShutdown = cfg.shutdownRules().remoteScript(a.UpfrontShutdownScript)
	f.fundingScript, f.fundingOut = ws, out
	f.stage = fundAwaitFundingTx
	f.askedTx = true
	return []Action{&FundingTxNeeded{
		TemporaryChannelID: f.tempID,
		Output:             btcwire.NewTxOut(out.Value, slices.Clone(out.PkScript)),
		WitnessScript:      slices.Clone(ws),
		FeeRate:            f.fundingFeeRate,
	}}, nil
}

// FundingTxBuilt gives an opener its funding transaction, as the host's
// wallet built it after FundingTxNeeded: unsigned (or signed: the txid is
// the same, since every input is segwit), not broadcast. It must hold
// exactly one output paying FundingTxNeeded.Output's script, with exactly
// its value; the funding outpoint is that output. The Funding signs the
// peer's commitment 0 and returns funding_created to send.
//
// An unusable transaction, or a signer that fails or does not hold
// Basepoints.Funding's secret, returns an error and changes nothing: the
// host may call again, or Abandon.
func (f *Funding) FundingTxBuilt(ctx context.Context, tx *btcwire.MsgTx) ([]Action, error) {
	if f.stage != fundAwaitFundingTx {
		return nil, fmt.Errorf("%w: funding transaction given while %v", ErrFundingState, f.stage)
	}
	if tx == nil {
		return nil, fmt.Errorf("%w: nil funding transaction", ErrInvalidParams)
	}
	idx := -1
	for i, out := range tx.TxOut {
		if out != nil && bytes.Equal(out.PkScript, f.fundingOut.PkScript) {
			if idx >= 0 {
				return nil, fmt.Errorf("%w: funding transaction pays the funding script twice (outputs %d and %d)", ErrInvalidParams, idx, i)
			}
			idx = i
		}
	}
	switch {
	case idx < 0:
		return nil, fmt.Errorf("%w: funding transaction has no output to the funding script", ErrInvalidParams)
	case tx.TxOut[idx].Value != f.fundingOut.Value:
		return nil, fmt.Errorf("%w: funding output %d pays %d sat, funding_satoshis is %d",
			ErrInvalidParams, idx, tx.TxOut[idx].Value, f.fundingOut.Value)
	case idx > 0xFFFF:
		return nil, fmt.Errorf("%w: funding output index %d does not fit funding_output_index (u16)", ErrInvalidParams, idx)
	case len(tx.TxIn) == 0:
		return nil, fmt.Errorf("%w: funding transaction has no input", ErrInvalidParams)
	}
	op := btcwire.OutPoint{Hash: tx.TxHash(), Index: uint32(idx)}
	id := wire.NewChannelID(op)
	if f.cfg.ChannelIDInUse != nil && f.cfg.ChannelIDInUse(id) {
		return nil, fmt.Errorf("%w: channel_id %v of the funding outpoint is in use", ErrInvalidParams, id)
	}
	p := f.params
	p.FundingOutpoint = op
	sig, err := f.signRemote(ctx, &p)
	if err != nil {
		return nil, err
	}
	f.params, f.chanID, f.haveOutpoint = p, id, true
	f.stage = fundAwaitFundingSigned
	f.fundingCreatedOut = true
	return []Action{&Send{Msg: &wire.FundingCreated{
		TemporaryChannelID: f.tempID,
		FundingTxID:        op.Hash,
		FundingOutputIndex: uint16(idx),
		Signature:          sig,
	}}}, nil
}

// state0 is the content of commitment 0, from this node's view.
func (f *Funding) state0() *State {
	return &State{Number: 0, FeeRate: f.feeRate, LocalBalance: f.localBal, RemoteBalance: f.remoteBal}
}

// signRemote signs the peer's commitment 0 and checks that the signature
// is by this node's funding key.
func (f *Funding) signRemote(ctx context.Context, p *Params) (wire.Signature, error) {
	c, err := NewCommitment(p, Remote, f.state0(), f.remotePoint)
	if err != nil {
		return wire.Signature{}, err
	}
	sigs, err := SignCommitment(ctx, f.cfg.Signer, p, c)
	if err != nil {
		return wire.Signature{}, err
	}
	digest, err := fundingSignRequest(p, c.Tx, c.FundingScript).Digest()
	if err != nil {
		return wire.Signature{}, err
	}
	if !verifySig(sigs.CommitSig, digest, p.Local.Funding) {
		return wire.Signature{}, fmt.Errorf("%w: the Signer's funding signature does not verify against Basepoints.Funding", ErrInvalidParams)
	}
	return sigs.CommitSig, nil
}

// verifyLocal checks the peer's signature of this node's commitment 0.
func (f *Funding) verifyLocal(ctx context.Context, mt wire.MessageType, p *Params, sig wire.Signature) *RefusalError {
	if !sigIsLowS(sig) {
		return &RefusalError{Msg: mt, Rule: RuleSignature, Cause: ErrInvalidCommitSig,
			Detail: "s is not in the lower half of the group order (BOLT 2: LOW-S, MUST send a warning or an error)"}
	}
	c, err := NewCommitment(p, Local, f.state0(), f.localPoint)
	if err == nil {
		err = VerifyCommitSigs(ctx, p, c, &CommitSigs{CommitSig: sig})
	}
	if err != nil {
		return &RefusalError{Msg: mt, Rule: RuleSignature, Cause: err,
			Detail: fmt.Sprintf("does not sign this node's commitment 0 (%v; BOLT 2: MUST send a warning or an error)", err)}
	}
	return nil
}

// receiveFundingCreated checks the opener's signature, signs its
// commitment 0 and opens the channel.
func (f *Funding) receiveFundingCreated(ctx context.Context, m *wire.FundingCreated) ([]Action, error) {
	const mt = wire.MsgFundingCreated
	if m.TemporaryChannelID != f.tempID {
		return f.refuse(refusal(mt, RuleTemporaryChannelID, "%v is not open_channel's %v (BOLT 2: MUST be the same)", m.TemporaryChannelID, f.tempID))
	}
	op := btcwire.OutPoint{Hash: m.FundingTxID, Index: uint32(m.FundingOutputIndex)}
	id := wire.NewChannelID(op)
	if f.cfg.ChannelIDInUse != nil && f.cfg.ChannelIDInUse(id) {
		return f.refuse(refusal(mt, RuleChannelIDInUse, "funding outpoint %v gives channel_id %v, which is in use", op, id))
	}
	p := f.params
	p.FundingOutpoint = op
	if r := f.verifyLocal(ctx, mt, &p, m.Signature); r != nil {
		return f.refuse(r)
	}
	sig, err := f.signRemote(ctx, &p)
	if err != nil {
		return nil, err
	}
	f.params, f.chanID, f.haveOutpoint = p, id, true
	return f.complete(m.Signature, &Send{Msg: &wire.FundingSigned{ChannelID: id, Signature: sig}})
}

// receiveFundingSigned checks the fundee's signature and opens the
// channel.
func (f *Funding) receiveFundingSigned(ctx context.Context, m *wire.FundingSigned) ([]Action, error) {
	const mt = wire.MsgFundingSigned
	if m.ChannelID != f.chanID {
		return f.refuse(refusal(mt, RuleChannelID, "%v is not %v, the channel_id of the funding outpoint (BOLT 2)", m.ChannelID, f.chanID))
	}
	if r := f.verifyLocal(ctx, mt, &f.params, m.Signature); r != nil {
		return f.refuse(r)
	}
	return f.complete(m.Signature, &BroadcastFunding{ChannelID: f.chanID, FundingOutpoint: f.params.FundingOutpoint})
}

// complete creates the Machine and returns its actions with last (the
// funding_signed or the broadcast) after every write, and ChannelOpened.
func (f *Funding) complete(remoteSig wire.Signature, last Action) ([]Action, error) {
	res := f.buildResult(remoteSig)
	m, acts, err := NewMachine(res.Config, &res.Init)
	if err != nil {
		// Every input was checked; the Machine refusing them is a bug,
		// and the channel cannot be opened.
		ra, _ := f.refuse(&RefusalError{Msg: wire.MsgFundingCreated, Rule: RuleSignature, Detail: "internal error", Cause: err})
		return ra, fmt.Errorf("%w: NewMachine refused the negotiated channel: %w", ErrFundingAborted, err)
	}
	if acts, err = withTermsRecord(acts, f.chanID, &res.FundingTerms); err != nil {
		ra, _ := f.refuse(&RefusalError{Msg: wire.MsgFundingCreated, Rule: RuleSignature, Detail: "internal error", Cause: err})
		return ra, fmt.Errorf("%w: funding terms: %w", ErrFundingAborted, err)
	}
	f.result, f.machine, f.stage = res, m, fundOpen
	acts = placeAfterWrites(acts, last)
	return append(acts, &ChannelOpened{TemporaryChannelID: f.tempID, ChannelID: f.chanID, Machine: m, Result: res}), nil
}

// placeAfterWrites inserts a after the last *Persist or *MonitorUpdate of
// acts, moving any *Send found before that point after a, so that a (and
// every message) follows every write.
func placeAfterWrites(acts []Action, a Action) []Action {
	last := -1
	for i, x := range acts {
		switch x.(type) {
		case *Persist, *MonitorUpdate:
			last = i
		}
	}
	out := make([]Action, 0, len(acts)+2)
	var sends []Action
	for _, x := range acts[:last+1] {
		if _, ok := x.(*Send); ok {
			sends = append(sends, x)
			continue
		}
		out = append(out, x)
	}
	out = append(out, a)
	out = append(out, sends...)
	return append(out, acts[last+1:]...)
}

// buildResult assembles the negotiated channel.
func (f *Funding) buildResult(remoteSig wire.Signature) *FundingResult {
	p := f.params
	depth := f.minDepth
	if f.opener == Local && !f.zeroConf && depth == 0 {
		// An opener needs no confirmation to trust its own funding
		// transaction, but without option_zeroconf it waits for one,
		// so that a funding transaction that never confirms does not
		// leave a channel in use.
		depth = 1
	}
	var alias *wire.ShortChannelID
	if f.cfg.Alias != nil {
		a := *f.cfg.Alias
		alias = &a
	}
	ws, _ := script.FundingScript(p.Local.Funding, p.Remote.Funding)
	var localShutdown []byte
	if len(f.cfg.UpfrontShutdownScript) > 0 {
		localShutdown = slices.Clone(f.cfg.UpfrontShutdownScript)
	}
	return &FundingResult{
		Config: MachineConfig{
			Params:            &p,
			LocalConstraints:  f.local,
			RemoteConstraints: f.remote,
			Policy:            f.cfg.MachinePolicy,
			Signer:            f.cfg.Signer,
			Secrets:           f.cfg.Secrets,
		},
		Init: InitialState{
			LocalBalance:  f.localBal,
			RemoteBalance: f.remoteBal,
			FeeRate:       f.feeRate,
			RemoteSig:     remoteSig,
			RemotePoint:   f.remotePoint,
			LockIn:        LockIn{MinDepth: depth, Alias: alias, CreatedAt: f.cfg.BlockHeight},
			Connected:     true,
		},
		ChannelID:     f.chanID,
		FundingOutput: btcwire.NewTxOut(int64(p.FundingAmount), script.P2WSH(ws)),
		FundingTerms: FundingTerms{
			TemporaryChannelID:   f.tempID,
			ChannelType:          slices.Clone(f.typeBits),
			SCIDAlias:            f.alias,
			ZeroConf:             f.zeroConf,
			MinimumDepth:         f.minDepth,
			LocalShutdownScript:  localShutdown,
			RemoteShutdownScript: slices.Clone(f.remoteShutdown),
			Announce:             f.open.ChannelFlags.AnnounceChannel(),
		},
	}
}

// refuse ends the negotiation because of the peer.
func (f *Funding) refuse(r *RefusalError) ([]Action, error) {
	acts := f.endActions(r.Error())
	f.stage, f.failErr = fundFailed, r
	return acts, r
}

// endActions are the actions that end a negotiation: release the wallet's
// inputs if they may be locked, and tell the peer.
func (f *Funding) endActions(reason string) []Action {
	var acts []Action
	if f.askedTx {
		acts = append(acts, &ReleaseFundingInputs{TemporaryChannelID: f.tempID})
	}
	id := f.tempID
	if f.fundingCreatedOut {
		// The fundee may have stored the channel under its channel_id.
		id = f.chanID
	}
	var msg wire.Message = &wire.Error{ChannelID: id, Data: []byte(reason)}
	if id == (wire.ChannelID{}) {
		// An error for the all-zero id would fail every channel with
		// the peer: a warning concerns none.
		msg = &wire.Warning{Data: []byte(reason)}
	}
	return append(acts, &Send{Msg: msg})
}

// Abandon ends a negotiation the host gives up on: the peer is silent (a
// timeout the host decides), disconnected, or the wallet cannot pay for
// the funding transaction. It returns *ReleaseFundingInputs when the
// funding transaction was asked for, and an error message for the peer
// (which a host that is disconnected drops); nothing else remains. After
// the channel opened, or once the negotiation is over, it returns nothing.
func (f *Funding) Abandon(reason error) []Action {
	switch f.stage {
	case fundOpen, fundFailed:
		return nil
	}
	acts := f.endActions("channel establishment abandoned")
	f.stage = fundFailed
	f.failErr = fmt.Errorf("%w: abandoned by the host", ErrFundingAborted)
	if reason != nil {
		f.failErr = fmt.Errorf("%w: abandoned by the host: %w", ErrFundingAborted, reason)
	}
	return acts
}

// TemporaryChannelID returns the negotiation's temporary_channel_id.
func (f *Funding) TemporaryChannelID() wire.ChannelID { return f.tempID }

// ChannelID returns the channel_id, and false before the funding outpoint
// is known (funding_created).
func (f *Funding) ChannelID() (wire.ChannelID, bool) { return f.chanID, f.haveOutpoint }

// IsOpener reports whether this node sent open_channel.
func (f *Funding) IsOpener() bool { return f.opener == Local }

// Machine returns the channel's Machine once the negotiation succeeded,
// and nil before.
func (f *Funding) Machine() *Machine { return f.machine }

// Result returns what the negotiation agreed once it succeeded, and nil
// before. The caller must not modify it.
func (f *Funding) Result() *FundingResult { return f.result }

// Failed returns why the negotiation ended without a channel, or nil.
func (f *Funding) Failed() error { return f.failErr }
