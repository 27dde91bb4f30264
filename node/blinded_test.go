package node

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/lnkit/lnkit/chain/chainsim"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// blindedNet is alice - bob - carol: carol hides behind bob.
func blindedNet(t *testing.T) (tn *testNet, a, b, c *testNode, ab, bc wire.ChannelID) {
	tn = newTestNet(t)
	a = tn.addNode("alice", 5_000_000)
	b = tn.addNode("bob", 5_000_000)
	c = tn.addNode("carol", 0)
	tn.connect(a, b)
	tn.connect(b, c)
	ab = tn.openChannel(a, b, 1_000_000, 0)
	bc = tn.openChannel(b, c, 1_000_000, 0)
	return
}

// TestNodeBlindedPayment: carol gives alice a blinded path through bob;
// alice pays over it without learning carol's id; bob forwards by the
// path's relay data and earns his advertised fee; carol settles once.
func TestNodeBlindedPayment(t *testing.T) {
	tn, a, b, c, ab, bc := blindedNet(t)
	const amt = 50_000_000
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "blinded"})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 {
		t.Fatalf("%d paths", len(paths))
	}
	bp := paths[0]
	carolID := c.NodeID().SerializeCompressed()
	// bob, carol, then the default dummy hop (carol again).
	if !bp.Path.IntroductionNode.IsEqual(b.NodeID()) || len(bp.Path.Hops) != 2+DefaultBlindedDummyHops {
		t.Fatalf("path: intro %x, %d hops", bp.Path.IntroductionNode.SerializeCompressed(), len(bp.Path.Hops))
	}
	seen := map[string]bool{}
	for i, h := range bp.Path.Hops {
		id := h.BlindedNodeID.SerializeCompressed()
		if bytes.Equal(id, carolID) || seen[string(id)] {
			t.Fatalf("hop %d: the blinded id is carol's, or repeats another hop's", i)
		}
		seen[string(id)] = true
		if len(h.EncryptedData) != len(bp.Path.Hops[0].EncryptedData) {
			t.Fatalf("encrypted data of %d and %d bytes: not padded to one length", len(bp.Path.Hops[0].EncryptedData), len(h.EncryptedData))
		}
	}
	if bp.FeeBase != DefaultFeeBase || bp.FeePPM != DefaultFeePPM || bp.HTLCMaximum == 0 {
		t.Fatalf("payinfo %+v", bp)
	}

	pay, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: paths})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	wantFee := feeFor(DefaultFeeBase, DefaultFeePPM, amt)
	if !pay.Blinded || pay.Fee != wantFee || pay.Preimage.Hash() != inv.PaymentHash || pay.Destination != ([33]byte{}) {
		t.Fatalf("payment %+v (want fee %v)", pay, wantFee)
	}
	if len(pay.Route) != 1 || len(pay.Route[0]) != 2+DefaultBlindedDummyHops || pay.Route[0][0].Node != [33]byte(b.NodeID().SerializeCompressed()) {
		t.Fatalf("route %+v", pay.Route)
	}
	for _, h := range pay.Route[0] {
		if bytes.Equal(h.Node[:], carolID) {
			t.Fatal("the payer's route names the payee")
		}
	}
	tn.waitFor("balances settle", func() bool {
		return c.channel(t, bc).Local == amt && b.channel(t, ab).Local == amt+wantFee && b.channel(t, bc).Local == 1_000_000_000-amt
	})
	invs, _ := c.ListInvoices(tn.ctx)
	if len(invs) != 1 || invs[0].State != InvoiceSettled || invs[0].Received != amt {
		t.Fatalf("invoice %+v", invs)
	}
	// The path was for that payment only.
	if _, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("paths for a settled invoice: %v", err)
	}
}

