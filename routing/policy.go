package routing

import (
	"math"
	"math/bits"

	"github.com/lnkit/lnkit/wire"
)

// Policy is one direction of a channel as its channel_update announced it
// (BOLT 7, "The channel_update Message"): what the node at the start of
// that direction charges and requires to forward an HTLC over the channel.
type Policy struct {
	// Timestamp is the channel_update's timestamp (seconds, by
	// convention since the UNIX epoch). The graph keeps the update with
	// the highest timestamp per direction.
	Timestamp uint32
	// FeeBase is fee_base_msat.
	FeeBase wire.MilliSatoshi
	// FeeProportionalMillionths is fee_proportional_millionths.
	FeeProportionalMillionths uint32
	// CLTVExpiryDelta is the number of blocks the forwarding node
	// subtracts from the incoming HTLC's cltv_expiry.
	CLTVExpiryDelta uint16
	// HTLCMinimum is htlc_minimum_msat: the smallest HTLC the peer at the
	// end of the direction accepts.
	HTLCMinimum wire.MilliSatoshi
	// HTLCMaximum is htlc_maximum_msat: the largest HTLC the forwarding
	// node sends over this direction.
	HTLCMaximum wire.MilliSatoshi
	// Disabled is the disable bit of channel_flags.
	Disabled bool
}

// Fee returns what the forwarding node charges to forward amt (the
// amt_to_forward of its outgoing HTLC): fee_base_msat + amt *
// fee_proportional_millionths / 1000000, rounded down (BOLT 7, "HTLC
// Fees"). A result too large for 64 bits saturates at the largest
// MilliSatoshi, which no route can pay.
func (p *Policy) Fee(amt wire.MilliSatoshi) wire.MilliSatoshi {
	return wire.MilliSatoshi(feeFor(uint64(p.FeeBase), p.FeeProportionalMillionths, uint64(amt)))
}

// feeFor is the fee formula on plain integers, saturating on overflow.
func feeFor(base uint64, ppm uint32, amt uint64) uint64 {
	hi, lo := bits.Mul64(amt, uint64(ppm))
	if hi >= 1_000_000 {
		return math.MaxUint64
	}
	prop, _ := bits.Div64(hi, lo, 1_000_000)
	s, carry := bits.Add64(base, prop, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

// policy is the graph's compact form of a Policy: 32 bytes.
type policy struct {
	htlcMin   uint64
	htlcMax   uint64
	feeBase   uint32
	feeProp   uint32
	timestamp uint32
	cltvDelta uint16
	flags     uint8
}

// Bits of policy.flags.
const (
	polKnown    uint8 = 1 << 0 // a channel_update was received
	polDisabled uint8 = 1 << 1 // the disable bit was set
)

func (p *policy) known() bool { return p.flags&polKnown != 0 }

func (p *policy) export() *Policy {
	if !p.known() {
		return nil
	}
	return &Policy{
		Timestamp:                 p.timestamp,
		FeeBase:                   wire.MilliSatoshi(p.feeBase),
		FeeProportionalMillionths: p.feeProp,
		CLTVExpiryDelta:           p.cltvDelta,
		HTLCMinimum:               wire.MilliSatoshi(p.htlcMin),
		HTLCMaximum:               wire.MilliSatoshi(p.htlcMax),
		Disabled:                  p.flags&polDisabled != 0,
	}
}

func policyFromUpdate(u *wire.ChannelUpdate) policy {
	p := policy{
		htlcMin:   uint64(u.HTLCMinimum),
		htlcMax:   uint64(u.HTLCMaximum),
		feeBase:   uint32(min(uint64(u.FeeBase), math.MaxUint32)),
		feeProp:   u.FeeProportionalMillionths,
		timestamp: u.Timestamp,
		cltvDelta: u.CLTVExpiryDelta,
		flags:     polKnown,
	}
	if u.IsDisabled() {
		p.flags |= polDisabled
	}
	return p
}

// usable reports whether the pathfinder may consider the direction at
// all: an update was received, it is not disabled, and its HTLC limits are
// consistent with each other and with the capacity (BOLT 7: a receiver
// SHOULD ignore the channel during route considerations when
// htlc_maximum_msat < htlc_minimum_msat or htlc_maximum_msat exceeds the
// capacity). capMsat 0 means the capacity is unknown.
func (p *policy) usable(capMsat uint64) bool {
	if p.flags != polKnown {
		return false
	}
	if p.htlcMax < p.htlcMin {
		return false
	}
	return capMsat == 0 || p.htlcMax <= capMsat
}
