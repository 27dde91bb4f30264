package script

import "fmt"

// ChannelType selects between the two commitment formats of BOLT 3 that
// this package implements. It changes the to_remote output, adds anchor
// outputs, adds the `1 OP_CHECKSEQUENCEVERIFY OP_DROP` to HTLC scripts,
// and changes the expected weights and HTLC transaction fees.
type ChannelType uint8

const (
	// StaticRemoteKey is option_static_remotekey without anchors: the
	// to_remote output is P2WPKH to the remote payment basepoint and HTLC
	// transactions pay their own fee (BOLT 3 Appendix C).
	StaticRemoteKey ChannelType = iota + 1

	// Anchors is option_anchors (option_anchors_zero_fee_htlc_tx): the
	// to_remote output is CSV-1 delayed P2WSH, each side gets a 330 sat
	// anchor, HTLC outputs carry a 1-block CSV and HTLC transactions pay
	// zero fee (BOLT 3 Appendix F).
	Anchors
)

// String names the channel type after its BOLT 9 feature.
func (t ChannelType) String() string {
	switch t {
	case StaticRemoteKey:
		return "option_static_remotekey"
	case Anchors:
		return "option_anchors"
	default:
		return fmt.Sprintf("ChannelType(%d)", uint8(t))
	}
}

// Valid reports whether t is one of the defined channel types.
func (t ChannelType) Valid() bool { return t == StaticRemoteKey || t == Anchors }

// HasAnchors reports whether t uses anchor outputs.
func (t ChannelType) HasAnchors() bool { return t == Anchors }

// HTLCKind says which way an HTLC goes, seen from the owner of the
// commitment transaction that holds its output.
type HTLCKind uint8

const (
	// Offered is an HTLC the commitment owner offered: it resolves to
	// the owner through an HTLC-timeout transaction, or to the remote
	// node with the preimage.
	Offered HTLCKind = iota + 1

	// Received is an HTLC the commitment owner received: it resolves to
	// the owner through an HTLC-success transaction with the preimage,
	// or to the remote node after cltv_expiry.
	Received
)

// String returns "offered" or "received".
func (k HTLCKind) String() string {
	switch k {
	case Offered:
		return "offered"
	case Received:
		return "received"
	default:
		return fmt.Sprintf("HTLCKind(%d)", uint8(k))
	}
}
