package peer

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/wire"
)

// rawRemote is a hand-driven remote node: a BOLT 8 transport whose
// messages the test writes itself, talking to a real Peer on the other end
// of a pipe. Everything the Peer sends is collected by a reader goroutine.
type rawRemote struct {
	tr      *Transport
	conn    net.Conn
	msgs    chan wire.Message
	readErr error
	res     chan peerResult
}

type peerResult struct {
	p   *Peer
	err error
}

// dialRaw handshakes with a Peer that runs AcceptConn with cfg.
func dialRaw(t *testing.T, cfg Config) *rawRemote {
	t.Helper()
	c1, c2 := net.Pipe()
	r := &rawRemote{conn: c1, msgs: make(chan wire.Message, 1000), res: make(chan peerResult, 1)}
	go func() {
		p, err := AcceptConn(context.Background(), c2, cfg)
		r.res <- peerResult{p, err}
	}()
	tr, err := Initiate(context.Background(), c1, HandshakeConfig{NodeKey: testKey("raw")}, cfg.NodeKey.PubKey())
	require.NoError(t, err)
	r.tr = tr
	go func() {
		defer close(r.msgs)
		for {
			b, err := tr.ReadFrame()
			if err != nil {
				r.readErr = err
				return
			}
			m, _ := wire.DecodeMessage(b)
			r.msgs <- m
		}
	}()
	t.Cleanup(func() {
		tr.Close()
		for range r.msgs {
		}
	})
	return r
}

// result waits for the Peer's AcceptConn to return.
func (r *rawRemote) result(t *testing.T) (*Peer, error) {
	t.Helper()
	select {
	case res := <-r.res:
		if res.p != nil {
			t.Cleanup(func() { res.p.Close() })
		}
		return res.p, res.err
	case <-time.After(10 * time.Second):
		t.Fatal("AcceptConn did not return")
		return nil, nil
	}
}

// next returns the next message the Peer sent, or nil at the end.
func (r *rawRemote) next(t *testing.T) wire.Message {
	t.Helper()
	select {
	case m := <-r.msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message from the peer")
		return nil
	}
}

// expectWarningAndClose checks that the Peer sent a warning mentioning
// text and then closed the connection.
func (r *rawRemote) expectWarningAndClose(t *testing.T, text string) {
	t.Helper()
	for m := r.next(t); ; m = r.next(t) {
		require.NotNil(t, m, "connection closed without a warning")
		if w, ok := m.(*wire.Warning); ok {
			require.Contains(t, string(w.Data), text)
			break
		}
	}
	for m := range r.msgs {
		_ = m
	}
	require.Error(t, r.readErr, "connection closed after the warning")
}

// initDone sends a plain init and waits for the Peer.
func (r *rawRemote) initDone(t *testing.T) *Peer {
	t.Helper()
	require.NoError(t, r.tr.WriteMessage(&wire.Init{}))
	p, err := r.result(t)
	require.NoError(t, err)
	require.Equal(t, wire.MsgInit, r.next(t).MsgType())
	return p
}

// rawFrame seals msg as the next frame of tr without sending it.
func rawFrame(tr *Transport, msg []byte) []byte {
	b := make([]byte, lengthHeaderSize, lengthHeaderSize+len(msg)+macSize)
	b[0], b[1] = byte(len(msg)>>8), byte(len(msg))
	tr.send.seal(b[:0], b[:2])
	return append(b[:lengthHeaderSize], tr.send.seal(nil, msg)...)
}

func respondAsync(conn net.Conn, ctx context.Context, cfg HandshakeConfig) chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := Respond(ctx, conn, cfg)
		ch <- err
	}()
	return ch
}

func waitErr(t *testing.T, ch chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("handshake did not end")
		return nil
	}
}

func TestAdversarialActOne(t *testing.T) {
	valid := make([]byte, ActOneSize)
	copy(valid[1:], testKey("e").PubKey().SerializeCompressed())
	cases := []struct {
		name  string
		input []byte
		want  error
	}{
		{"garbage", bytes.Repeat([]byte{0xff}, ActOneSize), ErrActOneBadVersion},
		{"bad point", append([]byte{0, 5}, bytes.Repeat([]byte{7}, ActOneSize-2)...), ErrActOneBadPubKey},
		{"bad MAC", valid, ErrActOneBadTag},
		{"short", []byte("hello"), ErrActOneReadFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			c1, c2 := net.Pipe()
			defer c1.Close()
			ch := respondAsync(c2, context.Background(), HandshakeConfig{NodeKey: testKey("b")})
			_, err := c1.Write(tc.input)
			require.NoError(t, err)
			if len(tc.input) < ActOneSize {
				c1.Close()
			}
			require.ErrorIs(t, waitErr(t, ch), tc.want)
			_, err = c1.Read(make([]byte, 1))
			require.Error(t, err, "responder closed the connection")
		})
	}
}

