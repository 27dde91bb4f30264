package routing

import (
	"time"

	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/wire"
)

// Defaults of a Request's zero fields.
const (
	// DefaultFinalCLTVDelta is BOLT 11's min_final_cltv_expiry_delta when
	// an invoice has no c field.
	DefaultFinalCLTVDelta = 18
	// DefaultMaxCLTV bounds the total timelock, in blocks above the
	// current height, when a Request leaves MaxCLTV at 0 (two weeks of
	// blocks, the common limit of implementations).
	DefaultMaxCLTV = 2016
	// DefaultMaxHops bounds the number of hops when a Request leaves
	// MaxHops at 0. BOLT 4's 1300-byte onion holds 20 hops of the usual
	// size; a final hop with payment_data and metadata is larger.
	DefaultMaxHops = 20
)

// NoFeeLimit is a MaxFee that accepts any fee.
const NoFeeLimit = wire.MilliSatoshi(1<<64 - 1)

// Request asks for a route that pays Amount from Source to Target.
type Request struct {
	// Source is the payer's node id.
	Source wire.Point
	// Target is the payee's node id (the invoice's payee).
	Target wire.Point
	// Amount is what the payee must receive (for one part of a
	// multi-part payment, that part's share).
	Amount wire.MilliSatoshi
	// CurrentHeight is the chain tip; every CLTV of the route is absolute,
	// counted from it.
	CurrentHeight uint32
	// FinalCLTVDelta is the invoice's min_final_cltv_expiry_delta, which
	// the payee requires of the HTLC it receives; 0 means
	// DefaultFinalCLTVDelta. A caller that adds a shadow-route offset
	// (BOLT 7, "Recommendations for Routing") adds it here.
	FinalCLTVDelta uint16
	// MaxFee is the most the route may pay in fees: 0 allows only routes
	// without fees (for example a direct channel); NoFeeLimit allows any.
	MaxFee wire.MilliSatoshi
	// MaxCLTV bounds TotalTimeLock - CurrentHeight; 0 means
	// DefaultMaxCLTV.
	MaxCLTV uint32
	// MaxHops bounds len(Route.Hops); 0 means DefaultMaxHops.
	MaxHops int
	// LocalChannels are the payer's own channels with their live
	// balances. When any are given, they are the only first hops: the
	// payer's announced channels in the graph are not used, since their
	// balances are unknown there. When none are given, the graph's
	// channels of Source are used as first hops, bounded by their
	// capacity only (for a route computed on behalf of another node, or a
	// probe).
	LocalChannels []LocalChannel
	// RouteHints are the invoice's r fields: private channels into the
	// payee, each hop with its own fee and cltv_expiry_delta. Their
	// capacities are unknown.
	RouteHints []invoice.RouteHint
	// ExcludeChannels are never used, in either direction.
	ExcludeChannels []wire.ShortChannelID
	// ExcludeNodes are never used as hops. Excluding Source or Target
	// leaves no route.
	ExcludeNodes []wire.Point
	// Mission, when not nil, adjusts the success probabilities with
	// the results of past payments.
	Mission *MissionControl
	// Now is the time at which Mission's memories are decayed.
	Now time.Time
	// Cost weighs fees, timelocks and probabilities; nil means
	// DefaultCostModel().
	Cost *CostModel
}

// LocalChannel is one of the payer's own channels as the payer's channel
// state sees it now.
type LocalChannel struct {
	// ShortChannelID is the channel's short_channel_id (or an alias, for
	// an unannounced channel: whatever the peer accepts in the onion).
	ShortChannelID wire.ShortChannelID
	// Peer is the node at the other end.
	Peer wire.Point
	// Spendable is the most the payer can send in one new HTLC now (its
	// balance less reserve, fees and HTLCs in flight).
	Spendable wire.MilliSatoshi
	// HTLCMinimum is the smallest HTLC the peer accepts (its
	// htlc_minimum_msat from open_channel or accept_channel).
	HTLCMinimum wire.MilliSatoshi
	// HTLCMaximum is the largest HTLC the payer may offer on the channel
	// (the peer's max_htlc_value_in_flight_msat, or the payer's own
	// htlc_maximum_msat); 0 means no bound beyond Spendable.
	HTLCMaximum wire.MilliSatoshi
}

// Hop is one hop of a Route: the channel into a node and what that node is
// told in its onion payload (BOLT 4, "Payload Format"). For hop i of n:
//
//	amt_to_forward      = Hops[i].AmountToForward
//	outgoing_cltv_value = Hops[i].OutgoingCLTV
//	short_channel_id    = Hops[i+1].ShortChannelID (intermediate hops only)
//
// and the final hop (i = n-1) carries payment_data (the invoice's
// payment_secret and the total of all parts, total_msat) instead of
// short_channel_id.
type Hop struct {
	// ShortChannelID is the channel from the previous node (the payer for
	// Hops[0]) to NodeID.
	ShortChannelID wire.ShortChannelID
	// NodeID is this hop's node.
	NodeID wire.Point
	// AmountToForward is what this node sends on; for the final hop, what
	// it receives.
	AmountToForward wire.MilliSatoshi
	// OutgoingCLTV is the cltv_expiry of the HTLC this node offers next;
	// for the final hop, that of the HTLC it receives.
	OutgoingCLTV uint32
	// Fee is what this node keeps: its fee on the outgoing channel (0 for
	// the final hop).
	Fee wire.MilliSatoshi
	// CLTVExpiryDelta is this node's cltv_expiry_delta on the outgoing
	// channel (0 for the final hop).
	CLTVExpiryDelta uint16
	// Private marks a hop whose channel came from a route hint or the
	// payer's local channels rather than the graph.
	Private bool
}

// Route is a path from the payer to the payee with every amount and
// timelock fixed. The payer offers its first HTLC to Hops[0].NodeID over
// Hops[0].ShortChannelID with amount_msat TotalAmount and cltv_expiry
// TotalTimeLock.
type Route struct {
	// Source is the payer.
	Source wire.Point
	// Hops are the nodes after the payer, the payee last.
	Hops []Hop
	// TotalAmount is the amount of the payer's HTLC: what the payee gets
	// plus TotalFees.
	TotalAmount wire.MilliSatoshi
	// TotalFees is the sum of the hops' fees.
	TotalFees wire.MilliSatoshi
	// TotalTimeLock is the cltv_expiry of the payer's HTLC: the current
	// height plus every hop's cltv_expiry_delta plus the final delta.
	TotalTimeLock uint32
	// Probability is the estimated chance that the route succeeds, the
	// product of its hops' probabilities (1 when the cost model ignores
	// probabilities).
	Probability float64
}

// Amount returns what the payee receives.
func (r *Route) Amount() wire.MilliSatoshi {
	if len(r.Hops) == 0 {
		return 0
	}
	return r.Hops[len(r.Hops)-1].AmountToForward
}

// amountInto returns the amount the HTLC over Hops[i].ShortChannelID
// carries: what Hops[i].NodeID receives.
func (r *Route) amountInto(i int) wire.MilliSatoshi {
	if i == 0 {
		return r.TotalAmount
	}
	return r.Hops[i-1].AmountToForward
}

// nodeAt returns the node at position i: 0 for the payer, i for
// Hops[i-1].
func (r *Route) nodeAt(i int) wire.Point {
	if i == 0 {
		return r.Source
	}
	return r.Hops[i-1].NodeID
}
