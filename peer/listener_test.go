package peer

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Good and bad clients at once: the bad ones fail alone.
func TestListener(t *testing.T) {
	checkGoroutines(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := testConfig(testKey("server"))
	srv.Timeout = 500 * time.Millisecond
	l, err := Listen(ln, srv)
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// A client that sends garbage, and one that connects and stalls.
	bad, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer bad.Close()
	_, err = bad.Write(make([]byte, ActOneSize))
	require.NoError(t, err)
	stall, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer stall.Close()

	const clients = 3
	dialed := make(chan *Peer, clients)
	for i := 0; i < clients; i++ {
		go func() {
			p, err := Dial(ctx, nil, l.Addr().String(), testKey("server").PubKey(), testConfig(testKey(string(rune('a'+i)))))
			if err != nil {
				t.Error(err)
			}
			dialed <- p
		}()
	}
	seen := map[string]bool{}
	for i := 0; i < clients; i++ {
		p, err := l.Accept(ctx)
		require.NoError(t, err)
		defer p.Close()
		require.True(t, p.Inbound())
		seen[string(p.RemotePubKey().SerializeCompressed())] = true
	}
	for i := 0; i < clients; i++ {
		p := <-dialed
		require.NotNil(t, p)
		defer p.Close()
		rtt, err := p.Ping(ctx, 8)
		require.NoError(t, err)
		require.Positive(t, rtt)
		seen[string(p.RemotePubKey().SerializeCompressed())] = true
	}
	require.Len(t, seen, clients+1)

	// The garbage client was dropped.
	bad.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err = bad.Read(make([]byte, 1))
	require.Error(t, err)

	require.NoError(t, l.Close())
	require.NoError(t, l.Close())
	_, err = l.Accept(ctx)
	require.ErrorIs(t, err, ErrListenerClosed)
}