// TestNodeBlindedRefusals: payments that break a blinded path's rules
// fail, every one with invalid_onion_blinding from the introduction node
// whatever went wrong behind it, and carol takes nothing until a correct
// payment comes.
func TestNodeBlindedRefusals(t *testing.T) {
	tn, a, b, c, _, bc := blindedNet(t)
	const amt = 20_000_000
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "refusals"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "other"})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
	if err != nil {
		t.Fatal(err)
	}
	clone := func() BlindedPaymentPath {
		bp := paths[0]
		p := *bp.Path
		p.Hops = append([]onion.BlindedHop(nil), p.Hops...)
		for i := range p.Hops {
			p.Hops[i].EncryptedData = append([]byte(nil), p.Hops[i].EncryptedData...)
		}
		bp.Path = &p
		return bp
	}
	cases := map[string]struct {
		hash func() [32]byte
		path func(*BlindedPaymentPath)
	}{
		// path_id ties the path to inv: another hash is refused
		// (at carol, a relay: update_fail_malformed_htlc, which bob
		// turns into invalid_onion_blinding).
		"path of another payment": {hash: func() [32]byte { return other.PaymentHash }},
		// carol's first layer (which names her dummy hop) does not
		// decrypt.
		"payee data tampered": {path: func(bp *BlindedPaymentPath) { bp.Path.Hops[1].EncryptedData[3] ^= 1 }},
		// carol's final layer, behind her dummy hop, does not decrypt.
		"payee final data tampered": {path: func(bp *BlindedPaymentPath) { bp.Path.Hops[len(bp.Path.Hops)-1].EncryptedData[3] ^= 1 }},
		// bob's encrypted data does not decrypt: bob refuses himself.
		"introduction data tampered": {path: func(bp *BlindedPaymentPath) { bp.Path.Hops[0].EncryptedData[3] ^= 1 }},
		// A longer delta than the path allows breaks bob's
		// payment_constraints.max_cltv_expiry.
		"past max_cltv_expiry": {path: func(bp *BlindedPaymentPath) { bp.CLTVExpiryDelta += 1000 }},
		// Without the fee, bob's payment_relay leaves carol less than
		// amt_to_forward.
		"fee left out": {path: func(bp *BlindedPaymentPath) { bp.FeeBase, bp.FeePPM = 0, 0 }},
	}
	for name, tc := range cases {
		bp := clone()
		if tc.path != nil {
			tc.path(&bp)
		}
		hash := inv.PaymentHash
		if tc.hash != nil {
			hash = tc.hash()
		}
		pay, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: hash, Amount: amt, Paths: []BlindedPaymentPath{bp}})
		if !errors.Is(err, ErrPaymentFailed) || pay == nil {
			t.Fatalf("%s: %+v, %v", name, pay, err)
		}
		if pay.Attempts != 1 || !strings.Contains(err.Error(), "blinded") {
			t.Fatalf("%s: %d attempts, %v", name, pay.Attempts, err)
		}
		// The failure the payment reports is the last one decrypted.
		if !strings.HasPrefix(pay.Failure, onion.CodeInvalidOnionBlinding.String()+";") {
			t.Fatalf("%s: failure %q, want invalid_onion_blinding", name, pay.Failure)
		}
	}
	if got := c.channel(t, bc).Local; got != 0 {
		t.Fatalf("carol has %v after refusals", got)
	}
	invs, _ := c.ListInvoices(tn.ctx)
	for _, iv := range invs {
		if iv.State != InvoiceOpen {
			t.Fatalf("invoice %v is %v", iv.PaymentHash, iv.State)
		}
	}
	if _, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: paths}); err != nil {
		t.Fatalf("correct payment: %v", err)
	}
	tn.waitFor("carol paid once", func() bool { return c.channel(t, bc).Local == amt })
	if _, err := b.ListChannels(tn.ctx); err != nil {
		t.Fatal(err)
	}
}

// TestNodeBlindedMPPRetry: carol is behind bob and dave; alice pays more
// than either path carries, in parts over both, after the first path she
// tries fails (its payee data tampered) and is retried over the other.
func TestNodeBlindedMPPRetry(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 5_000_000)
	d := tn.addNode("dave", 5_000_000)
	c := tn.addNode("carol", 0)
	for _, p := range [][2]*testNode{{a, b}, {a, d}, {b, c}, {d, c}} {
		tn.connect(p[0], p[1])
	}
	tn.openChannel(a, b, 1_000_000, 0)
	tn.openChannel(a, d, 1_000_000, 0)
	bc := tn.openChannel(b, c, 1_000_000, 0)
	dc := tn.openChannel(d, c, 1_000_000, 0)

	// One path, one part: the broken path first, then the good ones.
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 10_000_000, Description: "retry"})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
	if err != nil || len(paths) != 2 {
		t.Fatalf("%d paths, %v", len(paths), err)
	}
	broken := paths[0]
	bad := *broken.Path
	bad.Hops = append([]onion.BlindedHop(nil), bad.Hops...)
	bad.Hops[1].EncryptedData = append([]byte(nil), bad.Hops[1].EncryptedData...)
	bad.Hops[1].EncryptedData[0] ^= 1
	broken.Path = &bad
	pay, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: 10_000_000, Paths: []BlindedPaymentPath{broken, paths[1]}})
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if pay.Attempts < 2 || len(pay.Route) != 1 || pay.Route[0][0].Node != [33]byte(paths[1].Path.IntroductionNode.SerializeCompressed()) {
		t.Fatalf("retry: %d attempts, route %+v", pay.Attempts, pay.Route)
	}

	// More than one path carries: multi-part over both.
	const big = 1_500_000_000
	inv, err = c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: big, Description: "mpp"})
	if err != nil {
		t.Fatal(err)
	}
	paths, err = c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
	if err != nil || len(paths) != 2 {
		t.Fatalf("%d paths, %v", len(paths), err)
	}
	for _, bp := range paths {
		if bp.HTLCMaximum >= big {
			t.Fatalf("path maximum %v: one path could carry it all", bp.HTLCMaximum)
		}
	}
	pay, err = a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: big, Paths: paths})
	if err != nil {
		t.Fatalf("mpp: %v", err)
	}
	intros := map[[33]byte]bool{}
	var got wire.MilliSatoshi
	for _, r := range pay.Route {
		intros[r[0].Node] = true
		got += r[len(r)-1].Amount
	}
	if len(pay.Route) < 2 || len(intros) != 2 || got != big {
		t.Fatalf("mpp: %d parts over %d paths, %v delivered", len(pay.Route), len(intros), got)
	}
	// Each part may bring carol a msat or two more than its
	// amt_to_forward: the payer rounds the path's fee up, and bob rounds
	// the amount he forwards up (BOLT 4's payment_relay formula).
	parts := wire.MilliSatoshi(1 + len(pay.Route))
	want := wire.MilliSatoshi(big + 10_000_000)
	tn.waitFor("carol received both", func() bool {
		return c.channel(t, bc).Local+c.channel(t, dc).Local >= want
	})
	if got := c.channel(t, bc).Local + c.channel(t, dc).Local; got > want+2*parts {
		t.Fatalf("carol received %v, want %v (+ at most %v of rounding)", got, want, 2*parts)
	}
}

