package routing

import (
	"testing"
	"time"

	"github.com/lnkit/lnkit/wire"
)

// twoWays is S -> {A, B} -> T with roomy channels, A's side cheaper.
func twoWays(t *testing.T) (*tgraph, *Request, *MissionControl) {
	b := newTGraph(t)
	b.channel("S", "A", 10_000_000, pol(0, 0, 40), pol(0, 0, 40))
	b.channel("A", "T", 10_000_000, pol(0, 10, 40), pol(0, 0, 40))
	b.channel("S", "B", 10_000_000, pol(0, 0, 40), pol(0, 0, 40))
	b.channel("B", "T", 10_000_000, pol(1000, 100, 40), pol(0, 0, 40))
	mc := NewMissionControl(time.Hour)
	return b, &Request{Source: b.id("S"), Target: b.id("T"), Amount: 100_000_000, MaxFee: NoFeeLimit, Mission: mc, Now: t0}, mc
}

func (b *tgraph) via(t *testing.T, req *Request) (*Route, string) {
	t.Helper()
	r, err := b.g.FindRoute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return r, b.path(r)[1]
}

func TestMissionTemporaryChannelFailure(t *testing.T) {
	b, req, mc := twoWays(t)
	r, v := b.via(t, req)
	if v != "A" {
		t.Fatalf("first route via %s", v)
	}
	if out := mc.ReportFailure(t0, r, Failure{ErringNode: 1, Code: codeTemporaryChannelFailure}, b.g); out != Retry {
		t.Fatalf("outcome %v", out)
	}
	if _, v := b.via(t, req); v != "B" {
		t.Fatalf("after A->T failed: via %s", v)
	}
	// The failure bounds A->T's liquidity below the amount: the same
	// amount over A is impossible now, a tenth of it still likely.
	onlyA := *req
	onlyA.ExcludeNodes = []wire.Point{b.id("B")}
	if _, err := b.g.FindRoute(ctx, &onlyA); err == nil {
		t.Fatal("the failed amount still routes over A->T")
	}
	onlyA.Amount = req.Amount / 10
	if r, _ := b.via(t, &onlyA); r.Probability < 0.7 {
		t.Fatalf("a tenth of the amount over A: p=%v", r.Probability)
	}
	// One half-life later the bound has relaxed half-way to the capacity:
	// the amount is possible again but less likely than before.
	onlyA.Amount, onlyA.Now = req.Amount, t0.Add(time.Hour)
	r1, _ := b.via(t, &onlyA)
	if r1.Probability >= r.Probability || r1.Probability < r.Probability/2 {
		t.Fatalf("after a half-life p=%v (before the failure %v)", r1.Probability, r.Probability)
	}
	// Ten half-lives later A is the cheap choice again.
	req.Now = t0.Add(10 * time.Hour)
	if _, v := b.via(t, req); v != "A" {
		t.Fatalf("after ten half-lives: via %s", v)
	}
}

func TestMissionChannelUnusable(t *testing.T) {
	for _, code := range []uint16{codeChannelDisabled, codeUnknownNextPeer, codePermanentChannelFailure, flagBadOnion | flagPerm | 5} {
		b, req, mc := twoWays(t)
		r, _ := b.via(t, req)
		mc.ReportFailure(t0, r, Failure{ErringNode: 1, Code: code}, b.g)
		onlyA := *req
		onlyA.ExcludeNodes = []wire.Point{b.id("B")}
		onlyA.Amount = 1000
		if _, err := b.g.FindRoute(ctx, &onlyA); err == nil {
			t.Errorf("code %#x: A->T still usable for 1 sat", code)
		}
		// S->A carried the HTLC: its lower bound is the amount.
		k := keyFor(r.Hops[0].ShortChannelID, r.Source, r.Hops[0].NodeID)
		if mc.chans[k].lo != uint64(r.TotalAmount) {
			t.Errorf("code %#x: S->A success not recorded: %+v", code, mc.chans[k])
		}
	}
}

func TestMissionNodeFailure(t *testing.T) {
	b, req, mc := twoWays(t)
	r, _ := b.via(t, req)
	mc.ReportFailure(t0, r, Failure{ErringNode: 1, Code: flagNode | 2}, b.g) // temporary_node_failure
	if _, v := b.via(t, req); v != "B" {
		t.Fatalf("after A's node failure: via %s", v)
	}
	if _, ok := mc.nodes[b.id("A")]; !ok {
		t.Fatal("A not penalised")
	}
	// incorrect_or_unknown_payment_details from an intermediate node
	// penalises that node (it is not the payee's verdict).
	b, req, mc = twoWays(t)
	r, _ = b.via(t, req)
	if out := mc.ReportFailure(t0, r, Failure{ErringNode: 1, Code: codeIncorrectPaymentDetails}, b.g); out != Retry {
		t.Fatalf("intermediate incorrect_or_unknown_payment_details: %v", out)
	}
	if _, v := b.via(t, req); v != "B" {
		t.Fatalf("via %s", v)
	}
	// An unattributed failure penalises the intermediate nodes.
	b, req, mc = twoWays(t)
	r, _ = b.via(t, req)
	mc.ReportFailure(t0, r, Failure{ErringNode: Unattributed}, b.g)
	if _, v := b.via(t, req); v != "B" {
		t.Fatalf("after an unattributed failure: via %s", v)
	}
}

