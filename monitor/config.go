package monitor

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

// Mode says which closes a monitor acts on.
type Mode uint8

const (
	// ModeFull handles every case of BOLT 5: the local commitment (which
	// it broadcasts on ForceClose or at an HTLC deadline), the peer's
	// current or pending commitment, revoked commitments and cooperative
	// closes.
	ModeFull Mode = iota
	// ModeJusticeOnly is for a copy of the monitor that runs elsewhere (a
	// second device, a watchtower) from the same updates: it never
	// broadcasts the local commitment, which may be stale there, and it
	// claims only revoked commitments of the peer and their HTLC
	// transactions. Other closes are reported (ChannelClosed) and left to
	// the node's own monitor.
	ModeJusticeOnly
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case ModeFull:
		return "full"
	case ModeJusticeOnly:
		return "justice-only"
	default:
		return fmt.Sprintf("Mode(%d)", uint8(m))
	}
}

// Policy holds the monitor's timing and fee choices. The zero value of a
// field means its default.
type Policy struct {
	// ResolveDepth is the "reasonable depth" of BOLT 5: the confirmations
	// after which an on-chain outcome is reported (an offered HTLC failed,
	// funds swept). Default 6.
	ResolveDepth uint32
	// IrrevocableDepth is the depth at which BOLT 5 calls an output
	// irrevocably resolved; ClaimsResolved is reported once every output
	// is resolved this deep. Default 100.
	IrrevocableDepth uint32
	// OfferedGrace is the G of BOLT 2 "cltv_expiry_delta Selection" for
	// the monitor's own deadline: when an HTLC this node offered is still
	// in a commitment OfferedGrace blocks after its cltv_expiry and the
	// channel is open, the monitor broadcasts the local commitment itself.
	// The channel Machine fails the channel one block earlier by default
	// (channel.DefaultOfferedHTLCGrace); this is the backstop for a host
	// that did not close. Default 2.
	OfferedGrace uint32
	// FulfillDeadline is the backstop for received HTLCs: when this node
	// knows the preimage of an HTLC the peer offered and the chain is
	// within FulfillDeadline blocks of its cltv_expiry with the channel
	// open, the monitor broadcasts the local commitment. It must leave
	// room for 2R+G+S blocks (BOLT 2). Default 12.
	FulfillDeadline uint32
	// TimeoutDeadline is how many blocks after an offered HTLC's
	// cltv_expiry its timeout (HTLC-timeout transaction, or the timeout
	// claim on the peer's commitment) should be confirmed: the fee target
	// of those transactions, and a bound on the upstream HTLC's margin.
	// Default 12.
	TimeoutDeadline uint32
	// RelaxedTarget is the confirmation target of claims that only this
	// node can take (to_local after to_self_delay, to_remote, HTLC
	// transaction outputs). Default 36.
	RelaxedTarget uint32
	// BumpWindow is how close to its deadline a claim must be for its fee
	// rate to rise by at least a quarter (and by the minimum relay fee
	// rate) every block it stays unconfirmed, by replacement (BIP 125).
	// Default 6.
	BumpWindow uint32
	// SecurityDelay is BOLT 5's security_delay: a justice transaction
	// that claims several revoked outputs and is still unconfirmed this
	// many blocks before its deadline is split into one transaction per
	// output, so that a transaction the cheater pins cannot hold back the
	// others. Default 18.
	SecurityDelay uint32
	// MaxFeeRate caps every fee rate the monitor pays. Default 100 000
	// sat/kw.
	MaxFeeRate wire.SatPerKWeight
	// FallbackFeeRate is used when the FeeEstimator fails. Default 5000
	// sat/kw.
	FallbackFeeRate wire.SatPerKWeight
}

// Policy defaults.
const (
	// DefaultResolveDepth is Policy.ResolveDepth's default.
	DefaultResolveDepth = 6
	// DefaultIrrevocableDepth is Policy.IrrevocableDepth's default, the
	// 100 blocks of BOLT 5.
	DefaultIrrevocableDepth = 100
	// DefaultOfferedGrace is Policy.OfferedGrace's default.
	DefaultOfferedGrace = 2
	// DefaultFulfillDeadline is Policy.FulfillDeadline's default.
	DefaultFulfillDeadline = 12
	// DefaultTimeoutDeadline is Policy.TimeoutDeadline's default.
	DefaultTimeoutDeadline = 12
	// DefaultRelaxedTarget is Policy.RelaxedTarget's default.
	DefaultRelaxedTarget = 36
	// DefaultBumpWindow is Policy.BumpWindow's default.
	DefaultBumpWindow = 6
	// DefaultSecurityDelay is Policy.SecurityDelay's default, the 18
	// blocks BOLT 5 recommends.
	DefaultSecurityDelay = 18
	// DefaultMaxFeeRate is Policy.MaxFeeRate's default.
	DefaultMaxFeeRate wire.SatPerKWeight = 100_000
	// DefaultFallbackFeeRate is Policy.FallbackFeeRate's default.
	DefaultFallbackFeeRate wire.SatPerKWeight = 5000
)