// TestNodeBlindedPaymentRecord: a payment record keeps its blinded paths
// and route hints across a restart (retries after one need them).
func TestNodeBlindedPaymentRecord(t *testing.T) {
	tn, a, _, c, _, _ := blindedNet(t)
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: 1_000_000, Description: "record", PrivateRouteHints: true})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
	if err != nil {
		t.Fatal(err)
	}
	var hints []byte
	if err := c.do(tn.ctx, func() error { hints = appendRouteHints(nil, c.routeHints()); return nil }); err != nil {
		t.Fatal(err)
	}
	p := &payment{total: 1_000_000, blinded: paths}
	p.PaymentHash = inv.PaymentHash
	if err := c.do(tn.ctx, func() error { p.hints = c.routeHints(); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(p.hints) != 1 {
		t.Fatalf("%d hints", len(p.hints))
	}
	got, err := decodePayment(encodePayment(p))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Blinded || !bytes.Equal(appendBlindedPaths(nil, got.blinded), appendBlindedPaths(nil, paths)) ||
		!bytes.Equal(appendRouteHints(nil, got.hints), hints) {
		t.Fatal("blinded paths or hints differ after a round trip")
	}
	// A truncated or extended record is refused, not misread.
	b := encodePayment(p)
	for _, bad := range [][]byte{b[:len(b)-1], append(append([]byte(nil), b...), 9)} {
		if _, err := decodePayment(bad); err == nil {
			t.Fatalf("record of %d bytes decoded", len(bad))
		}
	}
	_ = a
}

// TestNodeBlindedRelayThreeHops: a path bob (introduction) -> dave ->
// carol built by hand, so that dave relays with the path key in
// update_add_htlc and passes the next one on. The payment goes through;
// with carol's data tampered, dave fails as malformed and bob turns it
// into invalid_onion_blinding for alice.
func TestNodeBlindedRelayThreeHops(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNode("bob", 5_000_000)
	d := tn.addNode("dave", 5_000_000)
	c := tn.addNode("carol", 0)
	for _, p := range [][2]*testNode{{a, b}, {b, d}, {d, c}} {
		tn.connect(p[0], p[1])
	}
	tn.openChannel(a, b, 1_000_000, 0)
	bd := tn.openChannel(b, d, 1_000_000, 0)
	dc := tn.openChannel(d, c, 1_000_000, 0)
	const amt = 30_000_000
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "three hops"})
	if err != nil {
		t.Fatal(err)
	}
	relay := &onion.PaymentRelay{CLTVExpiryDelta: DefaultCLTVDelta, FeeProportionalMillionths: DefaultFeePPM, FeeBaseMsat: uint32(DefaultFeeBase)}
	info, err := c.Info(tn.ctx)
	if err != nil {
		t.Fatal(err)
	}
	height := info.Height
	limit := func(extra uint32) *onion.PaymentConstraints {
		return &onion.PaymentConstraints{MaxCLTVExpiry: height + 1000 + extra, HTLCMinimumMsat: 1}
	}
	scidBD, scidDC := b.channel(t, bd).ShortChannelID, d.channel(t, dc).ShortChannelID
	var pathID []byte
	if err := c.do(tn.ctx, func() error { pathID = c.blindedPathID(inv.PaymentHash); return nil }); err != nil {
		t.Fatal(err)
	}
	plain, err := padEncryptedData([]*onion.EncryptedData{
		{ShortChannelID: &scidBD, PaymentRelay: relay, PaymentConstraints: limit(2 * DefaultCLTVDelta)},
		{ShortChannelID: &scidDC, PaymentRelay: relay, PaymentConstraints: limit(DefaultCLTVDelta)},
		{PathID: pathID, PaymentConstraints: limit(0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	path, err := onion.BuildBlindedPath(nil, []*btcec.PublicKey{b.NodeID(), d.NodeID(), c.NodeID()}, plain)
	if err != nil {
		t.Fatal(err)
	}
	// Two relays' fees, rounded generously up; carol keeps any excess.
	bp := BlindedPaymentPath{Path: path, FeeBase: 3 * DefaultFeeBase, FeePPM: 3 * DefaultFeePPM,
		CLTVExpiryDelta: 2*DefaultCLTVDelta + DefaultMinFinalCLTVDelta, HTLCMinimum: 1}

	broken := bp
	bad := *path
	bad.Hops = append([]onion.BlindedHop(nil), path.Hops...)
	bad.Hops[2].EncryptedData = append([]byte(nil), path.Hops[2].EncryptedData...)
	bad.Hops[2].EncryptedData[5] ^= 1
	broken.Path = &bad
	pay, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: []BlindedPaymentPath{broken}})
	if !errors.Is(err, ErrPaymentFailed) || !strings.HasPrefix(pay.Failure, onion.CodeInvalidOnionBlinding.String()+";") {
		t.Fatalf("tampered: %+v, %v", pay, err)
	}
	if got := c.channel(t, dc).Local; got != 0 {
		t.Fatalf("carol has %v", got)
	}

	pay, err = a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: []BlindedPaymentPath{bp}})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if len(pay.Route[0]) != 3 {
		t.Fatalf("route %+v", pay.Route)
	}
	tn.waitFor("carol paid", func() bool { return c.channel(t, dc).Local >= amt })
	// dave forwarded what bob's payment_relay left him, less his own.
	daveIn := d.channel(t, bd).Local
	onward := 1_000_000_000 - d.channel(t, dc).Local
	if daveIn-onward < feeFor(DefaultFeeBase, DefaultFeePPM, onward) || c.channel(t, dc).Local != onward {
		t.Fatalf("dave in %v out %v, carol %v", daveIn, onward, c.channel(t, dc).Local)
	}
}

