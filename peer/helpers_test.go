package peer

import (
	"context"
	"crypto/sha256"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/wire"
	"github.com/stretchr/testify/require"
)

// testKey returns a deterministic node key.
func testKey(seed string) *wire.PrivateNodeKey {
	h := sha256.Sum256([]byte(seed))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return wire.NewPrivateNodeKey(k)
}

// checkGoroutines fails the test if, a short while after it ends, more
// goroutines run than when it started.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(3 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("goroutine leak: %d before, %d after\n%s", before, n, buf)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// connPair returns two connected net.Conns: an in-memory pipe, or a
// loopback TCP connection.
func connPair(t *testing.T, tcp bool) (net.Conn, net.Conn) {
	t.Helper()
	if !tcp {
		return net.Pipe()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := ln.Accept()
		ch <- res{c, err}
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	r := <-ch
	require.NoError(t, r.err)
	return a, r.c
}

// testConfig is a configuration with our pings off unless a test turns
// them on.
func testConfig(key wire.NodeKey) Config {
	return Config{HandshakeConfig: HandshakeConfig{NodeKey: key}, PingInterval: -1}
}

// peerPair connects a (outbound) to b (inbound) over a fresh connection.
func peerPair(t *testing.T, tcp bool, ca, cb Config) (*Peer, *Peer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c1, c2 := connPair(t, tcp)
	bKey := cb.NodeKey.PubKey()
	type res struct {
		p   *Peer
		err error
	}
	ch := make(chan res, 1)
	go func() {
		p, err := AcceptConn(ctx, c2, cb)
		ch <- res{p, err}
	}()
	a, err := Connect(ctx, c1, bKey, ca)
	r := <-ch
	require.NoError(t, err)
	require.NoError(t, r.err)
	t.Cleanup(func() { a.Close(); r.p.Close() })
	return a, r.p
}

// transportPair runs the handshake over a fresh connection and returns the
// initiator's and the responder's transports.
func transportPair(t *testing.T, tcp bool) (*Transport, *Transport) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c1, c2 := connPair(t, tcp)
	ka, kb := testKey("a"), testKey("b")
	type res struct {
		tr  *Transport
		err error
	}
	ch := make(chan res, 1)
	go func() {
		tr, err := Respond(ctx, c2, HandshakeConfig{NodeKey: kb})
		ch <- res{tr, err}
	}()
	a, err := Initiate(ctx, c1, HandshakeConfig{NodeKey: ka}, kb.PubKey())
	r := <-ch
	require.NoError(t, err)
	require.NoError(t, r.err)
	t.Cleanup(func() { a.Close(); r.tr.Close() })
	return a, r.tr
}
