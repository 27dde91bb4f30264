package peer

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
)

// DefaultHandshakeTimeout bounds a BOLT 8 handshake when the context has no
// earlier deadline.
const DefaultHandshakeTimeout = 15 * time.Second

// HandshakeConfig is what the BOLT 8 handshake needs from the host.
type HandshakeConfig struct {
	// NodeKey is the node's static key: its public key and ECDH with it
	// (wire.NewPrivateNodeKey for a key in memory). Required, with a
	// non-nil PubKey.
	NodeKey wire.NodeKey
	// Rand is the source of ephemeral keys; nil means crypto/rand.
	Rand io.Reader
	// Timeout bounds the whole handshake; zero means
	// DefaultHandshakeTimeout. A context deadline that comes earlier wins.
	Timeout time.Duration
}

func (c *HandshakeConfig) resolve() (wire.NodeKey, *btcec.PublicKey, io.Reader, error) {
	if c.NodeKey == nil {
		return nil, nil, nil, ErrNoNodeKey
	}
	pub := c.NodeKey.PubKey()
	if pub == nil {
		return nil, nil, nil, ErrNoNodeKey
	}
	rnd := c.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	return c.NodeKey, pub, rnd, nil
}

// Initiate runs the initiator side of the BOLT 8 handshake on conn, which
// the host has already dialled, towards the node whose static key is
// remote. On success it returns the encrypted transport; on failure conn is
// closed and the error wraps one of the ErrActTwo... sentinels (or a write,
// context or configuration error).
//
// The handshake ends by ctx's deadline or cancellation, or after
// cfg.Timeout, whichever comes first: a peer that stalls mid-act cannot
// hold the calling goroutine.
func Initiate(ctx context.Context, conn net.Conn, cfg HandshakeConfig, remote *btcec.PublicKey) (*Transport, error) {
	key, pub, rnd, err := cfg.resolve()
	if err == nil && remote == nil {
		err = ErrNoRemoteKey
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	hs := newHandshake(true, key, pub, remote, rnd)
	var t *Transport
	err = runWithDeadline(ctx, conn, cfg.Timeout, func() error {
		act1, err := hs.genActOne()
		if err != nil {
			return err
		}
		if _, err := conn.Write(act1[:]); err != nil {
			return fmt.Errorf("%w: act one: %w", ErrActWriteFailed, err)
		}
		var act2 [ActTwoSize]byte
		if _, err := io.ReadFull(conn, act2[:]); err != nil {
			return fmt.Errorf("%w: %w", ErrActTwoReadFailed, err)
		}
		if err := hs.recvActTwo(&act2); err != nil {
			return err
		}
		act3, sk, rk, err := hs.genActThree()
		if err != nil {
			return err
		}
		if _, err := conn.Write(act3[:]); err != nil {
			return fmt.Errorf("%w: act three: %w", ErrActWriteFailed, err)
		}
		t = newTransport(conn, remote, sk, rk, hs.ck)
		return nil
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return t, nil
}

// Respond runs the responder side of the BOLT 8 handshake on an accepted
// conn. On success the returned transport knows the initiator's static key
// (Transport.RemotePubKey). On failure conn is closed and the error wraps
// one of the ErrActOne... or ErrActThree... sentinels.
//
// Deadlines work as for Initiate.
func Respond(ctx context.Context, conn net.Conn, cfg HandshakeConfig) (*Transport, error) {
	key, pub, rnd, err := cfg.resolve()
	if err != nil {
		conn.Close()
		return nil, err
	}
	hs := newHandshake(false, key, pub, nil, rnd)
	var t *Transport
	err = runWithDeadline(ctx, conn, cfg.Timeout, func() error {
		var act1 [ActOneSize]byte
		if _, err := io.ReadFull(conn, act1[:]); err != nil {
			return fmt.Errorf("%w: %w", ErrActOneReadFailed, err)
		}
		if err := hs.recvActOne(&act1); err != nil {
			return err
		}
		act2, err := hs.genActTwo()
		if err != nil {
			return err
		}
		if _, err := conn.Write(act2[:]); err != nil {
			return fmt.Errorf("%w: act two: %w", ErrActWriteFailed, err)
		}
		var act3 [ActThreeSize]byte
		if _, err := io.ReadFull(conn, act3[:]); err != nil {
			return fmt.Errorf("%w: %w", ErrActThreeReadFailed, err)
		}
		sk, rk, err := hs.recvActThree(&act3)
		if err != nil {
			return err
		}
		t = newTransport(conn, hs.rs, sk, rk, hs.ck)
		return nil
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return t, nil
}

// runWithDeadline runs fn with conn's deadline set from ctx and timeout,
// and makes ctx's cancellation interrupt blocked I/O. It clears the
// deadline afterwards. If ctx ended during fn, the returned error also
// wraps ctx.Err().
func runWithDeadline(ctx context.Context, conn net.Conn, timeout time.Duration, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("peer: set handshake deadline: %w", err)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		conn.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	err := fn()
	if !stop() {
		// The cancellation ran (or is running): wait for it so it cannot
		// set a deadline after we clear it.
		<-fired
		if err == nil {
			err = ctx.Err()
		} else if !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return err
	}
	if err != nil {
		return err
	}
	// Clearing fails only if the connection has been closed, which the
	// next read or write reports anyway.
	_ = conn.SetDeadline(time.Time{})
	return nil
}
