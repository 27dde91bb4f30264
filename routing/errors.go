package routing

import "errors"

// Errors of the graph. They are wrapped with %w, so test with errors.Is.
var (
	// ErrWrongChain is returned for gossip whose chain_hash is not the
	// graph's chain (BOLT 7: a node MUST ignore a channel_announcement or
	// channel_update for a chain it does not know).
	ErrWrongChain = errors.New("routing: gossip for another chain")

	// ErrInvalidAnnouncement is returned for a channel_announcement whose
	// node ids are equal or not in ascending order (BOLT 7: node_id_1 is
	// the lexicographically lesser key), or whose short_channel_id does
	// not fit its 24/24/16-bit fields.
	ErrInvalidAnnouncement = errors.New("routing: invalid channel_announcement")

	// ErrUnknownChannel is returned for a channel_update (or a removal)
	// whose short_channel_id has no channel_announcement in the graph
	// (BOLT 7: such updates are ignored unless they are for one's own
	// channels, which the payer passes as LocalChannels instead).
	ErrUnknownChannel = errors.New("routing: unknown channel")

	// ErrChannelClosed is returned for gossip about a channel that was
	// marked closed (BOLT 7: a node ignores updates of a channel closed
	// in the meantime).
	ErrChannelClosed = errors.New("routing: channel closed")

	// ErrChannelExists is returned by AddChannel when the short_channel_id
	// is already announced with other node ids.
	ErrChannelExists = errors.New("routing: channel already announced with other nodes")

	// ErrUnknownNode is returned for a node_announcement of a node that has
	// no channel in the graph (BOLT 7: a node SHOULD ignore it), and by
	// the pathfinder when the payer or payee cannot be reached at all.
	ErrUnknownNode = errors.New("routing: unknown node")

	// ErrCorruptRecord is returned when a stored graph record cannot be
	// decoded.
	ErrCorruptRecord = errors.New("routing: corrupt stored record")
)

// Errors of the pathfinder.
var (
	// ErrInvalidRequest is returned for a request that cannot describe a
	// payment: a zero amount, the payer paying itself, a nil key in a
	// route hint, a negative or NaN cost parameter.
	ErrInvalidRequest = errors.New("routing: invalid route request")

	// ErrNoRoute is returned when no route satisfies every constraint of
	// the request (fees, CLTV, HTLC limits, balances, exclusions).
	ErrNoRoute = errors.New("routing: no route")
)
