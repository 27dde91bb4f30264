package rpc

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lnkit/lnkit/store"
)

func events(from, to uint32, sign string) []string {
	var ev []string
	if sign == "+" {
		for h := from; h <= to; h++ {
			ev = append(ev, fmt.Sprintf("+%d", h))
		}
		return ev
	}
	for h := from; h >= to; h-- {
		ev = append(ev, fmt.Sprintf("-%d", h))
	}
	return ev
}

func wantEvents(t *testing.T, r *recorder, want ...[]string) {
	t.Helper()
	got := r.take()
	w := slices.Concat(want...)
	if !slices.Equal(got, w) {
		t.Fatalf("events %v; want %v", got, w)
	}
}

func mustSync(t *testing.T, p *Poller) {
	t.Helper()
	if err := p.Sync(bg); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

// newPoller makes a Poller that starts at the node's current tip.
func newPoller(t *testing.T, n *node, r *recorder, cfg PollerConfig) *Poller {
	t.Helper()
	cfg.Source, cfg.Listener = n.client, r
	p, err := NewPoller(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return p
}

// TestPollerConnects: blocks mined after the start are delivered in order,
// each with all its transactions.
func TestPollerConnects(t *testing.T) {
	miner := newKey(t, 1)
	n := startBtcd(t, miner.addr)
	n.generate(t, 5)
	r := newRecorder(t)
	r.seed(5, n.hashAt(t, 5))
	p := newPoller(t, n, r, PollerConfig{})
	mustSync(t, p)
	wantEvents(t, r) // starts at the tip: nothing to deliver
	if tip, ok := p.Tip(); !ok || tip.Height != 5 || tip.Hash != n.hashAt(t, 5) {
		t.Fatalf("Tip() = %v, %v; want height 5", tip, ok)
	}
	mined := n.generate(t, 3)
	mustSync(t, p)
	wantEvents(t, r, events(6, 8, "+"))
	r.matches(t, n)
	for i, hash := range mined {
		b := r.blocks[hash]
		if b == nil || b.Height != uint32(6+i) || len(b.Txs) != 1 || b.Txs[0].Index != 0 || !isCoinbase(b.Txs[0].Tx) {
			t.Fatalf("block %s delivered as %+v; want height %d with its coinbase", hash, b, 6+i)
		}
	}
	mustSync(t, p)
	wantEvents(t, r) // nothing new
}

// TestPollerFromStart: a Start checkpoint below the tip delivers every
// block above it.
func TestPollerFromStart(t *testing.T) {
	n := startBtcd(t, newKey(t, 1).addr)
	n.generate(t, 4)
	r := newRecorder(t)
	r.seed(1, n.hashAt(t, 1))
	p := newPoller(t, n, r, PollerConfig{Start: &Checkpoint{Height: 1, Hash: n.hashAt(t, 1)}})
	mustSync(t, p)
	wantEvents(t, r, events(2, 4, "+"))
	r.matches(t, n)
}

// TestPollerReorg: after invalidateblock and a longer (or a shorter)
// branch, the orphaned blocks are disconnected tip first back to the fork,
// then the new branch is connected.
func TestPollerReorg(t *testing.T) {
	n := startBtcd(t, newKey(t, 1).addr)
	n.generate(t, 10)
	r := newRecorder(t)
	r.seed(10, n.hashAt(t, 10))
	p := newPoller(t, n, r, PollerConfig{})
	mustSync(t, p)

	old := n.bestChain(t, 8)
	n.invalidate(t, 8) // orphans 8, 9, 10
	n.generate(t, 5)   // new 8..12
	mustSync(t, p)
	wantEvents(t, r, events(10, 8, "-"), events(8, 12, "+"))
	r.matches(t, n)
	for h := uint32(8); h <= 10; h++ {
		if old[h] == n.hashAt(t, h) {
			t.Fatalf("block %d was not replaced", h)
		}
	}

	// A reorganisation to a shorter chain: three blocks out, one in.
	n.invalidate(t, 10)
	n.generate(t, 1)
	mustSync(t, p)
	wantEvents(t, r, events(12, 10, "-"), events(10, 10, "+"))
	r.matches(t, n)

	// A tip that fell back with no new block at all.
	n.invalidate(t, 10)
	mustSync(t, p)
	wantEvents(t, r, events(10, 10, "-"))
	r.matches(t, n)
}

// TestPollerListenerError: a Listener error stops the sync at that block,
// which is delivered again at the next sync.
func TestPollerListenerError(t *testing.T) {
	n := startBtcd(t, newKey(t, 1).addr)
	r := newRecorder(t)
	r.seed(0, n.hashAt(t, 0))
	p := newPoller(t, n, r, PollerConfig{Store: store.NewMemory()})
	mustSync(t, p)
	n.generate(t, 4)
	r.failAt = 3
	if err := p.Sync(bg); !errors.Is(err, errListener) {
		t.Fatalf("Sync with a failing listener = %v; want its error", err)
	}
	if tip, _ := p.Tip(); tip.Height != 2 {
		t.Fatalf("tip %d after the listener refused block 3; want 2", tip.Height)
	}
	mustSync(t, p)
	wantEvents(t, r, []string{"+1", "+2", "!3", "+3", "+4"})
	r.matches(t, n)
}

// TestPollerRestartResume: a Poller on a Store resumes after the last block
// it delivered, and on restart disconnects what left the best chain while
// it was down; with a window smaller than the reorganisation, the missing
// headers come from the node.
func TestPollerRestartResume(t *testing.T) {
	for _, window := range []int{0, 2} {
		t.Run(fmt.Sprintf("window=%d", window), func(t *testing.T) {
			n := startBtcd(t, newKey(t, 1).addr)
			n.generate(t, 6)
			st, err := store.OpenFile(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			r := newRecorder(t)
			r.seed(6, n.hashAt(t, 6))
			cfg := PollerConfig{Store: st, Window: window}
			p := newPoller(t, n, r, cfg)
			mustSync(t, p)
			n.generate(t, 2)
			mustSync(t, p)
			wantEvents(t, r, events(7, 8, "+"))

			// Down while two blocks come: the new Poller delivers just those
			// (its Start is ignored: the Store has the position).
			n.generate(t, 2)
			cfg.Start = &Checkpoint{Height: 0, Hash: n.hashAt(t, 0)}
			p = newPoller(t, n, r, cfg)
			mustSync(t, p)
			wantEvents(t, r, events(9, 10, "+"))

			// Down during a reorganisation of three blocks.
			n.invalidate(t, 8)
			n.generate(t, 4) // new 8..11
			p = newPoller(t, n, r, cfg)
			mustSync(t, p)
			wantEvents(t, r, events(10, 8, "-"), events(8, 11, "+"))
			r.matches(t, n)

			// And the stored position is the node's tip.
			tip, header, _, found, err := loadCursor(bg, st, DefaultKey)
			if err != nil || !found || tip.Height != 11 || tip.Hash != n.hashAt(t, 11) || header.BlockHash() != tip.Hash {
				t.Fatalf("stored position %v (found %v, %v); want the tip at 11", tip, found, err)
			}
		})
	}
}

// TestPollerStartStop: the goroutine follows the chain until Stop, which
// waits for it; Sync and a second Start are refused while it runs.
func TestPollerStartStop(t *testing.T) {
	n := startBtcd(t, newKey(t, 1).addr)
	r := newRecorder(t)
	r.seed(0, n.hashAt(t, 0))
	p := newPoller(t, n, r, PollerConfig{Interval: 20 * time.Millisecond, Start: &Checkpoint{Height: 0, Hash: n.hashAt(t, 0)}})
	if err := p.Start(bg); err != nil {
		t.Fatal(err)
	}
	if err := p.Start(bg); !errors.Is(err, ErrStarted) {
		t.Fatalf("second Start = %v; want ErrStarted", err)
	}
	if err := p.Sync(bg); !errors.Is(err, ErrStarted) {
		t.Fatalf("Sync while running = %v; want ErrStarted", err)
	}
	n.generate(t, 3)
	deadline := time.Now().Add(30 * time.Second)
	for r.tipHeight() != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the running poller delivered up to %d of 3 blocks", r.tipHeight())
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.Stop()
	p.Stop() // a second Stop is a no-op
	n.generate(t, 2)
	mustSync(t, p) // the goroutine is gone: Sync runs
	wantEvents(t, r, events(1, 5, "+"))
	r.matches(t, n)
}
