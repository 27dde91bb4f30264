package onion

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentReplay processes one packet from many goroutines on a
// shared Processor: exactly one succeeds, the others see a replay.
func TestConcurrentReplay(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{11})
	nodes := newTestNodes(t, rng, 2)
	hops := []Hop{{PubKey: nodes[0].priv.PubKey(), Payload: []byte{2, 1, 1}}, {PubKey: nodes[1].priv.PubKey(), Payload: []byte{2, 1, 2}}}
	pkt, _, err := NewPacket(rng, hops, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ok, replayed atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := nodes[0].proc.Process(context.Background(), pkt, nil, &ProcessOptions{CLTVExpiry: 10})
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrReplayedPacket):
				replayed.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || replayed.Load() != 7 {
		t.Fatalf("ok %d replayed %d", ok.Load(), replayed.Load())
	}
	log := nodes[0].proc.replay.(*MemoryReplayLog)
	if log.Len() != 1 || log.Prune(11) != 1 || log.Len() != 0 {
		t.Fatal("prune")
	}
}
