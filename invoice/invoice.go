package invoice

import (
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/lnkit/lnkit/wire"
)

const (
	// DefaultExpiry is the expiry a reader uses when the invoice has no x
	// field (BOLT 11).
	DefaultExpiry = time.Hour

	// DefaultMinFinalCLTVExpiryDelta is the min_final_cltv_expiry_delta a
	// reader uses when the invoice has no c field (BOLT 11).
	DefaultMinFinalCLTVExpiryDelta = 18

	// MaxTimestamp is the largest timestamp the 35-bit field can hold.
	MaxTimestamp = 1<<35 - 1

	// SignatureSize is the size of a compact signature with its recovery
	// id: r (32 bytes), s (32 bytes), recovery id (1 byte).
	SignatureSize = 65
)

// Field type numbers (5-bit values) of the tagged fields this package
// interprets (BOLT 11, "Tagged Fields").
const (
	TagPaymentHash     = 1  // p
	TagRouteHint       = 3  // r
	TagFeatures        = 5  // 9
	TagExpiry          = 6  // x
	TagFallback        = 9  // f
	TagDescription     = 13 // d
	TagPaymentSecret   = 16 // s
	TagNodeID          = 19 // n
	TagDescriptionHash = 23 // h
	TagMinFinalCLTV    = 24 // c
	TagMetadata        = 27 // m
)

// Invoice is a BOLT 11 payment request.
//
// Optional fields are pointers (or nil slices) that are nil when the invoice
// does not carry them. A decoded Invoice also remembers, in unexported
// fields, the order of its tagged fields, the multiplier of its amount and
// the width of its x, c and 9 fields, so that String reproduces the decoded
// string exactly. Changing a field keeps that layout where it still fits and
// falls back to the canonical layout otherwise; Sign must be called again
// after any change.
type Invoice struct {
	// Network is the chain the invoice is for, from the currency prefix.
	Network *chaincfg.Params

	// Amount is the amount requested, or nil for "any amount".
	Amount *wire.MilliSatoshi

	// Timestamp is when the invoice was created, in whole seconds.
	Timestamp time.Time

	// PaymentHash is the p field: the SHA256 of the payment preimage.
	PaymentHash wire.PaymentHash

	// PaymentSecret is the s field, sent back as payment_secret (BOLT 4).
	PaymentSecret [32]byte

	// Description is the d field, or nil when the invoice has an h field.
	Description *string

	// DescriptionHash is the h field: the SHA256 of a description given
	// elsewhere. Exactly one of Description and DescriptionHash is set.
	DescriptionHash *[32]byte

	// Destination is the payee's node id: from the n field when
	// ExplicitDestination is set, otherwise recovered from the signature.
	Destination *btcec.PublicKey

	// ExplicitDestination reports (or, when encoding, chooses) whether the
	// invoice carries Destination in an n field.
	ExplicitDestination bool

	// Expiry is the x field, or nil for DefaultExpiry. Use ExpiresAt.
	Expiry *time.Duration

	// MinFinalCLTV is the c field (min_final_cltv_expiry_delta), or nil
	// for the default. Use MinFinalCLTVExpiryDelta.
	MinFinalCLTV *uint64

	// Fallbacks are the on-chain fallback addresses (f fields) in order of
	// preference: P2PKH, P2SH, P2WPKH, P2WSH or P2TR.
	Fallbacks []btcutil.Address

	// RouteHints are the r fields: private routes to the payee, each a
	// list of hops starting at a public node.
	RouteHints []RouteHint

	// Features is the 9 field, or nil when absent. A decoded vector is
	// minimal (no leading zero bytes).
	Features wire.FeatureVector

	// Metadata is the m field (payment_metadata, BOLT 4), or nil.
	Metadata []byte

	// ExtraFields are the tagged fields a reader skips: unknown types,
	// p, h, s and n fields of the wrong length, f fields of unknown
	// versions, and repeats of fields that may appear once (the first one
	// counts). They are kept so that the invoice re-encodes exactly.
	ExtraFields []TaggedField

	// Signature is r || s as found in (or written to) the invoice.
	Signature [64]byte

	// RecoveryID is the signature's recovery id, 0 to 3.
	RecoveryID byte

	layout     []slot // order and widths of the tagged fields
	amountMult byte   // multiplier of the amount as written
}

// RouteHint is one private route: hops from a public node to the payee.
type RouteHint []HopHint

// HopHint is one entry of an r field: the channel from NodeID towards the
// payee and the policy a payer must apply to it (BOLT 7 channel_update).
type HopHint struct {
	// NodeID is the node at the start of the channel.
	NodeID *btcec.PublicKey
	// ChannelID is the channel's short_channel_id.
	ChannelID wire.ShortChannelID
	// FeeBase is fee_base_msat (32 bits on the wire).
	FeeBase wire.MilliSatoshi
	// FeeProportionalMillionths is fee_proportional_millionths.
	FeeProportionalMillionths uint32
	// CLTVExpiryDelta is cltv_expiry_delta.
	CLTVExpiryDelta uint16
}

// TaggedField is a tagged field kept as raw 5-bit words.
type TaggedField struct {
	// Type is the 5-bit field type (for example 1 for p).
	Type byte
	// Data holds the data_length 5-bit words, one per byte.
	Data []byte
}

// slot records one tagged field of the encoding: its type, which value it
// holds (index into the field's slice for f and r, into ExtraFields for
// extra fields) and, for x, c and 9, the number of words written.
type slot struct {
	tag   byte
	extra bool
	idx   uint16
	words uint16
}

// HasAmount reports whether the invoice requests a specific amount.
func (inv *Invoice) HasAmount() bool { return inv.Amount != nil }

// ExpiryDuration returns the x field, or DefaultExpiry when absent.
func (inv *Invoice) ExpiryDuration() time.Duration {
	if inv.Expiry != nil {
		return *inv.Expiry
	}
	return DefaultExpiry
}

// ExpiresAt returns the time after which a payer SHOULD NOT attempt the
// payment: timestamp plus expiry.
func (inv *Invoice) ExpiresAt() time.Time { return inv.Timestamp.Add(inv.ExpiryDuration()) }

// Expired reports whether the invoice has expired at now.
func (inv *Invoice) Expired(now time.Time) bool { return !now.Before(inv.ExpiresAt()) }

// MinFinalCLTVExpiryDelta returns the c field, or 18 when absent (BOLT 11:
// a payer MUST use a delta of at least 18 then).
func (inv *Invoice) MinFinalCLTVExpiryDelta() uint64 {
	if inv.MinFinalCLTV != nil {
		return *inv.MinFinalCLTV
	}
	return DefaultMinFinalCLTVExpiryDelta
}
