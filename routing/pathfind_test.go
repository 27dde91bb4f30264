package routing

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/wire"
)

var ctx = context.Background()

// bolt7Graph is the four-node example of BOLT 7 "Routing Example": every
// node charges the same on each of its channels.
func bolt7Graph(t *testing.T) *tgraph {
	b := newTGraph(t)
	a, bb, c, d := pol(100, 1000, 10), pol(200, 2000, 20), pol(300, 3000, 30), pol(400, 4000, 40)
	b.channel("A", "B", 1_000_000, a, bb)
	b.channel("A", "D", 1_000_000, a, d)
	b.channel("B", "C", 1_000_000, bb, c)
	b.channel("D", "C", 1_000_000, d, c)
	return b
}

// TestBOLT7RoutingExample checks the numbers of BOLT 7's example: A pays
// 4,999,999 msat to C, who asks for min_final_cltv_expiry_delta 18, with a
// shadow offset of 42 added to the final delta.
func TestBOLT7RoutingExample(t *testing.T) {
	b := bolt7Graph(t)
	const h = 800_000
	req := &Request{Source: b.id("A"), Target: b.id("C"), Amount: 4_999_999, CurrentHeight: h,
		FinalCLTVDelta: 18 + 42, MaxFee: NoFeeLimit}
	r, err := b.g.FindRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.path(r); !slices.Equal(got, []string{"A", "B", "C"}) {
		t.Fatalf("path %v, want A B C", got)
	}
	// A->B's update_add_htlc: amount_msat 5010198, cltv_expiry h+20+18+42.
	if r.TotalAmount != 5_010_198 || r.TotalTimeLock != h+20+18+42 || r.TotalFees != 10_199 {
		t.Fatalf("total %v timelock %d fees %v", r.TotalAmount, r.TotalTimeLock, r.TotalFees)
	}
	// B's onion: amt_to_forward 4999999, outgoing_cltv_value h+18+42.
	want := []Hop{
		{ShortChannelID: r.Hops[0].ShortChannelID, NodeID: b.id("B"), AmountToForward: 4_999_999, OutgoingCLTV: h + 60, Fee: 10_199, CLTVExpiryDelta: 20},
		{ShortChannelID: r.Hops[1].ShortChannelID, NodeID: b.id("C"), AmountToForward: 4_999_999, OutgoingCLTV: h + 60},
	}
	if !slices.Equal(r.Hops, want) {
		t.Fatalf("hops %+v\nwant %+v", r.Hops, want)
	}

	// A->D->C: amount_msat 5020398, cltv_expiry h+40+18+42.
	req.ExcludeNodes = []wire.Point{b.id("B")}
	r, err = b.g.FindRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.path(r); !slices.Equal(got, []string{"A", "D", "C"}) {
		t.Fatalf("path %v, want A D C", got)
	}
	if r.TotalAmount != 5_020_398 || r.TotalTimeLock != h+40+18+42 {
		t.Fatalf("total %v timelock %d", r.TotalAmount, r.TotalTimeLock)
	}
	if r.Hops[0].AmountToForward != 4_999_999 || r.Hops[0].OutgoingCLTV != h+60 {
		t.Fatalf("D's payload %+v", r.Hops[0])
	}
}

