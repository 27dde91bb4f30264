package peer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/wire"
)

// customType is an odd message type outside the BOLTs, delivered to the
// host as a *wire.UnknownMessage.
const customType wire.MessageType = 32769

// randomSize mostly picks small messages, sometimes large ones, and now
// and then the largest a custom message can carry.
func randomSize(r *rand.Rand) int {
	switch x := r.IntN(100); {
	case x < 80:
		return 8 + r.IntN(256)
	case x < 98:
		return 8 + r.IntN(4096)
	case x < 99:
		return wire.MaxPayloadSize
	default:
		return 8 + r.IntN(wire.MaxPayloadSize-8)
	}
}

// customMsg builds message i of a stream: its index, then bytes derived
// from it, so the receiver can check content and order.
func customMsg(seed uint64, i int, size int) *wire.UnknownMessage {
	p := make([]byte, size)
	binary.BigEndian.PutUint64(p, uint64(i))
	var key [32]byte
	binary.BigEndian.PutUint64(key[:], seed)
	binary.BigEndian.PutUint64(key[8:], uint64(i))
	rand.NewChaCha8(key).Read(p[8:])
	return &wire.UnknownMessage{Type: customType, Payload: p}
}

// exchange sends n random messages each way at once and checks both
// streams arrive complete and in order.
func exchange(t *testing.T, a, b *Peer, n int) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	send := func(p *Peer, seed uint64) {
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 0))
		for i := 0; i < n; i++ {
			if err := p.Send(ctx, customMsg(seed, i, randomSize(r))); err != nil {
				errs <- fmt.Errorf("send %d: %w", i, err)
				return
			}
		}
	}
	recv := func(p *Peer, seed uint64) {
		defer wg.Done()
		r := rand.New(rand.NewPCG(seed, 0))
		for i := 0; i < n; i++ {
			m, err := p.Receive(ctx)
			if err != nil {
				errs <- fmt.Errorf("receive %d: %w", i, err)
				return
			}
			want := customMsg(seed, i, randomSize(r))
			got, ok := m.(*wire.UnknownMessage)
			if !ok || got.Type != customType || string(got.Payload) != string(want.Payload) {
				errs <- fmt.Errorf("message %d differs", i)
				return
			}
		}
	}
	wg.Add(4)
	go send(a, 1)
	go send(b, 2)
	go recv(b, 1)
	go recv(a, 2)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestPeerEndToEnd(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		t.Run(map[bool]string{false: "pipe", true: "tcp"}[tcp], func(t *testing.T) {
			checkGoroutines(t)
			ca, cb := testConfig(testKey("a")), testConfig(testKey("b"))
			ca.Features = wire.NewFeatureVector(wire.FeatureStaticRemoteKey, wire.FeatureGossipQueries.Optional(),
				wire.FeatureSCIDAlias.Optional(), wire.FeatureDualFund.Optional())
			cb.Features = wire.NewFeatureVector(wire.FeatureStaticRemoteKey.Optional(), wire.FeatureSCIDAlias.Optional(),
				wire.FeatureZeroConf.Optional(), wire.FeatureOnionMessages.Optional())
			a, b := peerPair(t, tcp, ca, cb)

			// Handshake: each side knows the other's static key.
			require.True(t, a.RemotePubKey().IsEqual(testKey("b").PubKey()))
			require.True(t, b.RemotePubKey().IsEqual(testKey("a").PubKey()))
			require.False(t, a.Inbound())
			require.True(t, b.Inbound())

			// Features: static_remotekey (required by a) and
			// scid_alias are common; nothing else is.
			for _, p := range []*Peer{a, b} {
				f := p.Features()
				require.True(t, f.Has(wire.FeatureStaticRemoteKey))
				require.True(t, f.Negotiated.RequiresFeature(wire.FeatureStaticRemoteKey))
				require.True(t, f.Has(wire.FeatureSCIDAlias))
				require.False(t, f.Negotiated.RequiresFeature(wire.FeatureSCIDAlias))
				require.False(t, f.Has(wire.FeatureGossipQueries))
				require.False(t, f.Has(wire.FeatureZeroConf))
				require.False(t, f.Has(wire.FeatureDualFund))
				require.Equal(t, []wire.FeatureBit{wire.FeatureStaticRemoteKey, wire.FeatureSCIDAlias.Optional()}, f.Negotiated.Bits())
			}
			require.True(t, a.Features().Remote.Equal(cb.Features))
			require.True(t, b.Features().Remote.Equal(ca.Features))

			exchange(t, a, b, 10000)
			// 10000 messages each way use 20000 nonces: 20 rotations
			// per direction, plus the pings below.
			require.GreaterOrEqual(t, a.tr.send.rotations, uint64(20))
			require.GreaterOrEqual(t, a.tr.recv.rotations, uint64(20))
			require.GreaterOrEqual(t, b.tr.send.rotations, uint64(20))
			require.GreaterOrEqual(t, b.tr.recv.rotations, uint64(20))

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for _, n := range []uint16{0, 1, 1000, wire.MaxPongBytes} {
				rtt, err := a.Ping(ctx, n)
				require.NoError(t, err)
				require.Greater(t, rtt, time.Duration(0))
				_, err = b.Ping(ctx, n)
				require.NoError(t, err)
			}
			_, err := a.Ping(ctx, wire.MaxPongBytes+1)
			require.ErrorIs(t, err, ErrPongNotRequested)

			require.NoError(t, a.Close())
			require.NoError(t, a.Close(), "Close is idempotent")
			require.ErrorIs(t, a.Err(), ErrClosed)
			<-b.Done()
			require.Error(t, b.Err())
			_, err = b.Receive(ctx)
			require.Error(t, err)
			require.ErrorIs(t, a.Send(ctx, customMsg(0, 0, 8)), ErrClosed)
		})
	}
}

