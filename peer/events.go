package peer

import "github.com/lnkit/lnkit/wire"

// EventKind says what an Event reports.
type EventKind uint8

// Event kinds.
const (
	// EventError is an error message from the peer. BOLT 1 asks the
	// receiver to fail the channel it names, or every channel with the
	// peer when the channel id is all zeros; that is the channel layer's
	// job, so the peer only reports it.
	EventError EventKind = iota + 1
	// EventWarning is a warning message from the peer. It fails nothing.
	EventWarning
)

// String returns "error" or "warning".
func (k EventKind) String() string {
	switch k {
	case EventError:
		return "error"
	case EventWarning:
		return "warning"
	}
	return "unknown"
}

// Event is an error or warning received from the peer.
type Event struct {
	// Kind is EventError or EventWarning.
	Kind EventKind
	// ChannelID is the channel concerned; all zeros means every channel
	// (for an error) or none in particular (for a warning).
	ChannelID wire.ChannelID
	// Error is the message when Kind is EventError.
	Error *wire.Error
	// Warning is the message when Kind is EventWarning.
	Warning *wire.Warning
}

// String describes the event for logs; the peer's free-form text is shown
// only if it is printable (BOLT 1).
func (e Event) String() string {
	if e.Error != nil {
		return e.Error.Error()
	}
	if e.Warning != nil {
		return e.Warning.String()
	}
	return e.Kind.String()
}
