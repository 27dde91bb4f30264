package peer

import (
	"log/slog"
	"time"

	"github.com/lnkit/lnkit/wire"
)

// Defaults for Config fields left zero.
const (
	DefaultInitTimeout   = 15 * time.Second
	DefaultPingInterval  = time.Minute
	DefaultPingTimeout   = 30 * time.Second
	DefaultQueueSize     = 64
	DefaultPingRateLimit = 10
)

// pingRateWindow is BOLT 1's reference period for pings: a node that
// receives "significantly in excess of one ping per 30-second period" may
// fail the connection.
const pingRateWindow = 30 * time.Second

// Config configures a peer connection. The zero value of each field other
// than NodeKey selects a default.
type Config struct {
	// HandshakeConfig holds the node key, the randomness source and the
	// handshake timeout.
	HandshakeConfig

	// Features is the features field of the init we send. It must pass
	// wire's BOLT 9 checks for the init context. BOLT 1 says to send no
	// bit in globalfeatures any more, so we leave that field empty.
	Features wire.FeatureVector

	// Chains, if not nil, is sent as the init networks TLV. If the peer
	// sends networks too and no chain is common, the connection is
	// refused with ErrNoCommonChain (BOLT 1 allows this) unless
	// AllowNoCommonChain is set.
	Chains []wire.ChainHash
	// AllowNoCommonChain keeps a connection whose networks do not
	// intersect ours.
	AllowNoCommonChain bool

	// InitTimeout bounds the init exchange after the handshake.
	InitTimeout time.Duration

	// PingInterval is how often we ping the peer to detect a dead
	// connection. Negative disables our pings.
	PingInterval time.Duration
	// PingTimeout is how long we wait for the pong before failing the
	// connection with ErrPingTimeout.
	PingTimeout time.Duration
	// PingRateLimit is how many pings the peer may send per 30 seconds
	// before the connection fails with ErrPingFlood.
	PingRateLimit int

	// QueueSize bounds each inbound queue (the host's, each channel's and
	// the event queue) and the outbound queue. A full queue stops the
	// reader: TCP flow control then slows the peer down, and memory stays
	// bounded.
	QueueSize int

	// Logger receives connection logs; nil discards them.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.InitTimeout <= 0 {
		c.InitTimeout = DefaultInitTimeout
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.PingRateLimit <= 0 {
		c.PingRateLimit = DefaultPingRateLimit
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