// A ping asking for 65532 bytes or more gets no pong (BOLT 1); the
// connection goes on.
func TestPeerIgnoresLargePongRequest(t *testing.T) {
	checkGoroutines(t)
	a, b := peerPair(t, false, testConfig(testKey("a")), testConfig(testKey("b")))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, a.Send(ctx, &wire.Ping{NumPongBytes: wire.MaxPongBytes + 1}))
	require.NoError(t, a.Send(ctx, customMsg(7, 0, 16)))
	m, err := b.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, customType, m.MsgType())
	// No pong came back: had it, a (with no ping outstanding) would
	// have failed with ErrUnexpectedPong. A real ping still works.
	_, err = a.Ping(ctx, 3)
	require.NoError(t, err)
	require.NoError(t, a.Err())
}

func TestPeerChannelDispatch(t *testing.T) {
	checkGoroutines(t)
	a, b := peerPair(t, false, testConfig(testKey("a")), testConfig(testKey("b")))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id1, id2 := wire.ChannelID{1}, wire.ChannelID{2}
	mb, err := b.Subscribe(id1)
	require.NoError(t, err)
	_, err = b.Subscribe(id1)
	require.ErrorIs(t, err, ErrAlreadySubscribed)
	pt := wire.NewPoint(testKey("point").PubKey())

	require.NoError(t, a.Send(ctx, &wire.ChannelReady{ChannelID: id1, SecondPerCommitmentPoint: pt}))
	require.NoError(t, a.Send(ctx, &wire.ChannelReady{ChannelID: id2, SecondPerCommitmentPoint: pt}))
	got, err := mb.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, id1, got.(*wire.ChannelReady).ChannelID)
	got, err = b.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, id2, got.(*wire.ChannelReady).ChannelID, "an unclaimed channel goes to the host")

	mb.Close()
	mb.Close()
	_, err = mb.Receive(ctx)
	require.ErrorIs(t, err, ErrMailboxClosed)
	require.NoError(t, a.Send(ctx, &wire.ChannelReady{ChannelID: id1, SecondPerCommitmentPoint: pt}))
	got, err = b.Receive(ctx)
	require.NoError(t, err)
	require.Equal(t, id1, got.(*wire.ChannelReady).ChannelID, "after Close the host gets it")
}

