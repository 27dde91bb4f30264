package routing

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentUse routes, applies gossip, flushes nothing and records
// mission results from several goroutines at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	b, req, mc := twoWays(t)
	scid := b.channel("A", "B", 1000, pol(1, 1, 1), pol(1, 1, 1))
	var wg sync.WaitGroup
	var n atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				r, err := b.g.FindRoute(ctx, req)
				if errors.Is(err, ErrNoRoute) {
					continue // the failures closed both sides for now
				}
				if err != nil {
					t.Error(err)
					return
				}
				n.Add(1)
				if w == 0 {
					mc.ReportFailure(t0.Add(time.Duration(i)*time.Second), r, Failure{ErringNode: 1, Code: codeTemporaryChannelFailure}, b.g)
				} else {
					mc.ReportSuccess(t0, r)
				}
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			p := pol(1, uint32(i), 1)
			p.Timestamp += uint32(i + 1)
			b.update(scid, "A", "B", p)
			b.g.NumChannels()
		}
	}()
	wg.Wait()
	if n.Load() == 0 {
		t.Fatal("no route found at all")
	}
}
