package rpc

import (
	"context"
	"errors"
	"testing"

	btcwire "github.com/btcsuite/btcd/wire"
	"github.com/lnkit/lnkit/chain"
)

// TestClientContext: a done context ends every call with its error.
func TestClientContext(t *testing.T) {
	n := startBtcd(t, newKey(t, 1).addr)
	ctx, cancel := context.WithCancel(bg)
	cancel()
	if _, err := n.client.BlockCount(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("BlockCount = %v; want context.Canceled", err)
	}
	if _, err := n.client.EstimateFeeRate(ctx, 6); !errors.Is(err, context.Canceled) {
		t.Errorf("EstimateFeeRate = %v; want context.Canceled", err)
	}
	if err := n.client.Broadcast(ctx, btcwire.NewMsgTx(2)); !errors.Is(err, context.Canceled) {
		t.Errorf("Broadcast = %v; want context.Canceled", err)
	}
	if _, err := Dial(ctx, Config{Host: n.rpcAddr, User: rpcUser, Pass: rpcPass,
		Certificates: mustRead(t, n.dir+"/rpc.cert")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Dial = %v; want context.Canceled", err)
	}
}

// blockingListener blocks in BlockConnected until its context ends.
type blockingListener struct{ entered chan struct{} }

func (l *blockingListener) BlockConnected(ctx context.Context, _ *chain.Block) error {
	close(l.entered)
	<-ctx.Done()
	return ctx.Err()
}

func (l *blockingListener) BlockDisconnected(context.Context, btcwire.BlockHeader, uint32) error {
	return nil
}

// TestPollerStopCancelsListener: Stop cancels the context of a Listener
// call in progress and waits for the goroutine; the block is not recorded
// as delivered.
func TestPollerStopCancelsListener(t *testing.T) {
	n := startBtcd(t, newKey(t, 1).addr)
	n.generate(t, 1)
	l := &blockingListener{entered: make(chan struct{})}
	p, err := NewPoller(PollerConfig{Source: n.client, Listener: l, Start: &Checkpoint{Height: 0, Hash: n.hashAt(t, 0)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(bg); err != nil {
		t.Fatal(err)
	}
	<-l.entered
	p.Stop()
	if tip, _ := p.Tip(); tip.Height != 0 {
		t.Fatalf("tip %d after the listener was cancelled; want 0", tip.Height)
	}
}