func TestPeerEvents(t *testing.T) {
	checkGoroutines(t)
	a, b := peerPair(t, false, testConfig(testKey("a")), testConfig(testKey("b")))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, a.Send(ctx, &wire.Warning{Data: []byte("careful")}))
	require.NoError(t, a.Send(ctx, &wire.Error{ChannelID: wire.ChannelID{9}, Data: []byte("bad sig")}))
	e := <-b.Events()
	require.Equal(t, EventWarning, e.Kind)
	require.Equal(t, "careful", string(e.Warning.Data))
	e = <-b.Events()
	require.Equal(t, EventError, e.Kind)
	require.Equal(t, wire.ChannelID{9}, e.ChannelID)
	require.Contains(t, e.String(), "bad sig")
	require.NoError(t, a.Close())
	_, open := <-b.Events()
	require.False(t, open, "events close with the connection")
}

// Writes from many goroutines arrive whole and, per goroutine, in order.
func TestPeerConcurrentSend(t *testing.T) {
	checkGoroutines(t)
	a, b := peerPair(t, false, testConfig(testKey("a")), testConfig(testKey("b")))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const writers, each = 8, 200
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				p := make([]byte, 16+(w*37+i)%300)
				binary.BigEndian.PutUint64(p, uint64(w))
				binary.BigEndian.PutUint64(p[8:], uint64(i))
				if err := a.Send(ctx, &wire.UnknownMessage{Type: customType, Payload: p}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	next := make([]uint64, writers)
	for n := 0; n < writers*each; n++ {
		m, err := b.Receive(ctx)
		require.NoError(t, err)
		p := m.(*wire.UnknownMessage).Payload
		w, i := binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:])
		require.Equal(t, next[w], i, "writer %d out of order", w)
		require.Len(t, p, 16+(int(w)*37+int(i))%300)
		next[w]++
	}
	wg.Wait()
}

// A consumer that does not read stops the reader; the sender then blocks
// (its queue and the connection are full) instead of memory growing.
func TestPeerBackpressure(t *testing.T) {
	checkGoroutines(t)
	ca, cb := testConfig(testKey("a")), testConfig(testKey("b"))
	ca.QueueSize, cb.QueueSize = 4, 4
	a, b := peerPair(t, false, ca, cb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sent := 0
	for ; sent < 100; sent++ {
		sctx, scancel := context.WithTimeout(ctx, 200*time.Millisecond)
		err := a.Send(sctx, customMsg(3, sent, 64))
		scancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		require.NoError(t, err)
	}
	// b's mailbox (4) + the message b's reader holds + the one a's
	// writer is writing + a's queue (4): about 10, never 100.
	require.Less(t, sent, 20)
	require.Greater(t, sent, 4)
	for i := 0; i < sent; i++ {
		m, err := b.Receive(ctx)
		require.NoError(t, err)
		require.Equal(t, customMsg(3, i, 64).Payload, m.(*wire.UnknownMessage).Payload)
	}
	require.NoError(t, a.Err())
}

func TestPeerFlushAndDeliverAfterClose(t *testing.T) {
	checkGoroutines(t)
	a, b := peerPair(t, false, testConfig(testKey("a")), testConfig(testKey("b")))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ {
		require.NoError(t, a.Send(ctx, customMsg(5, i, 32)))
	}
	require.NoError(t, a.Flush(ctx))
	// Wait for b to have queued all three, then close a: b still hands
	// out what it queued before reporting the disconnect.
	require.Eventually(t, func() bool { return len(b.host.ch) == 3 }, 5*time.Second, time.Millisecond)
	require.NoError(t, a.Close())
	<-b.Done()
	for i := 0; i < 3; i++ {
		m, err := b.Receive(ctx)
		require.NoError(t, err)
		require.Equal(t, customMsg(5, i, 32).Payload, m.(*wire.UnknownMessage).Payload)
	}
	_, err := b.Receive(ctx)
	require.Error(t, err)
}

func TestPeerOwnPings(t *testing.T) {
	checkGoroutines(t)
	ca, cb := testConfig(testKey("a")), testConfig(testKey("b"))
	ca.PingInterval, ca.PingTimeout = 20*time.Millisecond, 2*time.Second
	cb.PingRateLimit = 1000 // b would otherwise call this a flood
	a, _ := peerPair(t, false, ca, cb)
	time.Sleep(300 * time.Millisecond)
	require.NoError(t, a.Err(), "pings answered, connection alive")
}
