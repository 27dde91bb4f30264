package wtclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/peer"
	"github.com/lnkit/lnkit/wire"
)

// towerConn is one BOLT 8 connection to a tower. lnd's tower speaks its
// protocol straight over the Noise transport: no BOLT 1 init, no ping.
// Each message is one frame.
type towerConn struct {
	conn    net.Conn
	t       *peer.Transport
	timeout time.Duration
	stop    func() bool
}

// dialTower opens a connection to the tower at addr whose static key is
// pub, authenticating with the session key.
func (c *Client) dialTower(ctx context.Context, addr string, pub *btcec.PublicKey, key wire.NodeKey) (*towerConn, error) {
	conn, err := c.cfg.Dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wtclient: dial tower %s: %w", addr, err)
	}
	t, err := peer.Initiate(ctx, conn, peer.HandshakeConfig{NodeKey: key, Rand: c.cfg.Rand, Timeout: c.cfg.HandshakeTimeout}, pub)
	if err != nil {
		return nil, fmt.Errorf("wtclient: handshake with tower %s: %w", addr, err)
	}
	tc := &towerConn{conn: conn, t: t, timeout: c.cfg.ReplyTimeout}
	// A cancelled context interrupts blocked reads and writes.
	tc.stop = context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return tc, nil
}

func (tc *towerConn) close() {
	tc.stop()
	tc.t.Close()
}

// send writes one message.
func (tc *towerConn) send(ctx context.Context, m Message) error {
	b, err := EncodeMessage(m)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	tc.conn.SetWriteDeadline(time.Now().Add(tc.timeout))
	if err := tc.t.WriteFrame(b); err != nil {
		return ctxOr(ctx, fmt.Errorf("wtclient: send %v: %w", m.MsgType(), err))
	}
	return nil
}

// recv reads one message.
func (tc *towerConn) recv(ctx context.Context) (Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tc.conn.SetReadDeadline(time.Now().Add(tc.timeout))
	b, err := tc.t.ReadFrame()
	if err != nil {
		return nil, ctxOr(ctx, fmt.Errorf("wtclient: read from tower: %w", err))
	}
	m, err := DecodeMessage(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTowerReply, err)
	}
	return m, nil
}

// ctxOr adds ctx's error to err when ctx ended, so that errors.Is sees
// the cancellation.
func ctxOr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w (%w)", err, cerr)
	}
	return err
}

// exchangeInit sends our Init, reads the tower's and checks it as lnd's
// CheckRemoteInit does: the same chain, and no required feature bit this
// client does not know. lnd's tower reads the client's Init before it
// sends its own.
func (c *Client) exchangeInit(ctx context.Context, tc *towerConn, features wire.FeatureVector) error {
	if err := tc.send(ctx, &Init{Features: features, ChainHash: c.cfg.ChainHash}); err != nil {
		return err
	}
	m, err := tc.recv(ctx)
	if err != nil {
		return err
	}
	switch m := m.(type) {
	case *Init:
		if m.ChainHash != c.cfg.ChainHash {
			return fmt.Errorf("%w: tower is on chain %v, not %v", ErrTowerInit, m.ChainHash, c.cfg.ChainHash)
		}
		if bit, ok := UnknownRequiredFeature(m.Features); ok {
			return fmt.Errorf("%w: tower requires unknown feature bit %d", ErrTowerInit, bit)
		}
		return nil
	case *Error:
		return &RejectError{Msg: MsgError, Code: m.Code}
	default:
		return fmt.Errorf("%w: %v in reply to Init", ErrTowerReply, m.MsgType())
	}
}
