package channel

import (
	"crypto/rand"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// FundingPolicy is this node's policy for channel establishment: the
// limits it applies to the peer's open_channel or accept_channel (BOLT 2
// leaves most of them to each node: "unreasonably large", "too small"), and
// the values it announces itself. The zero value of a field means its
// default (the Default... constants); a bool's zero value is false.
type FundingPolicy struct {
	// MinFunding is the smallest funding_satoshis accepted from an
	// opener. Default DefaultMinFunding.
	MinFunding btcutil.Amount
	// MaxFunding is the largest funding_satoshis accepted from an
	// opener. Default MaxStandardFunding (2^24 - 1 sat), or
	// btcutil.MaxSatoshi with LargeChannels.
	MaxFunding btcutil.Amount
	// LargeChannels accepts, and lets this node open, channels of 2^24
	// sat or more (option_support_large_channel, which the host then
	// advertises in init). As opener, a large channel is opened only
	// when the peer advertised the feature too.
	LargeChannels bool

	// MaxToSelfDelay is the largest to_self_delay this node accepts for
	// its own outputs (BOLT 2: "unreasonably large"). Default
	// DefaultMaxToSelfDelay.
	MaxToSelfDelay uint16
	// MinFeeRatePercent and MaxFeeRatePercent bound the opener's
	// feerate_per_kw against the host's estimate: the fundee accepts
	// estimate × Min/100 to estimate × Max/100, and never below 253
	// sat/kw. The lower bound is only 253 sat/kw for an option_anchors
	// channel, whose commitment is fee-bumped through its anchor (openers
	// commonly cap its rate well below the estimate). Defaults
	// DefaultMinFeeRatePercent (50) and DefaultMaxFeeRatePercent (1000,
	// ten times the estimate).
	MinFeeRatePercent, MaxFeeRatePercent uint32
	// MaxReservePercent bounds the channel_reserve_satoshis the peer may
	// ask this node to keep, in percent of the funding amount. Default
	// DefaultMaxReservePercent.
	MaxReservePercent uint32
	// MaxHTLCMinimum is the largest htlc_minimum_msat accepted from the
	// peer. Default DefaultMaxHTLCMinimum.
	MaxHTLCMinimum wire.MilliSatoshi
	// MinMaxInFlightPercent is the smallest max_htlc_value_in_flight_msat
	// accepted from the peer, in percent of the funding amount. Default
	// DefaultMinMaxInFlightPercent.
	MinMaxInFlightPercent uint32
	// MaxDustLimit is the largest dust_limit_satoshis accepted from the
	// peer: a large one lets it turn HTLCs into fees (BOLT 2 rationale).
	// Default DefaultMaxDustLimit.
	MaxDustLimit btcutil.Amount
	// MaxMinimumDepth is, as opener, the largest minimum_depth accepted
	// in accept_channel. Default DefaultMaxMinimumDepth.
	MaxMinimumDepth uint32
	// AcceptZeroConf lets a fundee accept a channel_type with
	// option_zeroconf, answering minimum_depth 0: set it only for a peer
	// trusted not to double-spend the funding transaction.
	AcceptZeroConf bool

	// DustLimit is this node's dust_limit_satoshis. Default
	// script.MinDustLimit (354).
	DustLimit btcutil.Amount
	// ToSelfDelay is the to_self_delay this node asks of the peer: how
	// long the peer waits for its own outputs after a unilateral close,
	// and so how long this node has to punish a revoked commitment.
	// Default DefaultToSelfDelay.
	ToSelfDelay uint16
	// HTLCMinimum is this node's htlc_minimum_msat. Default 1 msat.
	HTLCMinimum wire.MilliSatoshi
	// MaxHTLCValueInFlight is this node's max_htlc_value_in_flight_msat.
	// Default: the whole funding amount (no limit beyond the channel's).
	MaxHTLCValueInFlight wire.MilliSatoshi
	// MaxAcceptedHTLCs is this node's max_accepted_htlcs, at most 483.
	// Default 483.
	MaxAcceptedHTLCs uint16
	// ReservePercent sets this node's channel_reserve_satoshis, the
	// amount the peer must keep, in percent of the funding amount (BOLT 2
	// suggests 1%); it is raised to both dust limits when below them.
	// Default DefaultReservePercent.
	ReservePercent uint32
	// MinimumDepth is, as fundee, the minimum_depth this node asks for
	// (unless the channel is zero-conf). Default DefaultMinimumDepth.
	MinimumDepth uint32
}

// Defaults of FundingPolicy.
const (
	DefaultMinFunding            btcutil.Amount    = 20_000
	MaxStandardFunding           btcutil.Amount    = 1<<24 - 1
	DefaultMaxToSelfDelay        uint16            = 2016
	DefaultMinFeeRatePercent     uint32            = 50
	DefaultMaxFeeRatePercent     uint32            = 1000
	DefaultMaxReservePercent     uint32            = 20
	DefaultMaxHTLCMinimum        wire.MilliSatoshi = 1_000_000
	DefaultMinMaxInFlightPercent uint32            = 5
	DefaultMaxDustLimit          btcutil.Amount    = 10_000
	DefaultMaxMinimumDepth       uint32            = 144
	DefaultToSelfDelay           uint16            = 144
	DefaultReservePercent        uint32            = 1
	DefaultMinimumDepth          uint32            = 3
)

// withDefaults fills the zero fields and checks the rest.
func (p FundingPolicy) withDefaults() (FundingPolicy, error) {
	if p.MinFunding == 0 {
		p.MinFunding = DefaultMinFunding
	}
	if p.MaxFunding == 0 {
		p.MaxFunding = MaxStandardFunding
		if p.LargeChannels {
			p.MaxFunding = btcutil.MaxSatoshi
		}
	}
	if p.MaxToSelfDelay == 0 {
		p.MaxToSelfDelay = DefaultMaxToSelfDelay
	}
	if p.MinFeeRatePercent == 0 {
		p.MinFeeRatePercent = DefaultMinFeeRatePercent
	}
	if p.MaxFeeRatePercent == 0 {
		p.MaxFeeRatePercent = DefaultMaxFeeRatePercent
	}
	if p.MaxReservePercent == 0 {
		p.MaxReservePercent = DefaultMaxReservePercent
	}
	if p.MaxHTLCMinimum == 0 {
		p.MaxHTLCMinimum = DefaultMaxHTLCMinimum
	}
	if p.MinMaxInFlightPercent == 0 {
		p.MinMaxInFlightPercent = DefaultMinMaxInFlightPercent
	}
	if p.MaxDustLimit == 0 {
		p.MaxDustLimit = DefaultMaxDustLimit
	}
	if p.MaxMinimumDepth == 0 {
		p.MaxMinimumDepth = DefaultMaxMinimumDepth
	}
	if p.DustLimit == 0 {
		p.DustLimit = script.MinDustLimit
	}
	if p.ToSelfDelay == 0 {
		p.ToSelfDelay = DefaultToSelfDelay
	}
	if p.HTLCMinimum == 0 {
		p.HTLCMinimum = 1
	}
	if p.MaxAcceptedHTLCs == 0 {
		p.MaxAcceptedHTLCs = MaxHTLCs
	}
	if p.ReservePercent == 0 {
		p.ReservePercent = DefaultReservePercent
	}
	if p.MinimumDepth == 0 {
		p.MinimumDepth = DefaultMinimumDepth
	}
	switch {
	case p.MinFunding < 0 || p.MaxFunding < p.MinFunding || p.MaxFunding > btcutil.MaxSatoshi:
		return p, fmt.Errorf("%w: funding policy: MinFunding %d, MaxFunding %d", ErrInvalidParams, p.MinFunding, p.MaxFunding)
	case p.MinFeeRatePercent > 100 || p.MaxFeeRatePercent < 100:
		return p, fmt.Errorf("%w: funding policy: fee rate bounds %d%%..%d%% must include 100%%",
			ErrInvalidParams, p.MinFeeRatePercent, p.MaxFeeRatePercent)
	case p.MaxReservePercent > 100 || p.ReservePercent > 100 || p.MinMaxInFlightPercent > 100:
		return p, fmt.Errorf("%w: funding policy: a percentage above 100", ErrInvalidParams)
	case p.DustLimit < script.MinDustLimit || p.DustLimit > p.MaxDustLimit:
		return p, fmt.Errorf("%w: funding policy: dust limit %d (BOLT 2: at least %d, and at most MaxDustLimit %d)",
			ErrInvalidParams, p.DustLimit, script.MinDustLimit, p.MaxDustLimit)
	case p.MaxAcceptedHTLCs > MaxHTLCs:
		return p, fmt.Errorf("%w: funding policy: max_accepted_htlcs %d above %d", ErrInvalidParams, p.MaxAcceptedHTLCs, MaxHTLCs)
	case p.ToSelfDelay > p.MaxToSelfDelay:
		return p, fmt.Errorf("%w: funding policy: to_self_delay %d above MaxToSelfDelay %d", ErrInvalidParams, p.ToSelfDelay, p.MaxToSelfDelay)
	}
	return p, nil
}

// reserveFor is the channel_reserve_satoshis this node asks for a channel
// of funding: ReservePercent of it, raised to the dust limits given (a
// reserve below a dust limit could be trimmed away, BOLT 2).
func (p *FundingPolicy) reserveFor(funding btcutil.Amount, dustLimits ...btcutil.Amount) btcutil.Amount {
	// funding is at most btcutil.MaxSatoshi and the percentage at most
	// 100: the product fits in an int64.
	r := btcutil.Amount(int64(funding) * int64(p.ReservePercent) / 100)
	for _, d := range dustLimits {
		if r < d {
			r = d
		}
	}
	return r
}

// maxInFlightFor is this node's max_htlc_value_in_flight_msat.
func (p *FundingPolicy) maxInFlightFor(funding btcutil.Amount) wire.MilliSatoshi {
	if p.MaxHTLCValueInFlight != 0 {
		return p.MaxHTLCValueInFlight
	}
	return wire.MilliSatoshi(funding) * wire.MilliSatoshiPerSatoshi
}

// FundingConfig is what one channel establishment needs from the host,
// in either role. It belongs to one negotiation: the basepoints, secrets
// and alias are this channel's.
type FundingConfig struct {
	// ChainHash is the chain this node opens channels on; an
	// open_channel for another chain is refused.
	ChainHash wire.ChainHash
	// LocalFeatures and RemoteFeatures are the features of both init
	// messages on the current connection. A feature is negotiated when
	// both have it (either bit): option_anchors, option_scid_alias,
	// option_zeroconf, option_support_large_channel,
	// option_shutdown_anysegwit, option_simple_close and
	// option_dual_fund are looked up here.
	LocalFeatures, RemoteFeatures wire.FeatureVector

	// Basepoints are this node's keys for the channel, announced in
	// open_channel or accept_channel; Signer must hold their secrets.
	Basepoints Basepoints
	// Signer signs this node's commitment signatures.
	Signer Signer
	// Secrets give this node's per-commitment points, from which
	// first_per_commitment_point is taken.
	Secrets CommitmentSecrets

	// UpfrontShutdownScript is this node's upfront_shutdown_script: where
	// a cooperative close must pay it. Empty opts out (sent as a
	// zero-length script). It must be one of the forms BOLT 2 allows for
	// shutdown's scriptpubkey on this connection.
	UpfrontShutdownScript []byte
	// Alias is this node's alias for the channel (option_scid_alias),
	// which the channel's Machine sends in channel_ready. It is required
	// for a channel_type with option_scid_alias or option_zeroconf, and
	// sent in channel_ready whenever set.
	Alias *wire.ShortChannelID
	// BlockHeight is the current block height: when the channel is
	// created (LockIn.CreatedAt).
	BlockHeight uint32

	// Policy is this node's funding policy.
	Policy FundingPolicy
	// MachinePolicy is the Policy of the channel's Machine once it is
	// open.
	MachinePolicy Policy

	// ChannelIDInUse, when set, reports whether a channel_id already
	// belongs to one of this node's channels. A fundee refuses a
	// funding_created whose outpoint gives such an id: without the check
	// a peer could make the new channel's records overwrite an existing
	// channel's (every key of a channel starts with KeyPrefix(id)). A
	// host that leaves it nil must make that check itself before handing
	// funding_created to ReceiveMessage.
	ChannelIDInUse func(wire.ChannelID) bool

	// Rand is the source of the temporary_channel_id when OpenRequest
	// gives none. Default crypto/rand.
	Rand io.Reader
}

// negotiated reports whether both init messages have feature b.
func (c *FundingConfig) negotiated(b wire.FeatureBit) bool {
	return c.LocalFeatures.HasFeature(b) && c.RemoteFeatures.HasFeature(b)
}

// shutdownForms is which shutdown scriptpubkey forms this connection
// allows.
func (c *FundingConfig) shutdownForms() (anySegwit, opReturn bool) {
	return c.negotiated(wire.FeatureShutdownAnySegwit), c.negotiated(wire.FeatureSimpleClose)
}

// shutdownRules is how this connection treats a received
// upfront_shutdown_script.
func (c *FundingConfig) shutdownRules() shutdownRules {
	anySegwit, opReturn := c.shutdownForms()
	return shutdownRules{upfront: c.negotiated(wire.FeatureUpfrontShutdownScript), anySegwit: anySegwit, opReturn: opReturn}
}

// validate checks the host's side of the configuration.
func (c *FundingConfig) validate() (FundingPolicy, error) {
	pol, err := c.Policy.withDefaults()
	if err != nil {
		return pol, err
	}
	if err := c.Basepoints.validate(Local); err != nil {
		return pol, err
	}
	if c.Signer == nil || c.Secrets == nil {
		return pol, fmt.Errorf("%w: FundingConfig needs a Signer and Secrets", ErrInvalidParams)
	}
	if len(c.UpfrontShutdownScript) > 0 {
		anySegwit, opReturn := c.shutdownForms()
		if !shutdownScriptAllowed(c.UpfrontShutdownScript, anySegwit, opReturn) {
			return pol, fmt.Errorf("%w: upfront_shutdown_script %x is not a form BOLT 2 shutdown allows on this connection",
				ErrInvalidParams, c.UpfrontShutdownScript)
		}
	}
	return pol, nil
}

func (c *FundingConfig) rand() io.Reader {
	if c.Rand != nil {
		return c.Rand
	}
	return rand.Reader
}

// OpenRequest is what the host asks for when it opens a channel. The
// amounts and fee rates come from the host (its wallet and FeeEstimator):
// the funding core does no I/O.
type OpenRequest struct {
	// TemporaryChannelID is the temporary_channel_id; all zeros draws
	// one from FundingConfig.Rand. It must be unique among this peer's
	// channels.
	TemporaryChannelID wire.ChannelID
	// FundingAmount is funding_satoshis, the value of the funding output.
	FundingAmount btcutil.Amount
	// PushAmount is push_msat, given to the peer at once.
	PushAmount wire.MilliSatoshi
	// FeeRate is feerate_per_kw of the commitment transactions, at least
	// 253 sat/kw (chain.FeeRateFloor).
	FeeRate wire.SatPerKWeight
	// FundingFeeRate is the fee rate for the funding transaction, handed
	// back in FundingTxNeeded for the wallet.
	FundingFeeRate wire.SatPerKWeight
	// Type is the commitment format; zero picks script.Anchors when both
	// nodes advertise option_anchors and script.StaticRemoteKey
	// otherwise. Anchors is refused when the peer does not advertise it.
	Type script.ChannelType
	// SCIDAlias adds option_scid_alias to the channel_type (both nodes
	// must advertise it; not with Announce).
	SCIDAlias bool
	// ZeroConf adds option_zeroconf to the channel_type (both nodes must
	// advertise it): the fundee answers minimum_depth 0 if it trusts this
	// node, and refuses the channel otherwise.
	ZeroConf bool
	// Announce sets announce_channel: the channel is to be announced
	// (BOLT 7).
	Announce bool
}