// flipConn xors the byte at offset at of what is read with mask (1 if
// zero).
type flipConn struct {
	net.Conn
	at, pos int
	mask    byte
}

func (c *flipConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.at >= c.pos && c.at < c.pos+n {
		p[c.at-c.pos] ^= max(c.mask, 1)
	}
	c.pos += n
	return n, err
}

func TestAdversarialActMAC(t *testing.T) {
	cases := []struct {
		name      string
		initiator bool // flip on the initiator's reads, else the responder's
		at        int
		mask      byte
		wantI     error
		wantR     error
	}{
		{"act two MAC", true, ActTwoSize - 1, 0, ErrActTwoBadTag, ErrActThreeReadFailed},
		{"act two key prefix", true, 1, 6, ErrActTwoBadPubKey, ErrActThreeReadFailed},
		{"act two key x", true, 5, 0, ErrActTwoBadTag, ErrActThreeReadFailed}, // invalid point or MAC failure
		{"act three ciphertext", false, ActOneSize + 10, 0, nil, ErrActThreeBadCiphertext},
		{"act three MAC", false, ActOneSize + ActThreeSize - 1, 0, nil, ErrActThreeBadTag},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			c1, c2 := net.Pipe()
			var ci, cr net.Conn = c1, c2
			if tc.initiator {
				ci = &flipConn{Conn: c1, at: tc.at, mask: tc.mask}
			} else {
				cr = &flipConn{Conn: c2, at: tc.at, mask: tc.mask}
			}
			ch := respondAsync(cr, context.Background(), HandshakeConfig{NodeKey: testKey("b")})
			tr, err := Initiate(context.Background(), ci, HandshakeConfig{NodeKey: testKey("a")}, testKey("b").PubKey())
			if tc.name == "act two key x" {
				// A flipped x coordinate is either off the curve or
				// a different point, whose ECDH breaks the MAC.
				if !errors.Is(err, ErrActTwoBadPubKey) {
					require.ErrorIs(t, err, ErrActTwoBadTag)
				}
			} else if tc.wantI != nil {
				require.ErrorIs(t, err, tc.wantI)
			} else {
				require.NoError(t, err)
				defer tr.Close()
			}
			require.ErrorIs(t, waitErr(t, ch), tc.wantR)
		})
	}
}