// TestFeesCompound checks that each fee is computed on what its node
// forwards, later fees included, rounded down: S -> A -> B -> T.
func TestFeesCompound(t *testing.T) {
	b := newTGraph(t)
	b.channel("S", "A", 1_000_000, pol(0, 0, 6), pol(0, 0, 6))
	b.channel("A", "B", 1_000_000, pol(1000, 100, 40), pol(0, 0, 6))
	b.channel("B", "T", 1_000_000, pol(500, 2000, 144), pol(0, 0, 6))
	const h = 800_000
	r, err := b.g.FindRoute(ctx, &Request{Source: b.id("S"), Target: b.id("T"), Amount: 1_000_000,
		CurrentHeight: h, FinalCLTVDelta: 18, MaxFee: 3600})
	if err != nil {
		t.Fatal(err)
	}
	// B: 500 + 1000000*2000/1e6 = 2500, so B receives 1002500.
	// A: 1000 + floor(1002500*100/1e6) = 1000 + 100 = 1100: A receives
	// 1003600. S's own channel costs nothing and adds no delta.
	// Timelocks: T gets h+18, B offers h+18, A offers h+18+144, S offers
	// h+18+144+40.
	want := []Hop{
		{NodeID: b.id("A"), AmountToForward: 1_002_500, OutgoingCLTV: h + 162, Fee: 1100, CLTVExpiryDelta: 40},
		{NodeID: b.id("B"), AmountToForward: 1_000_000, OutgoingCLTV: h + 18, Fee: 2500, CLTVExpiryDelta: 144},
		{NodeID: b.id("T"), AmountToForward: 1_000_000, OutgoingCLTV: h + 18},
	}
	for i := range r.Hops {
		r.Hops[i].ShortChannelID = wire.ShortChannelID{}
	}
	if !slices.Equal(r.Hops, want) {
		t.Fatalf("hops %+v\nwant %+v", r.Hops, want)
	}
	if r.TotalAmount != 1_003_600 || r.TotalFees != 3600 || r.TotalTimeLock != h+202 {
		t.Fatalf("route %+v", r)
	}
	// One msat less of fee budget leaves no route.
	_, err = b.g.FindRoute(ctx, &Request{Source: b.id("S"), Target: b.id("T"), Amount: 1_000_000,
		CurrentHeight: h, FinalCLTVDelta: 18, MaxFee: 3599})
	if !errors.Is(err, ErrNoRoute) {
		t.Fatalf("MaxFee 3599: %v", err)
	}
	// The timelock limit: 202 blocks fits, 201 does not.
	_, err = b.g.FindRoute(ctx, &Request{Source: b.id("S"), Target: b.id("T"), Amount: 1_000_000,
		CurrentHeight: h, FinalCLTVDelta: 18, MaxFee: NoFeeLimit, MaxCLTV: 202})
	if err != nil {
		t.Fatalf("MaxCLTV 202: %v", err)
	}
	_, err = b.g.FindRoute(ctx, &Request{Source: b.id("S"), Target: b.id("T"), Amount: 1_000_000,
		CurrentHeight: h, FinalCLTVDelta: 18, MaxFee: NoFeeLimit, MaxCLTV: 201})
	if !errors.Is(err, ErrNoRoute) {
		t.Fatalf("MaxCLTV 201: %v", err)
	}
	// Three hops fit MaxHops 3, not 2.
	_, err = b.g.FindRoute(ctx, &Request{Source: b.id("S"), Target: b.id("T"), Amount: 1_000_000,
		MaxFee: NoFeeLimit, MaxHops: 2})
	if !errors.Is(err, ErrNoRoute) {
		t.Fatalf("MaxHops 2: %v", err)
	}
}

// diamond builds S -> {A, B} -> T where A's side is cheaper; the caller
// spoils A's side to see that B's is chosen.
func diamond(t *testing.T, spoil func(*Policy), capA int64) (*tgraph, *Request) {
	b := newTGraph(t)
	cheap := pol(0, 100, 40)
	if spoil != nil {
		spoil(cheap)
	}
	b.channel("S", "A", 1_000_000, pol(0, 0, 40), pol(0, 0, 40))
	b.channel("A", "T", btcutilAmount(capA), cheap, pol(0, 0, 40))
	b.channel("S", "B", 1_000_000, pol(0, 0, 40), pol(0, 0, 40))
	b.channel("B", "T", 1_000_000, pol(1000, 1000, 40), pol(0, 0, 40))
	return b, &Request{Source: b.id("S"), Target: b.id("T"), Amount: 100_000_000, MaxFee: NoFeeLimit, Cost: noProb()}
}

func TestPolicyConstraints(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(*Policy)
		capA  int64
		via   string
	}{
		{"cheaper side usable", nil, 1_000_000, "A"},
		{"disabled", func(p *Policy) { p.Disabled = true }, 1_000_000, "B"},
		{"htlc_minimum above amount", func(p *Policy) { p.HTLCMinimum = 100_000_001 }, 1_000_000, "A_no"},
		{"htlc_minimum equal to amount", func(p *Policy) { p.HTLCMinimum = 100_000_000 }, 1_000_000, "A"},
		{"htlc_maximum below amount", func(p *Policy) { p.HTLCMaximum = 99_999_999 }, 1_000_000, "B"},
		{"htlc_maximum equal to amount", func(p *Policy) { p.HTLCMaximum = 100_000_000 }, 1_000_000, "A"},
		{"htlc_maximum below htlc_minimum", func(p *Policy) { p.HTLCMinimum, p.HTLCMaximum = 200_000_000, 150_000_000 }, 1_000_000, "B"},
		{"htlc_maximum above capacity", func(p *Policy) { p.HTLCMaximum = 1_000_000_001 }, 1_000_000, "B"},
		{"capacity below amount", func(p *Policy) { p.HTLCMaximum = 99_000_000 }, 99_000, "B"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, req := diamond(t, c.spoil, c.capA)
			r, err := b.g.FindRoute(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			want := c.via
			if want == "A_no" {
				want = "B"
			}
			if got := b.path(r)[1]; got != want {
				t.Fatalf("via %s, want %s", got, want)
			}
		})
	}
}

