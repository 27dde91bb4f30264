package node

import (
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/wire"
)

// waitGraph waits until n's graph holds want channels with both
// directions' channel_update.
func (tn *testNet) waitGraph(n *testNode, want int) {
	tn.t.Helper()
	tn.waitFor(n.name+"'s graph", func() bool {
		got := 0
		_ = n.do(tn.ctx, func() error {
			n.graph.ForEachChannel(func(c routing.ChannelInfo) bool {
				if c.Policy1 != nil && c.Policy2 != nil {
					got++
				}
				return true
			})
			return nil
		})
		return got >= want
	})
}

// TestNodeRetryOtherRoute makes the cheaper route fail at its middle hop
// (bob has no outbound balance towards carol, which the graph cannot
// show) and checks that the payer retries over the dearer one, pays that
// route's advertised fee and nothing for the failed attempt.
func TestNodeRetryOtherRoute(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNodeWith("bob", 0, func(p *Policy) { p.FeeBase = 1000 })
	d := tn.addNodeWith("dave", 5_000_000, func(p *Policy) { p.FeeBase = 50_000 })
	c := tn.addNode("carol", 5_000_000)
	for _, pair := range [][2]*testNode{{a, b}, {a, d}, {c, b}, {d, c}} {
		tn.connect(pair[0], pair[1])
	}
	tn.openChannel(a, b, 1_000_000, 0)
	tn.openChannel(a, d, 1_000_000, 0)
	cb := tn.openChannel(c, b, 1_000_000, 0) // all of it carol's
	dc := tn.openChannel(d, c, 1_000_000, 0)
	tn.mine(6)
	tn.waitGraph(a, 4)

	const amt = 20_000_000
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "retry"})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if pay.Attempts < 2 {
		t.Fatalf("%d attempt(s): the cheap route through bob was not tried first", pay.Attempts)
	}
	if len(pay.Route) != 1 || len(pay.Route[0]) != 2 || pay.Route[0][0].Node != [33]byte(wire.NewPoint(d.NodeID())) {
		t.Fatalf("route %+v, want alice-dave-carol", pay.Route)
	}
	if want := feeFor(50_000, DefaultFeePPM, amt); pay.Fee != want {
		t.Fatalf("fee %v, want dave's %v", pay.Fee, want)
	}
	tn.waitFor("carol paid over dave, bob untouched", func() bool {
		return c.channel(t, dc).Local == amt && c.channel(t, cb).Local == 1_000_000_000-c.channel(t, cb).Remote && c.channel(t, cb).Remote == 0
	})
}

// TestNodeForwardFourHopsCLTV pays across four hops whose nodes each
// advertise a different fee and cltv_expiry_delta, and checks every hop's
// amount and expiry against what was advertised.
func TestNodeForwardFourHopsCLTV(t *testing.T) {
	tn := newTestNet(t)
	type pol struct {
		base  wire.MilliSatoshi
		ppm   uint32
		delta uint16
	}
	// Carol charges no base fee (NoFeeBase), dave no proportional fee.
	pols := []pol{{}, {1000, 10, 40}, {0, 100, 50}, {3000, 0, 60}, {}}
	names := []string{"alice", "bob", "carol", "dave", "erin"}
	var nodes []*testNode
	for i, name := range names {
		p := pols[i]
		funds := int64(5_000_000)
		if i == len(names)-1 {
			funds = 0
		}
		nodes = append(nodes, tn.addNodeWith(name, btcutil.Amount(funds), func(x *Policy) {
			if p.delta != 0 {
				x.FeeBase, x.FeePPM, x.CLTVDelta = p.base, p.ppm, p.delta
				x.NoFeeBase, x.NoFeePPM = p.base == 0, p.ppm == 0
			}
		}))
	}
	for i := 0; i+1 < len(nodes); i++ {
		tn.connect(nodes[i], nodes[i+1])
	}
	var last wire.ChannelID
	for i := 0; i+1 < len(nodes); i++ {
		last = tn.openChannel(nodes[i], nodes[i+1], 1_000_000, 0)
	}
	tn.mine(6)
	tn.waitGraph(nodes[0], 4)

	const amt = 30_000_000
	erin := nodes[4]
	inv, err := erin.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "four hops"})
	if err != nil {
		t.Fatal(err)
	}
	pay, err := nodes[0].PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if len(pay.Route) != 1 || len(pay.Route[0]) != 4 {
		t.Fatalf("route %+v, want one part over four hops", pay.Route)
	}
	r := pay.Route[0]
	var fees wire.MilliSatoshi
	for i := 0; i+1 < len(r); i++ {
		p := pols[i+1] // r[i] is nodes[i+1], forwarding to r[i+1]
		if r[i].Node != [33]byte(wire.NewPoint(nodes[i+1].NodeID())) {
			t.Fatalf("hop %d is not %s", i, names[i+1])
		}
		if want := r[i+1].Amount + feeFor(p.base, p.ppm, r[i+1].Amount); r[i].Amount != want {
			t.Fatalf("%s receives %v, want %v (its fee over %v)", names[i+1], r[i].Amount, want, r[i+1].Amount)
		}
		if r[i].CLTV-r[i+1].CLTV != uint32(p.delta) {
			t.Fatalf("%s's expiry delta %d, want %d", names[i+1], r[i].CLTV-r[i+1].CLTV, p.delta)
		}
		fees += r[i].Amount - r[i+1].Amount
	}
	if r[3].Amount != amt || pay.Fee != fees {
		t.Fatalf("final amount %v, fee %v (hops' fees %v)", r[3].Amount, pay.Fee, fees)
	}
	tn.waitFor("erin paid", func() bool { return erin.channel(t, last).Local == amt })
}

