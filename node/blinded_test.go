package node

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
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
	if !bp.Path.IntroductionNode.IsEqual(b.NodeID()) || len(bp.Path.Hops) != 2 {
		t.Fatalf("path: intro %x, %d hops", bp.Path.IntroductionNode.SerializeCompressed(), len(bp.Path.Hops))
	}
	if bytes.Equal(bp.Path.Hops[1].BlindedNodeID.SerializeCompressed(), carolID) {
		t.Fatal("the payee's hop is not blinded")
	}
	if len(bp.Path.Hops[0].EncryptedData) != len(bp.Path.Hops[1].EncryptedData) {
		t.Fatalf("encrypted data of %d and %d bytes: not padded to one length", len(bp.Path.Hops[0].EncryptedData), len(bp.Path.Hops[1].EncryptedData))
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
	if len(pay.Route) != 1 || len(pay.Route[0]) != 2 || pay.Route[0][0].Node != [33]byte(b.NodeID().SerializeCompressed()) {
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
		// carol's encrypted data does not decrypt.
		"payee data tampered": {path: func(bp *BlindedPaymentPath) { bp.Path.Hops[1].EncryptedData[3] ^= 1 }},
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