func btcutilAmount(sat int64) btcutil.Amount { return btcutil.Amount(sat) }

func TestRouteHints(t *testing.T) {
	b := newTGraph(t)
	b.channel("S", "A", 1_000_000, pol(0, 0, 40), pol(0, 0, 40))
	b.channel("A", "B", 1_000_000, pol(1000, 10, 40), pol(0, 0, 40))
	// P is private: reachable from B through an unannounced channel to Q,
	// then Q -> P. The hint gives B's and Q's policies.
	hint := invoice.RouteHint{
		{NodeID: b.key("B"), ChannelID: wire.ShortChannelID{BlockHeight: 900, TxIndex: 1}, FeeBase: 2000, FeeProportionalMillionths: 500, CLTVExpiryDelta: 100},
		{NodeID: b.key("Q"), ChannelID: wire.ShortChannelID{BlockHeight: 901, TxIndex: 2}, FeeBase: 10, FeeProportionalMillionths: 1000, CLTVExpiryDelta: 30},
	}
	req := &Request{Source: b.id("S"), Target: b.id("P"), Amount: 5_000_000, CurrentHeight: 100,
		FinalCLTVDelta: 9, MaxFee: NoFeeLimit}
	if _, err := b.g.FindRoute(ctx, req); !errors.Is(err, ErrNoRoute) || !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("without hints: %v", err)
	}
	req.RouteHints = []invoice.RouteHint{hint}
	r, err := b.g.FindRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.path(r); !slices.Equal(got, []string{"S", "A", "B", "Q", "P"}) {
		t.Fatalf("path %v", got)
	}
	// Q: 10 + 5000000*1000/1e6 = 5010 -> Q receives 5005010.
	// B: 2000 + floor(5005010*500/1e6) = 2000 + 2502 = 4502 -> 5009512.
	// A: 1000 + floor(5009512*10/1e6) = 1000 + 50 = 1050 -> 5010562.
	if r.TotalAmount != 5_010_562 {
		t.Fatalf("total %v", r.TotalAmount)
	}
	if r.TotalTimeLock != 100+9+30+100+40 {
		t.Fatalf("timelock %d", r.TotalTimeLock)
	}
	if r.Hops[2].ShortChannelID != hint[0].ChannelID || r.Hops[3].ShortChannelID != hint[1].ChannelID ||
		!r.Hops[2].Private || !r.Hops[3].Private || r.Hops[1].Private {
		t.Fatalf("hops %+v", r.Hops)
	}
	if r.Hops[0].AmountToForward != 5_009_512 || r.Hops[1].AmountToForward != 5_005_010 ||
		r.Hops[2].AmountToForward != 5_000_000 || r.Hops[3].AmountToForward != 5_000_000 ||
		r.Hops[1].Fee != 4502 || r.Hops[2].Fee != 5010 {
		t.Fatalf("hops %+v", r.Hops)
	}
	// A hint channel can be excluded like any other.
	req.ExcludeChannels = []wire.ShortChannelID{hint[1].ChannelID}
	if _, err := b.g.FindRoute(ctx, req); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("hint excluded: %v", err)
	}
	// A nil key in a hint is refused, not a panic.
	req.RouteHints = []invoice.RouteHint{{{ChannelID: hint[0].ChannelID}}}
	if _, err := b.g.FindRoute(ctx, req); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("nil hint key: %v", err)
	}
}

