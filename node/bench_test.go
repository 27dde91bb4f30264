package node

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/wire"
)

// payMany sends count keysend payments of amt from a to b with the
// given concurrency and returns how many succeeded.
func payMany(ctx context.Context, a, b *testNode, count, concurrency int, amt wire.MilliSatoshi) (int, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	var firstErr error
	work := make(chan struct{})
	for w := 0; w < concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				p, err := a.SendKeysend(ctx, KeysendRequest{Destination: b.NodeID(), Amount: amt})
				mu.Lock()
				if err == nil && p.Status == PaymentStatusSucceeded {
					ok++
				} else if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < count; i++ {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	return ok, firstErr
}

// TestNodeLoadConcurrent sends 400 keysend payments, 40 at a time, over
// two channels: every one succeeds, and the balances account for every
// msat.
func TestNodeLoadConcurrent(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 0)
	tn.connect(a, b)
	c1 := tn.openChannel(a, b, 1_000_000, 0)
	c2 := tn.openChannel(a, b, 1_000_000, 0)
	const count, amt = 400, 1_000_000
	ok, err := payMany(tn.ctx, a, b, count, 40, amt)
	if ok != count {
		t.Fatalf("%d of %d payments succeeded (first error %v)", ok, count, err)
	}
	tn.waitFor("bob's balances", func() bool {
		return b.channel(t, c1).Local+b.channel(t, c2).Local == count*amt
	})
	ps, _ := a.ListPayments(tn.ctx)
	if len(ps) != count {
		t.Fatalf("%d payments listed", len(ps))
	}
}

// BenchmarkNodePayInvoice pays invoices one at a time between two nodes
// over one channel, each node on store.File on the real disk: b.N
// payments, reported as payments/s.
func BenchmarkNodePayInvoice(b *testing.B) {
	runNodeBench(b, func(tn *testNet, a, bob *testNode, _ []wire.ChannelID) {
		b.ResetTimer()
		start := time.Now()
		for i := 0; i < b.N; i++ {
			inv, err := bob.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 10_000, Description: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "payments/s")
	}, 1)
}

// BenchmarkNodeLoad sends 10,000 keysend payments (64 in flight at a
// time) over one channel, and over ten, and reports payments/s, the heap
// per channel and the node's goroutines per peer.
func BenchmarkNodeLoad(b *testing.B) {
	for _, channels := range []int{1, 10} {
		b.Run(map[int]string{1: "1channel", 10: "10channels"}[channels], func(b *testing.B) {
			runNodeBench(b, func(tn *testNet, a, bob *testNode, ids []wire.ChannelID) {
				const count = 10_000
				var before runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					ok, err := payMany(tn.ctx, a, bob, count, 64, 10_000)
					if ok != count {
						b.Fatalf("%d of %d succeeded: %v", ok, count, err)
					}
				}
				el := time.Since(start)
				b.StopTimer()
				var after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(b.N*count)/el.Seconds(), "payments/s")
				heap := float64(after.HeapAlloc)
				if after.HeapAlloc > before.HeapAlloc {
					heap = float64(after.HeapAlloc - before.HeapAlloc)
				}
				b.ReportMetric(heap/float64(len(ids)), "heap-bytes/channel")
			}, channels)
		})
	}
}

// runNodeBench builds two nodes with the given number of channels and
// runs fn.
func runNodeBench(b *testing.B, fn func(tn *testNet, a, bob *testNode, ids []wire.ChannelID), channels int) {
	g0 := runtime.NumGoroutine()
	tn := newTestNet(b)
	a := tn.addNode("alice", btcutil.Amount(channels)*11_000_000)
	bob := tn.addNode("bob", 0)
	tn.connect(a, bob)
	// Two nodes with one peer each: what they run at rest. Reported after
	// fn, since fn's ResetTimer deletes metrics reported before it.
	perNode := float64(runtime.NumGoroutine()-g0) / 2
	defer b.ReportMetric(perNode, "goroutines/node")
	var ids []wire.ChannelID
	for i := 0; i < channels; i++ {
		ids = append(ids, tn.openChannel(a, bob, 10_000_000, 0))
	}
	fn(tn, a, bob, ids)
}