func (p Policy) withDefaults() Policy {
	set := func(v *uint32, d uint32) {
		if *v == 0 {
			*v = d
		}
	}
	set(&p.ResolveDepth, DefaultResolveDepth)
	set(&p.IrrevocableDepth, DefaultIrrevocableDepth)
	set(&p.OfferedGrace, DefaultOfferedGrace)
	set(&p.FulfillDeadline, DefaultFulfillDeadline)
	set(&p.TimeoutDeadline, DefaultTimeoutDeadline)
	set(&p.RelaxedTarget, DefaultRelaxedTarget)
	set(&p.BumpWindow, DefaultBumpWindow)
	set(&p.SecurityDelay, DefaultSecurityDelay)
	if p.MaxFeeRate == 0 {
		p.MaxFeeRate = DefaultMaxFeeRate
	}
	if p.FallbackFeeRate == 0 {
		p.FallbackFeeRate = DefaultFallbackFeeRate
	}
	p.MaxFeeRate = max(p.MaxFeeRate, chain.FeeRateFloor)
	p.FallbackFeeRate = min(max(p.FallbackFeeRate, chain.FeeRateFloor), p.MaxFeeRate)
	return p
}

// Config is what a Monitor needs from the host.
type Config struct {
	// Store holds the monitor's records, under the prefix KeyPrefix of
	// the channel. It may be the store the channel uses.
	Store store.Store
	// Signer signs with this node's channel keys: the funding key (the
	// local commitment and anchors), the delayed, HTLC and payment keys
	// (sweeps) and the revocation key (justice).
	Signer channel.Signer
	// Broadcaster publishes claims.
	Broadcaster chain.Broadcaster
	// Fees gives the fee rate for a confirmation target.
	Fees chain.FeeEstimator
	// Wallet pays for fee bumps: the child of the local commitment's
	// anchor (CPFP) and the fee inputs of option_anchors HTLC
	// transactions. It is required for option_anchors channels in
	// ModeFull. When SweepScript is nil its NewScript gives the sweep
	// destination.
	Wallet chain.Wallet
	// Filter, when set, is told the funding outpoint and every output the
	// monitor must see spent. Hosts that hand in whole blocks may leave
	// it nil.
	Filter chain.Filter
	// SweepScript returns the output script claims pay. It is called once,
	// when the channel is registered, and the script is stored with the
	// monitor's record. Nil means Wallet.NewScript.
	SweepScript func(ctx context.Context) ([]byte, error)
	// Mode is ModeFull or ModeJusticeOnly.
	Mode Mode
	// Policy tunes timing and fees.
	Policy Policy
	// Logger receives the monitor's log; nil discards it.
	Logger *slog.Logger
	// OnEvent, when set, is called with each new event once it is
	// durable, from inside the call that produced it (BlockConnected,
	// Apply, ...). It must not call back into the Monitor; the events stay
	// in Events until acknowledged either way.
	OnEvent func(Event)
}

func (c *Config) validate(p *channel.Params) error {
	switch {
	case c.Store == nil:
		return fmt.Errorf("%w: no Store", ErrInvalidConfig)
	case c.Signer == nil:
		return fmt.Errorf("%w: no Signer", ErrInvalidConfig)
	case c.Broadcaster == nil:
		return fmt.Errorf("%w: no Broadcaster", ErrInvalidConfig)
	case c.Fees == nil:
		return fmt.Errorf("%w: no FeeEstimator", ErrInvalidConfig)
	case c.Mode != ModeFull && c.Mode != ModeJusticeOnly:
		return fmt.Errorf("%w: mode %v", ErrInvalidConfig, c.Mode)
	}
	if p != nil && p.Type.HasAnchors() && c.Mode == ModeFull && c.Wallet == nil {
		return fmt.Errorf("%w: an option_anchors channel needs a Wallet to pay for its HTLC transactions and anchor child", ErrInvalidConfig)
	}
	return nil
}