func TestMissionPayeeVerdicts(t *testing.T) {
	b, req, mc := twoWays(t)
	r, _ := b.via(t, req)
	n := len(r.Hops)
	if out := mc.ReportFailure(t0, r, Failure{ErringNode: n, Code: codeIncorrectPaymentDetails}, b.g); out != Final {
		t.Fatalf("payee's incorrect_or_unknown_payment_details: %v", out)
	}
	// Every channel carried the HTLC to the payee.
	for i := range r.Hops {
		k := keyFor(r.Hops[i].ShortChannelID, r.nodeAt(i), r.Hops[i].NodeID)
		if mc.chans[k].lo != uint64(r.amountInto(i)) {
			t.Fatalf("hop %d success not recorded", i)
		}
	}
	if out := mc.ReportFailure(t0, r, Failure{ErringNode: n, Code: codeMPPTimeout}, b.g); out != Retry {
		t.Fatalf("mpp_timeout: %v", out)
	}
	if out := mc.ReportFailure(t0, r, Failure{ErringNode: n, Code: codeFinalIncorrectCLTVExpiry}, b.g); out != Retry {
		t.Fatalf("final_incorrect_cltv_expiry: %v", out)
	}
	if _, v := b.via(t, req); v != "B" {
		t.Fatal("final_incorrect_cltv_expiry did not blame the last channel")
	}
	if Final.String() != "final" || Retry.String() != "retry" {
		t.Fatal("Outcome names")
	}
}

// TestMissionAppliesUpdate: fee_insufficient carrying a newer
// channel_update changes the graph, which changes the next route, and
// blames nothing; without an update that changes anything, the channel is
// blamed.
func TestMissionAppliesUpdate(t *testing.T) {
	b, req, mc := twoWays(t)
	r, _ := b.via(t, req)
	scid := r.Hops[1].ShortChannelID
	dearer := pol(5000, 1000, 40)
	dearer.Timestamp++
	dir := uint8(0)
	if string(b.id("A").String()) > b.id("T").String() {
		dir = 1
	}
	u := updateFor(scid, dearer, dir)
	u.HTLCMaximum = 10_000_000_000
	mc.ReportFailure(t0, r, Failure{ErringNode: 1, Code: codeFeeInsufficient, Update: u}, b.g)
	info, _ := b.g.Channel(scid)
	p := info.Policy1
	if dir == 1 {
		p = info.Policy2
	}
	if p.FeeBase != 5000 {
		t.Fatalf("update not applied: %+v", p)
	}
	if _, v := b.via(t, req); v != "B" {
		t.Fatalf("A is dearer now but the route goes via %s", v)
	}
	onlyA := *req
	onlyA.ExcludeNodes = []wire.Point{b.id("B")}
	ra, _ := b.via(t, &onlyA)
	if ra.Probability < r.Probability*0.999 || ra.TotalFees != 5000+100_000 {
		t.Fatalf("A's channel was blamed: p=%v fees %v", ra.Probability, ra.TotalFees)
	}
	// The same update again changes nothing: now A contradicts itself.
	mc.ReportFailure(t0, ra, Failure{ErringNode: 1, Code: codeFeeInsufficient, Update: u}, b.g)
	if _, err := b.g.FindRoute(ctx, &onlyA); err == nil {
		t.Fatal("A's channel not blamed after a useless update")
	}
}

func TestMissionSuccess(t *testing.T) {
	b, req, mc := twoWays(t)
	r, _ := b.via(t, req)
	mc.ReportSuccess(t0, r)
	r2, _ := b.via(t, req)
	if !(r2.Probability > r.Probability) {
		t.Fatalf("success did not raise the probability: %v -> %v", r.Probability, r2.Probability)
	}
	// Every hop known to hold the amount: only HopProbability is left.
	want := 0.95 * 0.95
	if d := r2.Probability - want; d > 1e-9 || d < -1e-9 {
		t.Fatalf("p=%v, want %v", r2.Probability, want)
	}
	// A failure of a larger amount later keeps the bounds consistent.
	mc.ReportFailure(t0, r, Failure{ErringNode: 1, Code: codeTemporaryChannelFailure}, b.g)
	k := keyFor(r.Hops[1].ShortChannelID, r.Hops[0].NodeID, r.Hops[1].NodeID)
	if c := mc.chans[k]; c.lo > c.hi {
		t.Fatalf("bounds %+v", c)
	}
	mc.ReportSuccess(t0, nil)
	if mc.ReportFailure(t0, nil, Failure{}, nil) != Retry {
		t.Fatal("nil route")
	}
}

func TestMissionSweep(t *testing.T) {
	mc := NewMissionControl(0)
	b := newTGraph(t)
	for i := 0; i < 1100; i++ {
		r := &Route{Source: b.id("S"), TotalAmount: 1000, Hops: []Hop{{ShortChannelID: wire.ShortChannelID{BlockHeight: uint32(i + 1)}, NodeID: b.id("T"), AmountToForward: 1000}}}
		mc.ReportSuccess(t0, r)
	}
	if mc.Len() != 1100 {
		t.Fatalf("%d memories, want 1100 (none faded yet)", mc.Len())
	}
	// Far later, one more report sweeps the faded memories.
	late := t0.Add(24 * time.Hour)
	mc.ReportSuccess(late, &Route{Source: b.id("S"), TotalAmount: 1, Hops: []Hop{{NodeID: b.id("T"), AmountToForward: 1}}})
	if mc.Len() != 1 {
		t.Fatalf("%d memories after a day", mc.Len())
	}
}
