package peer

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lnkit/lnkit/wire"
)

// TestPeerConcurrentPings pings from 8 goroutines at once, each with its
// own num_pong_bytes, while both sides' keepalive pings run at a 1 ms
// interval. BOLT 1 matches pongs to pings only by order and length, so a
// ping that reaches the wire in another order than it was registered
// makes the pong look wrong and drops the connection. Every ping must get
// its pong and both connections must stay up.
func TestPeerConcurrentPings(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		name := "pipe"
		if tcp {
			name = "tcp"
		}
		t.Run(name, func(t *testing.T) {
			checkGoroutines(t)
			ca, cb := testConfig(testKey("a")), testConfig(testKey("b"))
			ca.PingInterval, ca.PingTimeout = time.Millisecond, time.Minute
			cb.PingInterval, cb.PingTimeout = time.Millisecond, time.Minute
			// Neither side may call the other's pings a flood.
			ca.PingRateLimit, cb.PingRateLimit = 1<<30, 1<<30
			a, b := peerPair(t, tcp, ca, cb)

			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			const workers, rounds = 8, 200
			var (
				wg     sync.WaitGroup
				ponged atomic.Int64
				errs   = make(chan error, workers)
			)
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < rounds; i++ {
						// Sizes differ between workers and from
						// the keepalive's 0.
						n := uint16(1 + w*100 + i%50)
						if _, err := a.Ping(ctx, n); err != nil {
							errs <- fmt.Errorf("worker %d, round %d, %d bytes: %w", w, i, n, err)
							return
						}
						ponged.Add(1)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			require.Equal(t, int64(workers*rounds), ponged.Load(), "every ping got its pong")
			require.NoError(t, a.Err(), "a stays connected")
			require.NoError(t, b.Err(), "b stays connected")
		})
	}
}

// TestPeerPingLimit checks that pings waiting in the outbound queue count
// towards the limit of outstanding pings: the remote completes init and
// then never reads, so no ping of ours is written (the pipe blocks) and
// none is answered.
func TestPeerPingLimit(t *testing.T) {
	checkGoroutines(t)
	cfg := testConfig(testKey("b"))
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
	p := r.p
	defer p.Close()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, maxOutstandingPings)
	for i := 0; i < maxOutstandingPings; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := p.Ping(ctx, uint16(i))
			errs <- err
		}()
	}
	// Wait until every ping is queued (or, the first, written and
	// blocked): then all of them are reserved.
	inFlight := func() int {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.pings) + len(p.out)
	}
	require.Eventually(t, func() bool { return inFlight() == maxOutstandingPings },
		10*time.Second, time.Millisecond)
	// A bounded context, so that a broken limit fails the test instead
	// of waiting for a pong that cannot come.
	short, cancelShort := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelShort()
	_, err = p.Ping(short, 1)
	require.ErrorIs(t, err, ErrTooManyPings)
	cancel()
	wg.Wait()
	close(errs)
	for err := range errs {
		require.ErrorIs(t, err, context.Canceled)
	}
	// The cancelled pings were queued, so they stay outstanding until
	// their pongs come: the limit still holds.
	_, err = p.Ping(short, 1)
	require.ErrorIs(t, err, ErrTooManyPings)
	require.NoError(t, p.Err())
}

// TestPeerOwedPongs checks that the reader never blocks on writing a pong:
// a remote that completes init, stops reading and keeps pinging is failed
// with ErrPingFlood once maxOwedPongs pongs are owed, instead of stalling
// our reader behind a write that cannot finish.
func TestPeerOwedPongs(t *testing.T) {
	checkGoroutines(t)
	cfg := testConfig(testKey("b"))
	cfg.PingRateLimit = 1 << 30
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
	p := r.p
	defer p.Close()

	// A reader that blocked on its pong would stop reading our pings; the
	// deadline turns that into a failed write instead of a hung test.
	c1.SetWriteDeadline(time.Now().Add(30 * time.Second))
	sent := 0
	for ; sent < 2*maxOwedPongs; sent++ {
		if tr.WriteMessage(&wire.Ping{NumPongBytes: 8}) != nil {
			break // the peer closed the connection, or stopped reading
		}
	}
	select {
	case <-p.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("peer still up after %d unanswerable pings", sent)
	}
	require.ErrorIs(t, p.Err(), ErrPingFlood)
	require.Greater(t, sent, maxOwedPongs, "the reader kept reading pings")
}
