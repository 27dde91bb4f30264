package routing

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

// fan is S with local channels to A, B and C, each of which has a roomy
// channel to T.
func fan(t *testing.T, spendable ...wire.MilliSatoshi) (*tgraph, *Request) {
	b := newTGraph(t)
	var locals []LocalChannel
	for i, n := range []string{"A", "B", "C"} {
		scid := b.channel("S", n, 10_000_000, pol(0, 0, 40), pol(0, 0, 40))
		b.channel(n, "T", 10_000_000, pol(wire.MilliSatoshi(100*(i+1)), 100, 40), pol(0, 0, 40))
		locals = append(locals, LocalChannel{ShortChannelID: scid, Peer: b.id(n), Spendable: spendable[i]})
	}
	return b, &Request{Source: b.id("S"), Target: b.id("T"), MaxFee: NoFeeLimit, LocalChannels: locals}
}

// checkParts checks that parts pay exactly amt and that no local channel
// carries more than its spendable balance.
func checkParts(t *testing.T, req *Request, parts []*Route, amt wire.MilliSatoshi) {
	t.Helper()
	var sum wire.MilliSatoshi
	used := map[wire.ShortChannelID]wire.MilliSatoshi{}
	for _, r := range parts {
		sum += r.Amount()
		used[r.Hops[0].ShortChannelID] += r.TotalAmount
		if r.TotalAmount != r.Amount()+r.TotalFees {
			t.Fatalf("part %+v: amounts do not add up", r)
		}
	}
	if sum != amt {
		t.Fatalf("parts pay %v, want %v", sum, amt)
	}
	for _, lc := range req.LocalChannels {
		if used[lc.ShortChannelID] > lc.Spendable {
			t.Fatalf("channel %v carries %v of %v spendable", lc.ShortChannelID, used[lc.ShortChannelID], lc.Spendable)
		}
	}
}

func TestFindRoutesSingleWhenPossible(t *testing.T) {
	b, req := fan(t, 200_000_000, 1, 1)
	req.Amount = 100_000_000
	parts, err := b.g.FindRoutes(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 {
		t.Fatalf("%d parts", len(parts))
	}
	checkParts(t, req, parts, req.Amount)
}

func TestFindRoutesSplitsOverBalances(t *testing.T) {
	b, req := fan(t, 40_000_000, 40_000_000, 40_000_000)
	req.Amount = 100_000_000 // no channel holds it: at least three parts
	if _, err := b.g.FindRoute(ctx, req); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("single route: %v", err)
	}
	parts, err := b.g.FindRoutes(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 3 {
		t.Fatalf("%d parts", len(parts))
	}
	checkParts(t, req, parts, req.Amount)

	// More than the balances hold fails.
	req.Amount = 120_000_000
	if _, err := b.g.FindRoutes(ctx, req, nil); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("over the balances: %v", err)
	}
	// MaxParts bounds the split.
	req.Amount = 100_000_000
	if _, err := b.g.FindRoutes(ctx, req, &SplitOptions{MaxParts: 2}); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("two parts: %v", err)
	}
}

// TestFindRoutesSplitsImprobable: one path barely holds the amount, so a
// single route is unlikely; two roomy halves are likelier together.
func TestFindRoutesSplitsImprobable(t *testing.T) {
	b := newTGraph(t)
	b.channel("S", "A", 10_000_000, pol(0, 0, 40), pol(0, 0, 40))
	b.channel("A", "T", 1_100_000, pol(0, 0, 40), pol(0, 0, 40))
	b.channel("S", "B", 10_000_000, pol(0, 0, 40), pol(0, 0, 40))
	b.channel("B", "T", 1_100_000, pol(0, 0, 40), pol(0, 0, 40))
	req := &Request{Source: b.id("S"), Target: b.id("T"), Amount: 1_000_000_000, MaxFee: NoFeeLimit}
	single, err := b.g.FindRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := b.g.FindRoutes(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || jointProbability(parts) <= single.Probability {
		t.Fatalf("%d parts, joint p %v, single p %v", len(parts), jointProbability(parts), single.Probability)
	}
	if b.path(parts[0])[1] == b.path(parts[1])[1] {
		t.Fatal("both halves over the same path")
	}
	checkParts(t, req, parts, req.Amount)
}

// TestFindRoutesSumsExactly: over many amounts and balances, every
// successful split pays exactly the amount within every balance, and the
// shared fee budget is kept.
func TestFindRoutesSumsExactly(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 200; i++ {
		s := []wire.MilliSatoshi{
			wire.MilliSatoshi(rng.Uint64N(80_000_000)), wire.MilliSatoshi(rng.Uint64N(80_000_000)), wire.MilliSatoshi(rng.Uint64N(80_000_000)),
		}
		b, req := fan(t, s...)
		req.Amount = wire.MilliSatoshi(1 + rng.Uint64N(150_000_000))
		req.MaxFee = wire.MilliSatoshi(rng.Uint64N(50_000))
		parts, err := b.g.FindRoutes(ctx, req, &SplitOptions{MinPartSize: 1_000_000})
		if errors.Is(err, ErrNoRoute) {
			if req.Amount+1_000 < (s[0]+s[1]+s[2])/4 && req.MaxFee > 20_000 {
				t.Errorf("case %d: no split of %v over balances %v (fee budget %v)", i, req.Amount, s, req.MaxFee)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		checkParts(t, req, parts, req.Amount)
		var fees wire.MilliSatoshi
		for _, r := range parts {
			fees += r.TotalFees
		}
		if fees > req.MaxFee {
			t.Fatalf("case %d: fees %v over budget %v", i, fees, req.MaxFee)
		}
	}
}