func TestLocalChannels(t *testing.T) {
	b := newTGraph(t)
	sa := b.channel("S", "A", 1_000_000, pol(0, 0, 40), pol(0, 0, 40))
	sb := b.channel("S", "B", 1_000_000, pol(0, 0, 40), pol(0, 0, 40))
	b.channel("A", "T", 1_000_000, pol(0, 10, 40), pol(0, 0, 40))
	b.channel("B", "T", 1_000_000, pol(5000, 1000, 40), pol(0, 0, 40))
	b.channel("C", "T", 1_000_000, pol(9000, 1000, 40), pol(0, 0, 40))
	req := &Request{Source: b.id("S"), Target: b.id("T"), Amount: 50_000_000, MaxFee: NoFeeLimit, Cost: noProb()}
	via := func() string {
		t.Helper()
		r, err := b.g.FindRoute(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return b.path(r)[1]
	}
	if v := via(); v != "A" {
		t.Fatalf("graph only: via %s", v)
	}
	// A's channel has too little spendable balance for the amount with
	// fees: B's is used although dearer.
	req.LocalChannels = []LocalChannel{
		{ShortChannelID: sa, Peer: b.id("A"), Spendable: 50_000_499},
		{ShortChannelID: sb, Peer: b.id("B"), Spendable: 60_000_000},
	}
	if v := via(); v != "B" {
		t.Fatalf("A's balance short: via %s", v)
	}
	// A's fee is 500 msat: exactly enough balance makes A usable again.
	req.LocalChannels[0].Spendable = 50_000_500
	if v := via(); v != "A" {
		t.Fatalf("A's balance exact: via %s", v)
	}
	// The peer's htlc_minimum and the payer's htlc maximum count too.
	req.LocalChannels[0].HTLCMinimum = 50_000_501
	if v := via(); v != "B" {
		t.Fatalf("A's htlc minimum: via %s", v)
	}
	req.LocalChannels[0].HTLCMinimum = 0
	req.LocalChannels[0].HTLCMaximum = 50_000_000
	if v := via(); v != "B" {
		t.Fatalf("A's htlc maximum: via %s", v)
	}
	// An unannounced channel to C, which only the payer knows, is the
	// only first hop left.
	req.LocalChannels = []LocalChannel{{ShortChannelID: wire.ShortChannelID{BlockHeight: 1, TxIndex: 2, OutputIndex: 3}, Peer: b.id("C"), Spendable: 1 << 40}}
	r, err := b.g.FindRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if b.path(r)[1] != "C" || !r.Hops[0].Private || r.TotalFees != 9000+50_000 {
		t.Fatalf("private channel: %v %+v", b.path(r), r)
	}
}

// TestProbabilityTradeoff: A's side is cheaper but its channel barely holds
// the amount, so it is unlikely to have the liquidity; B's side costs more
// and is roomy. With probabilities the dearer side wins; by fees alone the
// cheaper one.
func TestProbabilityTradeoff(t *testing.T) {
	b, req := diamond(t, nil, 110_000) // 100,000 sat over a 110,000 sat channel
	req.Cost = nil
	r, err := b.g.FindRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if v := b.path(r)[1]; v != "B" {
		t.Fatalf("with probabilities: via %s (p=%v)", v, r.Probability)
	}
	// Each of the two channels: 0.95 * (1e6+1-1e5)/(1e6+1) ~ 0.855.
	if r.Probability < 0.73 || r.Probability > 0.74 {
		t.Fatalf("probability %v", r.Probability)
	}
	req.Cost = noProb()
	r, err = b.g.FindRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if v := b.path(r)[1]; v != "A" || r.Probability != 1 {
		t.Fatalf("fees only: via %s p=%v", v, r.Probability)
	}
	// A roomy cheap side wins with probabilities too.
	b, req = diamond(t, nil, 10_000_000)
	req.Cost = nil
	r, err = b.g.FindRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if v := b.path(r)[1]; v != "A" {
		t.Fatalf("roomy cheap side: via %s", v)
	}
}

func TestFindRouteBadRequests(t *testing.T) {
	b := bolt7Graph(t)
	base := Request{Source: b.id("A"), Target: b.id("C"), Amount: 1000, MaxFee: NoFeeLimit}
	bad := []func(r *Request){
		func(r *Request) { r.Amount = 0 },
		func(r *Request) { r.Target = r.Source },
		func(r *Request) { c := DefaultCostModel(); c.HopProbability = 0; r.Cost = &c },
		func(r *Request) { c := DefaultCostModel(); c.MinProbability = -1; r.Cost = &c },
		func(r *Request) { r.MaxHops = -1 },
		func(r *Request) { r.CurrentHeight = 1<<32 - 10 },
		func(r *Request) { r.LocalChannels = []LocalChannel{{Peer: r.Source}} },
	}
	for i, f := range bad {
		req := base
		f(&req)
		if _, err := b.g.FindRoute(ctx, &req); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("case %d: %v", i, err)
		}
	}
	if _, err := b.g.FindRoute(ctx, nil); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("nil request: %v", err)
	}
	req := base
	req.Source = b.id("nobody")
	if _, err := b.g.FindRoute(ctx, &req); !errors.Is(err, ErrUnknownNode) {
		t.Errorf("unknown payer: %v", err)
	}
	req = base
	req.ExcludeNodes = []wire.Point{b.id("C")}
	if _, err := b.g.FindRoute(ctx, &req); !errors.Is(err, ErrNoRoute) {
		t.Errorf("payee excluded: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	req = base
	// A tiny graph may finish before the first check of ctx; an error,
	// if any, must be the context's.
	if _, err := b.g.FindRoute(cctx, &req); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
