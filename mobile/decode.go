package mobile

import (
	"encoding/hex"
	"math"
	"strings"
	"time"

	"github.com/lnkit/lnkit/invoice"
)

// DecodedInvoice is a BOLT 11 invoice read by DecodeInvoice: what a
// wallet shows before paying.
type DecodedInvoice struct {
	// Bolt11 is the invoice as given (without a "lightning:" prefix).
	Bolt11 string
	// Network is "mainnet", "testnet3" (also for testnet4, which shares
	// the "tb" prefix), "signet", "regtest" or "simnet".
	Network string
	// HasAmount tells whether the invoice asks for an amount.
	HasAmount bool
	// AmountMsat is that amount (0 without one).
	AmountMsat int64
	// TimestampMs is when it was created, ExpiresAtMs when it expires
	// (unix ms); ExpirySeconds the difference.
	TimestampMs, ExpiresAtMs, ExpirySeconds int64
	// PaymentHash and PaymentSecret are hex.
	PaymentHash, PaymentSecret string
	// Description is the d field; DescriptionHash (hex) the h field:
	// exactly one is set.
	Description, DescriptionHash string
	// Destination is the payee's node id (hex).
	Destination string
	// MinFinalCLTVExpiryDelta is the c field (18 when absent).
	MinFinalCLTVExpiryDelta int64
	// Features is the 9 field's feature bits, big-endian hex ("" when
	// absent).
	Features string
	// Metadata is the m field (payment_metadata) in hex.
	Metadata string
	// RouteHints are the r fields: private routes to the payee.
	RouteHints *RouteHintList
	// Fallbacks are the on-chain fallback addresses, in order of
	// preference.
	Fallbacks *StringList
}

// IsExpired reports whether the invoice has expired now.
func (d *DecodedInvoice) IsExpired() bool { return time.Now().UnixMilli() >= d.ExpiresAtMs }

// HopHint is one hop of a route hint: the channel from NodeID towards
// the payee and its fees.
type HopHint struct {
	// NodeID is the node at the start of the channel (hex).
	NodeID string
	// ShortChannelID is the channel, "BLOCKxTXxOUTPUT".
	ShortChannelID string
	// FeeBaseMsat and FeeProportionalMillionths are its fees.
	FeeBaseMsat, FeeProportionalMillionths int64
	// CLTVExpiryDelta is its cltv_expiry_delta.
	CLTVExpiryDelta int32
}

// RouteHint is one private route, hops from a public node to the payee.
type RouteHint struct{ hops []*HopHint }

// Len returns the number of hops.
func (r *RouteHint) Len() int { return len(r.hops) }

// Get returns the i-th hop, or nil when i is out of range.
func (r *RouteHint) Get(i int) *HopHint {
	if i < 0 || i >= len(r.hops) {
		return nil
	}
	c := *r.hops[i]
	return &c
}

// RouteHintList is a read-only list of route hints.
type RouteHintList struct{ items []*RouteHint }

// Len returns the number of route hints.
func (l *RouteHintList) Len() int { return len(l.items) }

// Get returns the i-th route hint, or nil when i is out of range.
func (l *RouteHintList) Get(i int) *RouteHint {
	if i < 0 || i >= len(l.items) {
		return nil
	}
	return l.items[i]
}

// DecodeInvoice decodes and verifies a BOLT 11 invoice (signature
// included). It needs no node. A "lightning:" URI prefix is accepted.
func DecodeInvoice(bolt11 string) (*DecodedInvoice, error) {
	s := strings.TrimSpace(bolt11)
	if len(s) > 10 && strings.EqualFold(s[:10], "lightning:") {
		s = s[10:]
	}
	inv, err := invoice.Decode(s)
	if err != nil {
		return nil, wrapCode(CodeInvalidInvoice, err)
	}
	d := &DecodedInvoice{
		Bolt11: s, Network: inv.Network.Name, HasAmount: inv.HasAmount(),
		TimestampMs: inv.Timestamp.UnixMilli(), ExpiresAtMs: inv.ExpiresAt().UnixMilli(),
		ExpirySeconds: int64(inv.ExpiryDuration() / time.Second),
		PaymentHash:   inv.PaymentHash.String(), PaymentSecret: hex.EncodeToString(inv.PaymentSecret[:]),
		Destination: hex.EncodeToString(inv.Destination.SerializeCompressed()),
		Features:    hex.EncodeToString(inv.Features), Metadata: hex.EncodeToString(inv.Metadata),
		RouteHints: &RouteHintList{}, Fallbacks: &StringList{},
	}
	if inv.Amount != nil {
		if uint64(*inv.Amount) > math.MaxInt64 {
			return nil, newError(CodeInvalidInvoice, "amount beyond 2^63 msat")
		}
		d.AmountMsat = int64(*inv.Amount)
	}
	if c := inv.MinFinalCLTVExpiryDelta(); c <= math.MaxInt64 {
		d.MinFinalCLTVExpiryDelta = int64(c)
	}
	if inv.Description != nil {
		d.Description = *inv.Description
	}
	if inv.DescriptionHash != nil {
		d.DescriptionHash = hex.EncodeToString(inv.DescriptionHash[:])
	}
	for _, rh := range inv.RouteHints {
		r := &RouteHint{}
		for _, h := range rh {
			r.hops = append(r.hops, &HopHint{
				NodeID: hex.EncodeToString(h.NodeID.SerializeCompressed()), ShortChannelID: h.ChannelID.String(),
				FeeBaseMsat: int64(h.FeeBase), FeeProportionalMillionths: int64(h.FeeProportionalMillionths),
				CLTVExpiryDelta: int32(h.CLTVExpiryDelta),
			})
		}
		d.RouteHints.items = append(d.RouteHints.items, r)
	}
	for _, a := range inv.Fallbacks {
		d.Fallbacks.items = append(d.Fallbacks.items, a.EncodeAddress())
	}
	return d, nil
}