// TestNodeBlindedForwardRecord: a forward inside a blinded route keeps
// its role and onion hash across a restart, and an old (version 1)
// record still loads.
func TestNodeBlindedForwardRecord(t *testing.T) {
	tn := newTestNet(t)
	n := tn.addNode("bob", 0)
	links := []*forwardLink{
		{in: fwdKey{wire.ChannelID{1}, 7}, out: fwdKey{wire.ChannelID{2}, 9}, secret: [32]byte{3}, amtIn: 1000, amtOut: 900, incomingCLTV: 600, role: blindRelay, onionHash: [32]byte{4}},
		{in: fwdKey{wire.ChannelID{1}, 8}, out: fwdKey{wire.ChannelID{2}, 10}, secret: [32]byte{5}, amtIn: 2000, amtOut: 1900, incomingCLTV: 700, role: blindIntro, onionHash: [32]byte{6}},
		{in: fwdKey{wire.ChannelID{1}, 11}, out: fwdKey{wire.ChannelID{2}, 12}, secret: [32]byte{7}, amtIn: 3000, amtOut: 2900, incomingCLTV: 800},
	}
	if err := n.do(tn.ctx, func() error {
		for _, l := range links {
			n.fwd.save(l)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	tn.restart(n)
	if err := n.do(tn.ctx, func() error {
		for _, want := range links {
			got := n.fwd.byOut[want.out]
			if got == nil {
				return errors.New("link lost")
			}
			got.arrived = want.arrived
			if *got != *want {
				return fmt.Errorf("link %+v, want %+v", got, want)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestBlindedPathWithFee: the payer's amount for a path is amt + base +
// ceil(amt*ppm/10^6), and a hostile payinfo whose total passes 64 bits
// saturates instead of panicking or wrapping to a small amount.
func TestBlindedPathWithFee(t *testing.T) {
	const maxMsat = ^wire.MilliSatoshi(0)
	for _, tc := range []struct {
		amt, base wire.MilliSatoshi
		ppm       uint32
		want      wire.MilliSatoshi
	}{
		{amt: 1_000_000, base: 1000, ppm: 1, want: 1_001_001},
		{amt: 1_000_001, base: 0, ppm: 1, want: 1_000_003}, // 1.000001 rounded up to 2
		{amt: maxMsat, ppm: ^uint32(0), want: maxMsat},     // the product's quotient passes 64 bits
		{amt: maxMsat - 10, base: 100, want: maxMsat},      // the sum passes 64 bits
		{amt: 1 << 62, ppm: 4_000_000, want: maxMsat},
	} {
		bp := BlindedPaymentPath{FeeBase: tc.base, FeePPM: tc.ppm}
		if got := bp.withFee(tc.amt); got != tc.want {
			t.Errorf("amt %d base %d ppm %d: %d, want %d", tc.amt, tc.base, tc.ppm, got, tc.want)
		}
	}
}

// TestNodeBlindedDummyHops: carol pads her paths with as many dummy hops
// as her policy says (none, and the most allowed) and is paid over each;
// a path she did not make the way she makes them (a dummy hop with a fee,
// a forward after a dummy hop, more dummy hops than she peels) is
// refused with invalid_onion_blinding and she takes nothing.
func TestNodeBlindedDummyHops(t *testing.T) {
	for _, dummies := range []int{0, MaxBlindedDummyHops} {
		t.Run(fmt.Sprintf("%d dummy hops", dummies), func(t *testing.T) {
			tn := newTestNet(t)
			a := tn.addNode("alice", 5_000_000)
			b := tn.addNode("bob", 5_000_000)
			c := tn.addNodeWith("carol", 0, func(p *Policy) {
				p.BlindedDummyHops, p.NoBlindedDummyHops = dummies, dummies == 0
			})
			tn.connect(a, b)
			tn.connect(b, c)
			tn.openChannel(a, b, 1_000_000, 0)
			bc := tn.openChannel(b, c, 1_000_000, 0)
			const amt = 25_000_000
			inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "dummies"})
			if err != nil {
				t.Fatal(err)
			}
			paths, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(paths) != 1 || len(paths[0].Path.Hops) != 2+dummies {
				t.Fatalf("%d paths, %d hops", len(paths), len(paths[0].Path.Hops))
			}
			if paths[0].FeeBase != DefaultFeeBase || paths[0].CLTVExpiryDelta != DefaultCLTVDelta+DefaultMinFinalCLTVDelta {
				t.Fatalf("dummy hops changed the payinfo: %+v", paths[0])
			}
			pay, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: paths})
			if err != nil {
				t.Fatal(err)
			}
			if pay.Fee != feeFor(DefaultFeeBase, DefaultFeePPM, amt) || len(pay.Route[0]) != 2+dummies {
				t.Fatalf("payment %+v", pay)
			}
			tn.waitFor("carol paid", func() bool { return c.channel(t, bc).Local == amt })
		})
	}

	t.Run("refused", func(t *testing.T) {
		tn, a, b, c, _, bc := blindedNet(t)
		const amt = 15_000_000
		inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "not carol's kind"})
		if err != nil {
			t.Fatal(err)
		}
		limit, pathID := handMadePathParts(t, tn, c, inv.PaymentHash)
		scid := b.channel(t, bc).ShortChannelID
		self := wire.Point(c.NodeID().SerializeCompressed())
		bob := wire.Point(b.NodeID().SerializeCompressed())
		relay := &onion.PaymentRelay{CLTVExpiryDelta: DefaultCLTVDelta, FeeProportionalMillionths: DefaultFeePPM, FeeBaseMsat: uint32(DefaultFeeBase)}
		intro := &onion.EncryptedData{ShortChannelID: &scid, PaymentRelay: relay, PaymentConstraints: limit}
		dummy := &onion.EncryptedData{NextNodeID: &self, PaymentRelay: &onion.PaymentRelay{}, PaymentConstraints: limit}
		final := &onion.EncryptedData{PathID: pathID, PaymentConstraints: limit}
		build := func(data ...*onion.EncryptedData) BlindedPaymentPath {
			nodes := []*btcec.PublicKey{b.NodeID()}
			for range data[1:] {
				nodes = append(nodes, c.NodeID())
			}
			plain, err := padEncryptedData(data)
			if err != nil {
				t.Fatal(err)
			}
			path, err := onion.BuildBlindedPath(nil, nodes, plain)
			if err != nil {
				t.Fatal(err)
			}
			return BlindedPaymentPath{Path: path, FeeBase: 2 * DefaultFeeBase, FeePPM: 2 * DefaultFeePPM,
				CLTVExpiryDelta: 2*DefaultCLTVDelta + DefaultMinFinalCLTVDelta, HTLCMinimum: 1}
		}
		feeDummy := &onion.EncryptedData{NextNodeID: &self, PaymentRelay: &onion.PaymentRelay{FeeBaseMsat: 1}, PaymentConstraints: limit}
		backToBob := &onion.EncryptedData{NextNodeID: &bob, PaymentRelay: relay, PaymentConstraints: limit}
		tooMany := []*onion.EncryptedData{intro}
		for range MaxBlindedDummyHops + 1 {
			tooMany = append(tooMany, dummy)
		}
		cases := map[string]BlindedPaymentPath{
			"a dummy hop with a fee":      build(intro, feeDummy, final),
			"a forward after a dummy":     build(intro, dummy, backToBob, final),
			"more dummy hops than peeled": build(append(tooMany, final)...),
		}
		for name, bp := range cases {
			pay, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: []BlindedPaymentPath{bp}})
			if !errors.Is(err, ErrPaymentFailed) || !strings.HasPrefix(pay.Failure, onion.CodeInvalidOnionBlinding.String()+";") {
				t.Fatalf("%s: %+v, %v", name, pay, err)
			}
		}
		if got := c.channel(t, bc).Local; got != 0 {
			t.Fatalf("carol has %v after refusals", got)
		}
		// The same hand-built shape with her rules kept is paid: the
		// refusals were for the rules, not for building by hand.
		good := build(intro, dummy, dummy, final)
		if _, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: []BlindedPaymentPath{good}}); err != nil {
			t.Fatalf("good path: %v", err)
		}
		tn.waitFor("carol paid", func() bool { return c.channel(t, bc).Local >= amt })
	})
}