func TestAdversarialStall(t *testing.T) {
	t.Run("responder, context deadline", func(t *testing.T) {
		checkGoroutines(t)
		c1, c2 := net.Pipe()
		defer c1.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		ch := respondAsync(c2, ctx, HandshakeConfig{NodeKey: testKey("b")})
		_, err := c1.Write(make([]byte, 20)) // part of act one, then silence
		require.NoError(t, err)
		err = waitErr(t, ch)
		require.ErrorIs(t, err, ErrActOneReadFailed)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	})
	t.Run("responder, context cancelled", func(t *testing.T) {
		checkGoroutines(t)
		c1, c2 := net.Pipe()
		defer c1.Close()
		ctx, cancel := context.WithCancel(context.Background())
		ch := respondAsync(c2, ctx, HandshakeConfig{NodeKey: testKey("b")})
		_, err := c1.Write(make([]byte, 20))
		require.NoError(t, err)
		cancel()
		err = waitErr(t, ch)
		require.ErrorIs(t, err, ErrActOneReadFailed)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("initiator, handshake timeout", func(t *testing.T) {
		checkGoroutines(t)
		c1, c2 := net.Pipe()
		defer c2.Close()
		go func() { // read act one, never answer
			b := make([]byte, ActOneSize)
			c2.Read(b)
		}()
		_, err := Initiate(context.Background(), c1, HandshakeConfig{NodeKey: testKey("a"), Timeout: 100 * time.Millisecond}, testKey("b").PubKey())
		require.ErrorIs(t, err, ErrActTwoReadFailed)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	})
	t.Run("responder stalled in act three", func(t *testing.T) {
		checkGoroutines(t)
		c1, c2 := net.Pipe()
		defer c1.Close()
		ch := respondAsync(c2, context.Background(), HandshakeConfig{NodeKey: testKey("b"), Timeout: 150 * time.Millisecond})
		hs := newHandshake(true, testKey("a"), testKey("a").PubKey(), testKey("b").PubKey(), bytes.NewReader(bytes.Repeat([]byte{3}, 32)))
		act1, err := hs.genActOne()
		require.NoError(t, err)
		_, err = c1.Write(act1[:])
		require.NoError(t, err)
		_, err = c1.Read(make([]byte, ActTwoSize))
		require.NoError(t, err)
		_, err = c1.Write(make([]byte, 10)) // a tenth of act three
		require.NoError(t, err)
		err = waitErr(t, ch)
		require.ErrorIs(t, err, ErrActThreeReadFailed)
		require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	})
	t.Run("no init", func(t *testing.T) {
		checkGoroutines(t)
		cfg := testConfig(testKey("b"))
		cfg.InitTimeout = 100 * time.Millisecond
		r := dialRaw(t, cfg)
		_, err := r.result(t)
		require.ErrorIs(t, err, ErrInitTimeout)
	})
}

func TestAdversarialInit(t *testing.T) {
	chainA, chainB := wire.ChainHash{0xa}, wire.ChainHash{0xb}
	cases := []struct {
		name  string
		cfg   func(*Config)
		first wire.Message
		want  error
		text  string
	}{
		{"unknown even feature", nil, &wire.Init{Features: wire.NewFeatureVector(100)}, wire.ErrUnknownRequiredFeature, "100"},
		{"unknown even global feature", nil, &wire.Init{GlobalFeatures: wire.NewFeatureVector(98)}, wire.ErrUnknownRequiredFeature, "98"},
		{"known feature we lack, required", nil, &wire.Init{Features: wire.NewFeatureVector(wire.FeatureDualFund)}, wire.ErrUnknownRequiredFeature, "option_dual_fund"},
		{"missing dependency", func(c *Config) {
			c.Features = wire.NewFeatureVector(wire.FeatureZeroConf.Optional(), wire.FeatureSCIDAlias.Optional())
		}, &wire.Init{Features: wire.NewFeatureVector(wire.FeatureZeroConf.Optional())}, wire.ErrFeatureDependency, "option_zeroconf"},
		{"we require, peer lacks", func(c *Config) {
			c.Features = wire.NewFeatureVector(wire.FeatureStaticRemoteKey)
		}, &wire.Init{}, ErrPeerLacksRequiredFeature, "option_static_remotekey"},
		{"no common chain", func(c *Config) { c.Chains = []wire.ChainHash{chainA} },
			&wire.Init{Networks: []wire.ChainHash{chainB}}, ErrNoCommonChain, "no chain in common"},
		{"first message not init", nil, &wire.Ping{NumPongBytes: 1}, ErrNoInit, "not init"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			cfg := testConfig(testKey("b"))
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r := dialRaw(t, cfg)
			require.NoError(t, r.tr.WriteMessage(tc.first))
			p, err := r.result(t)
			require.Nil(t, p)
			require.ErrorIs(t, err, tc.want)
			require.Equal(t, wire.MsgInit, r.next(t).MsgType(), "our init went out first")
			r.expectWarningAndClose(t, tc.text)
		})
	}
	t.Run("odd unknown feature and common chain are fine", func(t *testing.T) {
		checkGoroutines(t)
		cfg := testConfig(testKey("b"))
		cfg.Chains = []wire.ChainHash{chainA, chainB}
		r := dialRaw(t, cfg)
		require.NoError(t, r.tr.WriteMessage(&wire.Init{Features: wire.NewFeatureVector(101), Networks: []wire.ChainHash{chainB}}))
		p, err := r.result(t)
		require.NoError(t, err)
		require.True(t, p.Features().Remote.IsSet(101))
		require.True(t, p.Features().Negotiated.IsEmpty())
		in := r.next(t).(*wire.Init)
		require.Equal(t, cfg.Chains, in.Networks)
	})
	t.Run("bad local config", func(t *testing.T) {
		cfg := testConfig(testKey("b"))
		cfg.Features = wire.NewFeatureVector(100)
		_, err := Listen(nil, cfg)
		require.ErrorIs(t, err, wire.ErrUnknownRequiredFeature)
		_, err = Listen(nil, Config{})
		require.ErrorIs(t, err, ErrNoNodeKey)
	})
}

func TestAdversarialFrames(t *testing.T) {
	msg, err := wire.EncodeMessage(&wire.UnknownMessage{Type: customType, Payload: []byte("some payload bytes")})
	require.NoError(t, err)
	cases := []struct {
		name  string
		frame func(r *rawRemote) []byte
		close bool
		want  error
	}{
		{"bad length MAC", func(r *rawRemote) []byte {
			f := rawFrame(r.tr, msg)
			f[lengthHeaderSize-1] ^= 1
			return f
		}, false, ErrLengthMAC},
		{"bad body MAC", func(r *rawRemote) []byte {
			f := rawFrame(r.tr, msg)
			f[len(f)-1] ^= 1
			return f
		}, false, ErrBodyMAC},
		{"flipped body byte", func(r *rawRemote) []byte {
			f := rawFrame(r.tr, msg)
			f[lengthHeaderSize+3] ^= 0x80
			return f
		}, false, ErrBodyMAC},
		{"truncated body", func(r *rawRemote) []byte {
			f := rawFrame(r.tr, msg)
			return f[:len(f)-5]
		}, true, ErrFrameTruncated},
		{"truncated header", func(r *rawRemote) []byte {
			return rawFrame(r.tr, msg)[:7]
		}, true, ErrFrameTruncated},
		{"oversized length, short body", func(r *rawRemote) []byte {
			// A valid header announcing the maximum 65535 bytes, then
			// only 100: the reader waits for the rest, then sees the
			// stream end.
			f := rawFrame(r.tr, make([]byte, MaxMessageSize))
			return f[:lengthHeaderSize+100]
		}, true, ErrFrameTruncated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			r := dialRaw(t, testConfig(testKey("b")))
			p := r.initDone(t)
			_, err := r.conn.Write(tc.frame(r))
			if tc.close {
				r.conn.Close()
			}
			<-p.Done()
			require.ErrorIs(t, p.Err(), tc.want)
			_, err = p.Receive(context.Background())
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestAdversarialOversizedSend(t *testing.T) {
	checkGoroutines(t)
	a, b := peerPair(t, false, testConfig(testKey("a")), testConfig(testKey("b")))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	big := &wire.UnknownMessage{Type: customType, Payload: make([]byte, wire.MaxPayloadSize+1)}
	require.ErrorIs(t, a.Send(ctx, big), wire.ErrMessageTooLarge)
	require.ErrorIs(t, a.tr.WriteFrame(make([]byte, MaxMessageSize+1)), ErrMessageTooLarge)
	require.ErrorIs(t, a.tr.WriteMessage(big), wire.ErrMessageTooLarge)
	// Nothing was sent and the connection still works.
	require.NoError(t, a.Send(ctx, customMsg(1, 0, 9)))
	m, err := b.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, customMsg(1, 0, 9).Payload, m.(*wire.UnknownMessage).Payload)
}

func TestAdversarialPingFlood(t *testing.T) {
	checkGoroutines(t)
	cfg := testConfig(testKey("b"))
	r := dialRaw(t, cfg)
	p := r.initDone(t)
	go func() {
		for i := 0; i < 100; i++ {
			if r.tr.WriteMessage(&wire.Ping{NumPongBytes: 4}) != nil {
				return
			}
		}
	}()
	<-p.Done()
	require.ErrorIs(t, p.Err(), ErrPingFlood)
	pongs := 0
	for m := r.next(t); m != nil; m = r.next(t) {
		if m.MsgType() == wire.MsgPong {
			require.Len(t, m.(*wire.Pong).Padding, 4)
			pongs++
		}
		if w, ok := m.(*wire.Warning); ok {
			require.Contains(t, string(w.Data), "too many pings")
		}
	}
	require.Equal(t, DefaultPingRateLimit, pongs, "pings within the limit were answered")
}

func TestAdversarialMessages(t *testing.T) {
	cases := []struct {
		name string
		msg  wire.Message
		want error
	}{
		{"unknown even type", &wire.UnknownMessage{Type: 32768, Payload: []byte{1}}, wire.ErrUnknownEvenMessage},
		{"unsolicited pong", &wire.Pong{}, ErrUnexpectedPong},
		{"malformed known message", &wire.UnknownMessage{Type: wire.MsgChannelReady, Payload: []byte{1, 2}}, ErrMalformedMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkGoroutines(t)
			r := dialRaw(t, testConfig(testKey("b")))
			p := r.initDone(t)
			require.NoError(t, r.tr.WriteMessage(tc.msg))
			<-p.Done()
			require.ErrorIs(t, p.Err(), tc.want)
		})
	}
}

// A remote that completes init and then stops reading and answering is
// detected by our pings.
func TestAdversarialDeadPeer(t *testing.T) {
	checkGoroutines(t)
	cfg := testConfig(testKey("b"))
	cfg.PingInterval, cfg.PingTimeout = 30*time.Millisecond, 100*time.Millisecond
	c1, c2 := net.Pipe()
	defer c1.Close()
	res := make(chan peerResult, 1)
	go func() {
		p, err := AcceptConn(context.Background(), c2, cfg)
		res <- peerResult{p, err}
	}()
	tr, err := Initiate(context.Background(), c1, HandshakeConfig{NodeKey: testKey("raw")}, testKey("b").PubKey())
	require.NoError(t, err)
	go tr.WriteMessage(&wire.Init{})
	_, err = tr.ReadMessage() // their init; then never read again
	require.NoError(t, err)
	r := <-res
	require.NoError(t, r.err)
	defer r.p.Close()
	select {
	case <-r.p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("dead peer not detected")
	}
	require.ErrorIs(t, r.p.Err(), ErrPingTimeout)
	require.False(t, errors.Is(r.p.Err(), ErrClosed))
}