// TestNodeRouteHintPeerFee checks that an invoice's route hint carries
// the fee and cltv_expiry_delta the hinted peer advertises for
// forwarding to the payee, not the payee's own, so the payer's first
// attempt pays exactly that.
func TestNodeRouteHintPeerFee(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNodeWith("bob", 5_000_000, func(p *Policy) { p.FeeBase, p.FeePPM, p.CLTVDelta = 7000, 20, 50 })
	c := tn.addNode("carol", 0)
	tn.connect(a, b)
	tn.connect(b, c)
	tn.openChannel(a, b, 1_000_000, 0)
	tn.openChannel(b, c, 1_000_000, 0)

	const amt = 40_000_000
	var inv *Invoice
	tn.waitFor("carol's hint carries bob's policy", func() bool {
		var err error
		inv, err = c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "hinted", PrivateRouteHints: true})
		if err != nil {
			t.Fatal(err)
		}
		dec, err := invoice.Decode(inv.Bolt11)
		if err != nil {
			t.Fatal(err)
		}
		hs := dec.RouteHints
		return len(hs) == 1 && len(hs[0]) == 1 && hs[0][0].FeeBase == 7000 && hs[0][0].FeeProportionalMillionths == 20 && hs[0][0].CLTVExpiryDelta == 50
	})
	pay, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: inv.Bolt11})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if pay.Attempts != 1 || pay.Fee != feeFor(7000, 20, amt) {
		t.Fatalf("%d attempt(s), fee %v: want 1 attempt paying bob's %v", pay.Attempts, pay.Fee, feeFor(7000, 20, amt))
	}
}

// TestNodeForwardAttribution pays over bob to carol twice: once to an
// invoice carol has canceled (she fails it), once to a live one. Each
// outcome must come back to alice with attribution_data whose HMACs
// verify for both hops (bob's added as a forwarder, carol's as the
// origin of the failure or the final node), with a hold time for each.
func TestNodeForwardAttribution(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 5_000_000)
	c := tn.addNode("carol", 0)
	tn.connect(a, b)
	tn.connect(b, c)
	tn.openChannel(a, b, 1_000_000, 0)
	tn.openChannel(b, c, 1_000_000, 0)

	lastAttribution := func(id PaymentID) *onion.Attribution {
		var at *onion.Attribution
		a.do(tn.ctx, func() error {
			p := a.pays.byID[id]
			at = p.attempts[len(p.attempts)-1].attribution
			return nil
		})
		return at
	}
	check := func(what string, at *onion.Attribution) {
		t.Helper()
		if at == nil || at.FirstInvalid != -1 || len(at.HoldTimes) != 2 {
			t.Fatalf("%s: attribution %+v, want both hops verified", what, at)
		}
	}

	canceled, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 10_000_000, PrivateRouteHints: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CancelInvoice(tn.ctx, canceled.PaymentHash); err != nil {
		t.Fatal(err)
	}
	pay, err := a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: canceled.Bolt11})
	if err == nil || pay == nil || pay.Status != PaymentStatusFailed {
		t.Fatalf("paying a canceled invoice: %+v, %v", pay, err)
	}
	check("failure", lastAttribution(pay.ID))

	live, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 10_000_000, PrivateRouteHints: true})
	if err != nil {
		t.Fatal(err)
	}
	pay, err = a.PayInvoice(tn.ctx, PayInvoiceRequest{Invoice: live.Bolt11})
	if err != nil {
		t.Fatal(err)
	}
	check("fulfill", lastAttribution(pay.ID))
}