// TestNodeBlindedOwnIntroDummyHops: carol is the introduction node of her
// own path, padded with dummy hops (a public node receiving privately).
// To alice the route seems to go on past carol, so carol's refusals come
// back as invalid_onion_blinding in update_fail_htlc, not as the final
// node's errors; the right payment then succeeds.
func TestNodeBlindedOwnIntroDummyHops(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	c := tn.addNode("carol", 0)
	tn.connect(a, c)
	ac := tn.openChannel(a, c, 1_000_000, 0)
	const amt = 12_000_000
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "own intro"})
	if err != nil {
		t.Fatal(err)
	}
	limit, pathID := handMadePathParts(t, tn, c, inv.PaymentHash)
	self := wire.Point(c.NodeID().SerializeCompressed())
	path := func() BlindedPaymentPath {
		plain, err := padEncryptedData([]*onion.EncryptedData{
			{NextNodeID: &self, PaymentRelay: &onion.PaymentRelay{}, PaymentConstraints: limit},
			{NextNodeID: &self, PaymentRelay: &onion.PaymentRelay{}, PaymentConstraints: limit},
			{PathID: pathID, PaymentConstraints: limit},
		})
		if err != nil {
			t.Fatal(err)
		}
		p, err := onion.BuildBlindedPath(nil, []*btcec.PublicKey{c.NodeID(), c.NodeID(), c.NodeID()}, plain)
		if err != nil {
			t.Fatal(err)
		}
		return BlindedPaymentPath{Path: p, CLTVExpiryDelta: DefaultMinFinalCLTVDelta, HTLCMinimum: 1}
	}
	// Too little for the invoice: the final layer refuses, and carol,
	// the introduction node to alice, says invalid_onion_blinding.
	pay, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt / 2, Paths: []BlindedPaymentPath{path()}})
	if !errors.Is(err, ErrPaymentFailed) || !strings.HasPrefix(pay.Failure, onion.CodeInvalidOnionBlinding.String()+";") {
		t.Fatalf("underpaid: %+v, %v", pay, err)
	}
	if got := c.channel(t, ac).Local; got != 0 {
		t.Fatalf("carol has %v", got)
	}
	pay, err = a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: []BlindedPaymentPath{path()}})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if pay.Fee != 0 || len(pay.Route[0]) != 3 {
		t.Fatalf("payment %+v", pay)
	}
	tn.waitFor("carol paid", func() bool { return c.channel(t, ac).Local == amt })
}

