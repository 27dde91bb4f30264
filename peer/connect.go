package peer

import (
	"context"
	"fmt"
	"net"

	"github.com/btcsuite/btcd/btcec/v2"
)

// ContextDialer opens network connections; *net.Dialer implements it, and
// so can a Tor or in-memory dialer of the host's.
type ContextDialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Dial connects to the node with key remote at address (host:port over
// TCP) using d, or a plain net.Dialer if d is nil, then runs Connect.
func Dial(ctx context.Context, d ContextDialer, address string, remote *btcec.PublicKey, cfg Config) (*Peer, error) {
	if err := checkConfig(&cfg); err != nil {
		return nil, err
	}
	if d == nil {
		d = &net.Dialer{}
	}
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("peer: dial %s: %w", address, err)
	}
	return Connect(ctx, conn, remote, cfg)
}

// Connect runs the outbound side of a connection on conn, which the host
// has opened to the node with key remote: the BOLT 8 handshake as
// initiator, then the BOLT 1 init exchange. It returns once both inits have
// been exchanged and the features negotiated. On failure conn is closed.
func Connect(ctx context.Context, conn net.Conn, remote *btcec.PublicKey, cfg Config) (*Peer, error) {
	if err := checkConfig(&cfg); err != nil {
		conn.Close()
		return nil, err
	}
	tr, err := Initiate(ctx, conn, cfg.HandshakeConfig, remote)
	if err != nil {
		return nil, err
	}
	return establish(ctx, tr, cfg, false)
}

// AcceptConn runs the inbound side of a connection on conn, which the host
// has accepted: the BOLT 8 handshake as responder, then the init exchange.
// On failure conn is closed.
func AcceptConn(ctx context.Context, conn net.Conn, cfg Config) (*Peer, error) {
	if err := checkConfig(&cfg); err != nil {
		conn.Close()
		return nil, err
	}
	tr, err := Respond(ctx, conn, cfg.HandshakeConfig)
	if err != nil {
		return nil, err
	}
	return establish(ctx, tr, cfg, true)
}

// checkConfig rejects a configuration that cannot work.
func checkConfig(cfg *Config) error {
	if _, _, _, err := cfg.HandshakeConfig.resolve(); err != nil {
		return err
	}
	return checkLocalFeatures(cfg.Features)
}