// TestBlindedDummyFulfillAttribution: a fulfill over dummy hops carries
// attribution data that verifies at the payer for every layer this node
// peeled, as if each were a node of the route.
func TestBlindedDummyFulfillAttribution(t *testing.T) {
	secrets := onion.SharedSecrets{{1}, {2}, {3}, {4}}
	now := time.Unix(1_000_000, 0)
	at := attribution{secret: secrets[1], inner: [][32]byte{secrets[2], secrets[3]}, arrived: now.Add(-300 * time.Millisecond)}
	// secrets[0] is an upstream forwarder's.
	ad := onion.AddFulfillAttribution(secrets[0], time.Second, at.fulfill(now))
	got := secrets.VerifyFulfillAttribution(ad)
	if got.FirstInvalid != -1 || len(got.HoldTimes) != 4 {
		t.Fatalf("attribution %+v", got)
	}
	for i, h := range got.HoldTimes[1:] {
		if h != 300*time.Millisecond {
			t.Fatalf("layer %d reported %v", i+1, h)
		}
	}
	// Without the inner layers the payer's check fails at the first
	// of them: the test would catch a node that forgot them.
	at.inner = nil
	ad = onion.AddFulfillAttribution(secrets[0], time.Second, at.fulfill(now))
	if got := secrets.VerifyFulfillAttribution(ad); got.FirstInvalid == -1 {
		t.Fatalf("attribution without the dummy layers verified: %+v", got)
	}
}

// TestBlindedDummyHopsPolicy: the dummy and real hop counts are bounded
// when the node is made, and the blinded defaults are as documented.
func TestBlindedDummyHopsPolicy(t *testing.T) {
	chain := chainsim.New()
	for _, d := range []int{-1, MaxBlindedDummyHops + 1} {
		_, err := New(Config{
			Seed: make([]byte, 32), Network: &chaincfg.RegressionNetParams, DataDir: t.TempDir(),
			Broadcaster: chain, FeeEstimator: chain, Wallet: chain.NewWallet(),
			Policy: Policy{BlindedDummyHops: d},
		})
		if !errors.Is(err, ErrInvalidRequest) {
			t.Fatalf("BlindedDummyHops %d: %v", d, err)
		}
	}
	for _, r := range []int{-1, 3} {
		_, err := New(Config{
			Seed: make([]byte, 32), Network: &chaincfg.RegressionNetParams, DataDir: t.TempDir(),
			Broadcaster: chain, FeeEstimator: chain, Wallet: chain.NewWallet(),
			Policy: Policy{BlindedRealHops: r},
		})
		if !errors.Is(err, ErrInvalidRequest) {
			t.Fatalf("BlindedRealHops %d: %v", r, err)
		}
	}
	if p := (Policy{}).withDefaults(); p.BlindedDummyHops != DefaultBlindedDummyHops || p.BlindedRealHops != 1 || p.BlindedFailureDelay != DefaultBlindedFailureDelay {
		t.Fatalf("default %d", p.BlindedDummyHops)
	}
	if p := (Policy{BlindedDummyHops: 3, NoBlindedDummyHops: true}).withDefaults(); p.BlindedDummyHops != 0 {
		t.Fatalf("NoBlindedDummyHops left %d", p.BlindedDummyHops)
	}
}

// handMadePathParts is what a test building a blinded path to c by hand
// needs: constraints 1000 blocks ahead and c's path_id for the payment.
func handMadePathParts(t *testing.T, tn *testNet, c *testNode, hash [32]byte) (*onion.PaymentConstraints, []byte) {
	t.Helper()
	info, err := c.Info(tn.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pathID []byte
	if err := c.do(tn.ctx, func() error { pathID = c.blindedPathID(hash); return nil }); err != nil {
		t.Fatal(err)
	}
	return &onion.PaymentConstraints{MaxCLTVExpiry: info.Height + 1000, HTLCMinimumMsat: 1}, pathID
}

// TestNodeBlindedIntroFailureDelay: bob, the introduction node, holds a
// failure that came from inside the blinded route (carol refused) for a
// random time of at least half his BlindedFailureDelay before alice gets
// invalid_onion_blinding; a restart while he holds one still fails it
// back; and the next payment over the same channels goes through.
func TestNodeBlindedIntroFailureDelay(t *testing.T) {
	const delay = 3 * time.Second
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	b := tn.addNodeWith("bob", 5_000_000, func(p *Policy) { p.BlindedFailureDelay = delay })
	c := tn.addNode("carol", 0)
	tn.connect(a, b)
	tn.connect(b, c)
	ab := tn.openChannel(a, b, 1_000_000, 0)
	bc := tn.openChannel(b, c, 1_000_000, 0)
	const amt = 10_000_000
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "slow failure"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "another"})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The path is inv's: paying other's hash over it, carol refuses.
	start := time.Now()
	pay, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: other.PaymentHash, Amount: amt, Paths: paths})
	took := time.Since(start)
	if !errors.Is(err, ErrPaymentFailed) || !strings.HasPrefix(pay.Failure, onion.CodeInvalidOnionBlinding.String()+";") {
		t.Fatalf("wrong path: %+v, %v", pay, err)
	}
	if took < delay/2 {
		t.Fatalf("the failure came back in %v, before the least delay %v", took, delay/2)
	}

	// bob restarts while he holds the failure: the outgoing HTLC's
	// resolution was not acknowledged, so he fails the incoming one
	// after the restart.
	pid := PaymentID{0xde, 0x1a}
	payer := a.Node
	go payer.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: other.PaymentHash, Amount: amt, Paths: paths, ID: &pid})
	inFlight := func(n *testNode, id wire.ChannelID) (in, out wire.MilliSatoshi) {
		chs, _ := n.ListChannels(tn.ctx)
		for _, ch := range chs {
			if ch.ChannelID == id {
				return ch.InFlightIn, ch.InFlightOut
			}
		}
		return 0, 0
	}
	tn.waitFor("carol refused, bob holds the failure", func() bool {
		_, out := inFlight(b, bc)
		in, _ := inFlight(b, ab)
		return out == 0 && in > 0
	})
	tn.restart(b)
	tn.connect(b, a)
	tn.connect(b, c)
	tn.waitFor("the held failure reached alice", func() bool {
		ps, _ := a.ListPayments(tn.ctx)
		for _, p := range ps {
			if p.ID == pid {
				return p.Status == PaymentStatusFailed && strings.HasPrefix(p.Failure, onion.CodeInvalidOnionBlinding.String()+";")
			}
		}
		return false
	})
	if _, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: paths}); err != nil {
		t.Fatalf("pay: %v", err)
	}
	tn.waitFor("carol paid", func() bool { return c.channel(t, bc).Local == amt })
	tn.waitFor("nothing in flight at bob", func() bool {
		chs, _ := b.ListChannels(tn.ctx)
		for _, ch := range chs {
			if ch.InFlightIn != 0 || ch.InFlightOut != 0 {
				return false
			}
		}
		return true
	})
}

// TestForwardsDelay: the delay of a blinded failure lies in [d/2, d), and
// tick sends only what is due, each once.
func TestForwardsDelay(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	n := &Node{now: func() time.Time { return now }}
	f := newForwards(n)
	sent := 0
	f.delay(0, func() { sent++ })
	if sent != 1 || len(f.delayed) != 0 {
		t.Fatalf("no delay: sent %d, %d waiting", sent, len(f.delayed))
	}
	const d = time.Second
	for range 200 {
		f.delay(d, func() { sent++ })
	}
	for _, w := range f.delayed {
		if wait := w.due.Sub(now); wait < d/2 || wait >= d {
			t.Fatalf("waits %v", wait)
		}
	}
	now = now.Add(d / 2).Add(-time.Nanosecond)
	f.tick()
	if sent != 1 {
		t.Fatalf("sent %d before any was due", sent-1)
	}
	now = now.Add(d/4 + time.Nanosecond)
	f.tick()
	early := sent - 1
	if early == 0 || early == 200 {
		t.Fatalf("%d of 200 due at 3/4 of the delay", early)
	}
	now = now.Add(d)
	f.tick()
	f.tick()
	if sent != 201 || len(f.delayed) != 0 {
		t.Fatalf("sent %d, %d waiting", sent-1, len(f.delayed))
	}
}

// TestAggregateRelays: a payer paying amount plus the aggregated payinfo
// fee leaves the payee at least amount after every relay applies its
// payment_relay as BOLT 4 says (onion.ForwardBlinded), and not much more
// (one relay: exactly its fee, give or take rounding); sums past the
// fields' range are refused.
func TestAggregateRelays(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(7, 11))
	for i := range 20_000 {
		hops := make([]blindedRelay, 1+rng.IntN(3))
		for j := range hops {
			hops[j].relay = onion.PaymentRelay{FeeBaseMsat: uint32(rng.IntN(20_000)), FeeProportionalMillionths: uint32(rng.IntN(50_000))}
			if rng.IntN(10) == 0 {
				hops[j].relay.FeeBaseMsat, hops[j].relay.FeeProportionalMillionths = 0, 0
			}
		}
		base, ppm, ok := aggregateRelays(hops)
		if !ok {
			t.Fatalf("case %d: %+v refused", i, hops)
		}
		amt := wire.MilliSatoshi(1 + rng.Uint64N(5_000_000_000))
		bp := BlindedPaymentPath{FeeBase: base, FeePPM: ppm}
		got := bp.withFee(amt)
		for _, h := range hops {
			scid := wire.ShortChannelID{BlockHeight: 1}
			r := h.relay
			fwd, _, err := onion.ForwardBlinded(&onion.EncryptedData{ShortChannelID: &scid, PaymentRelay: &r}, got, 1000)
			if err != nil {
				t.Fatal(err)
			}
			got = fwd
		}
		// The excess: a msat or two of rounding per hop, and with more
		// than one hop up to 1 ppm of the amount per hop, since the
		// aggregated proportional fee is rounded up to a whole ppm.
		slack := wire.MilliSatoshi(2 * len(hops))
		if len(hops) > 1 {
			slack += amt * wire.MilliSatoshi(len(hops)) / 1_000_000
		}
		if got < amt || got-amt > slack {
			t.Fatalf("case %d: %+v (payinfo %v + %d ppm): the payee gets %v for %v", i, hops, base, ppm, got, amt)
		}
	}
	huge := []blindedRelay{{relay: onion.PaymentRelay{FeeBaseMsat: math.MaxUint32, FeeProportionalMillionths: math.MaxUint32}}, {relay: onion.PaymentRelay{FeeBaseMsat: math.MaxUint32, FeeProportionalMillionths: math.MaxUint32}}}
	if _, _, ok := aggregateRelays(huge); ok {
		t.Fatal("a proportional fee past 32 bits was accepted")
	}
}

// TestNodeBlindedTwoRealHops: with BlindedRealHops 2, carol's path starts
// at dave, who has a public channel to her peer bob: alice pays dave
// directly, dave and bob forward by the path's relay data, and the fee
// alice pays is the path's aggregated payinfo, which covers both relays
// (carol gets at least the amount).
func TestNodeBlindedTwoRealHops(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	d := tn.addNodeWith("dave", 5_000_000, func(p *Policy) { p.FeeBase, p.FeePPM, p.CLTVDelta = 2_000, 300, 50 })
	b := tn.addNode("bob", 5_000_000)
	c := tn.addNodeWith("carol", 0, func(p *Policy) { p.BlindedRealHops = 2 })
	for _, p := range [][2]*testNode{{a, d}, {d, b}, {b, c}} {
		tn.connect(p[0], p[1])
	}
	tn.openChannel(a, d, 1_000_000, 0)
	tn.openChannel(d, b, 1_000_000, 0)
	bc := tn.openChannel(b, c, 1_000_000, 0)
	tn.mine(6)
	tn.waitGraph(c, 3)
	tn.waitFor("carol has dave's node_announcement", func() bool {
		var ok bool
		c.do(tn.ctx, func() error {
			ok = c.graph.NodeAnnouncement(wire.Point(d.NodeID().SerializeCompressed())) != nil
			return nil
		})
		return ok
	})
	const amt = 40_000_000
	inv, err := c.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "two real hops"})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
	if err != nil {
		t.Fatal(err)
	}
	bp := paths[0]
	if len(paths) != 1 || !bp.Path.IntroductionNode.IsEqual(d.NodeID()) || len(bp.Path.Hops) != 3+DefaultBlindedDummyHops {
		t.Fatalf("%d paths; intro %x, %d hops", len(paths), bp.Path.IntroductionNode.SerializeCompressed(), len(bp.Path.Hops))
	}
	wantDelta := uint16(50 + DefaultCLTVDelta + DefaultMinFinalCLTVDelta)
	if bp.CLTVExpiryDelta != wantDelta || bp.FeeBase < 2_000+DefaultFeeBase || bp.FeePPM < 300+DefaultFeePPM {
		t.Fatalf("payinfo %+v (delta want %d)", bp, wantDelta)
	}
	pay, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: paths})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if pay.Fee != bp.withFee(amt)-amt || pay.Route[0][0].Node != [33]byte(d.NodeID().SerializeCompressed()) {
		t.Fatalf("payment %+v, want fee %v", pay, bp.withFee(amt)-amt)
	}
	tn.waitFor("carol paid", func() bool { return c.channel(t, bc).Local >= amt })
	// The aggregated ppm is rounded up to a whole ppm per hop: carol may
	// get up to that much more.
	if got := c.channel(t, bc).Local; got-amt > amt*2/1_000_000+4 {
		t.Fatalf("carol got %v for %v", got, amt)
	}
}

// TestNodeBlindedTwoRealHopsFallback: when the peer has no public channel
// but the one to this node, a path with two real hops cannot be made and
// the peer is the introduction node.
func TestNodeBlindedTwoRealHopsFallback(t *testing.T) {
	tn := newTestNet(t)
	a := tn.addNode("alice", 5_000_000)
	c := tn.addNodeWith("carol", 0, func(p *Policy) { p.BlindedRealHops = 2 })
	tn.connect(a, c)
	tn.openChannel(a, c, 1_000_000, 0)
	tn.mine(6)
	tn.waitGraph(c, 1)
	inv := mustInvoice(t, tn, c, 1_000_000)
	paths, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 1 || !paths[0].Path.IntroductionNode.IsEqual(a.NodeID()) || len(paths[0].Path.Hops) != 2+DefaultBlindedDummyHops {
		t.Fatalf("%d paths, %+v", len(paths), paths)
	}
	if _, err := a.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: inv.Amount, Paths: paths}); err != nil {
		t.Fatalf("pay: %v", err)
	}
}

func mustInvoice(t *testing.T, tn *testNet, n *testNode, amt wire.MilliSatoshi) *Invoice {
	t.Helper()
	inv, err := n.CreateInvoice(tn.ctx, InvoiceRequest{Amount: amt, Description: "x"})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestNodeBlindedPayerIsIntro: bob pays carol over her path whose
// introduction node is bob himself (an LSP paying its own client): he
// reads his own hop, sends the HTLC with the next path key to carol and
// pays no fee. When carol's data is broken she fails it as a relay
// (malformed) and bob leaves the path out; when his own hop is broken he
// never sends.
func TestNodeBlindedPayerIsIntro(t *testing.T) {
	tn, _, b, c, _, bc := blindedNet(t)
	const amt = 7_000_000
	inv := mustInvoice(t, tn, c, amt)
	paths, err := c.BlindedPaths(tn.ctx, inv.PaymentHash, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !paths[0].Path.IntroductionNode.IsEqual(b.NodeID()) {
		t.Fatal("carol's path does not start at bob")
	}
	broken := func(hop int) []BlindedPaymentPath {
		bp := paths[0]
		p := *bp.Path
		p.Hops = append([]onion.BlindedHop(nil), p.Hops...)
		p.Hops[hop].EncryptedData = append([]byte(nil), p.Hops[hop].EncryptedData...)
		p.Hops[hop].EncryptedData[2] ^= 1
		bp.Path = &p
		return []BlindedPaymentPath{bp}
	}
	last := len(paths[0].Path.Hops) - 1
	pay, err := b.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: broken(last)})
	if !errors.Is(err, ErrPaymentFailed) || pay.Attempts != 1 || !strings.HasPrefix(pay.Failure, onion.CodeInvalidOnionBlinding.String()) {
		t.Fatalf("carol's data broken: %+v, %v", pay, err)
	}
	pay, err = b.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: broken(0)})
	if !errors.Is(err, ErrPaymentFailed) || pay.Attempts != 0 {
		t.Fatalf("bob's own hop broken: %+v, %v", pay, err)
	}
	if got := c.channel(t, bc).Local; got != 0 {
		t.Fatalf("carol has %v", got)
	}
	pay, err = b.PayBlinded(tn.ctx, PayBlindedRequest{PaymentHash: inv.PaymentHash, Amount: amt, Paths: paths})
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	if pay.Fee != 0 || len(pay.Route[0]) != len(paths[0].Path.Hops)-1 {
		t.Fatalf("payment %+v", pay)
	}
	tn.waitFor("carol paid", func() bool { return c.channel(t, bc).Local == amt })
}
