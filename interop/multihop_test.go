package interop

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// Forwarding fees of the test's nodes, not the defaults, so that a fee
// computed from a default would show.
const (
	lndBaseFee = 1500 // msat
	lndFeePPM  = 200
	lnkBaseFee = 2100 // msat
	lnkFeePPM  = 300
)

var lndFeeArgs = []string{"--bitcoin.basefee=" + strconv.Itoa(lndBaseFee), "--bitcoin.feerate=" + strconv.Itoa(lndFeePPM)}

// fee is what a hop charges to forward amt (BOLT 7: base + amt*ppm/1e6).
func fee(base, ppm int64, amt wire.MilliSatoshi) wire.MilliSatoshi {
	return wire.MilliSatoshi(base) + amt*wire.MilliSatoshi(ppm)/1_000_000
}

// graphEdge is an edge of lncli describegraph.
type graphEdge struct {
	ChannelID   string          `json:"channel_id"`
	Node1Pub    string          `json:"node1_pub"`
	Node2Pub    string          `json:"node2_pub"`
	Node1Policy json.RawMessage `json:"node1_policy"`
	Node2Policy json.RawMessage `json:"node2_policy"`
}

// waitGraphEdge waits until d's graph has the channel scid with both
// directions' policies (channel_announcement and both channel_updates).
func waitGraphEdge(t *testing.T, d *Lnd, scid string) {
	t.Helper()
	waitFor(t, 90*time.Second, "lnd's graph has channel "+scid+" with both policies", func() error {
		out, err := d.cli("getchaninfo", "--chan_id="+scid)
		if err != nil {
			return err
		}
		var e graphEdge
		if err := json.Unmarshal(out, &e); err != nil {
			return err
		}
		if len(e.Node1Policy) == 0 || string(e.Node1Policy) == "null" || len(e.Node2Policy) == 0 || string(e.Node2Policy) == "null" {
			return errors.New("a policy is missing")
		}
		return nil
	})
}

// TestMultiHop pays over two hops with lnd at either end and lnkit at the
// other, and through lnkit between two lnd nodes:
//
//	lnkit -> A -> B   lnkit learns A-B from A's gossip (it sends
//	                  gossip_timestamp_filter) and routes over it;
//	B -> A -> lnkit   B routes over lnkit's channel, which lnkit announced
//	                  (announcement_signatures, channel_announcement,
//	                  channel_update) and A relayed;
//	A -> lnkit -> B   A pays B through lnkit (--outgoing_chan_id), lnkit
//	                  forwards and charges its advertised fee.
//
// Every hop charges the fees it advertises; the payers' fees are checked
// against them.
func TestMultiHop(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{Policy: node.Policy{FeeBase: lnkBaseFee, FeePPM: lnkFeePPM}}, lndFeeArgs...)
	a := e.lnd
	b := StartLnd(t, e.chain, append(append([]string{}, gossipArgs...), lndFeeArgs...)...)
	FundLnd(t, e.chain, b, 1)
	a.CLI(t, nil, "connect", b.PubKey+"@"+b.P2PAddr)
	e.lk.Connect(t, b)

	// A-B, public, opened by A with half pushed to B, and lnkit-A,
	// public, opened by lnkit with a third pushed to A; openFromLnkit
	// mines six blocks over both.
	var ab struct {
		FundingTxid string `json:"funding_txid"`
		OutputIndex int    `json:"output_index"`
	}
	a.CLI(t, &ab, "openchannel", "--node_key="+b.PubKey, "--local_amt=2000000", "--push_amt=1000000")
	abPoint := fmt.Sprintf("%s:%d", ab.FundingTxid, ab.OutputIndex)
	e.chain.WaitMempool(t, 1)
	lkA, lkAPoint := e.openFromLnkit(t, a, node.OpenChannelRequest{Amount: 1_500_000, Push: 500_000_000})
	abScid := a.WaitChannel(t, abPoint, "active", nil).Scid
	lkAScid := lndChannel(t, a, lkAPoint).Scid
	waitGraphEdge(t, a, abScid)
	waitGraphEdge(t, b, abScid)
	// lnkit announced its channel with A: B has it from gossip.
	waitGraphEdge(t, b, lkAScid)
	// lnkit learnt A-B from its peers: the updates it relays show that
	// it applied both.
	waitRelayed(t, e.lk.PubKey(), abScid, a, b)

	t.Run("LnkitToLndToLnd", func(t *testing.T) {
		amt := wire.MilliSatoshi(50_000_000)
		bolt11, hash := lndAddInvoice(t, b, amt)
		p, err := e.lk.Node.PayInvoice(ctxFor(t, 90*time.Second), node.PayInvoiceRequest{Invoice: bolt11})
		if err != nil {
			t.Fatalf("PayInvoice: %v\nA: %s\nB: %s", err, a.LogLines("HSWC", "rror"), b.LogLines("INVC", "rror"))
		}
		if p.Status != node.PaymentStatusSucceeded || fmt.Sprintf("%x", p.PaymentHash[:]) != hash {
			t.Fatalf("payment %+v", p)
		}
		// A charges its advertised fee on what it forwards to B.
		want := fee(lndBaseFee, lndFeePPM, amt)
		if len(p.Route) != 1 || len(p.Route[0]) != 2 || p.Fee != want || p.Route[0][1].Amount != amt || p.Route[0][0].Amount != amt+want {
			t.Fatalf("lnkit paid a fee of %v over %v; A advertises %v", p.Fee, p.Route, want)
		}
		inv := lndInvoice(t, b, hash)
		if inv.State != "SETTLED" || atoi(t, inv.AmtPaidMsat) != int64(amt) {
			t.Fatalf("B's invoice %+v", inv)
		}
		t.Logf("lnkit -> A -> B: %v, fee %v", amt, p.Fee)
	})

	t.Run("LndToLndToLnkitBlinded", func(t *testing.T) {
		// lnkit's blinded path starts at A, its only peer, and ends
		// with lnkit's dummy hop; B pays over it without knowing
		// lnkit, A forwards by the path's relay data.
		amt := wire.MilliSatoshi(12_000_000)
		inv, err := e.lk.Node.CreateInvoice(ctxFor(t, 10*time.Second), node.InvoiceRequest{Amount: amt, Description: "blinded multihop"})
		if err != nil {
			t.Fatal(err)
		}
		paths, err := e.lk.Node.BlindedPaths(ctxFor(t, 10*time.Second), inv.PaymentHash, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !paths[0].Path.IntroductionNode.IsEqual(mustPubKey(t, a.PubKey)) || paths[0].FeeBase != lndBaseFee || paths[0].FeePPM != lndFeePPM {
			t.Fatalf("lnkit's path %+v", paths[0])
		}
		if err := lndPayBlinded(t, b, inv.PaymentHash, amt, paths[0]); err != nil {
			t.Fatalf("%v\nA: %s", err, a.LogLines("HSWC", "blind", "rror"))
		}
		got := lnkitInvoice(t, e.lk, inv.PaymentHash)
		if got.State != node.InvoiceSettled || got.Received < amt || got.Received > amt+2 {
			t.Fatalf("lnkit's invoice %+v", got)
		}
	})

	t.Run("LndToLndToLnkit", func(t *testing.T) {
		amt := wire.MilliSatoshi(30_000_000)
		// No route hints: B finds lnkit's announced channel in its graph.
		inv, err := e.lk.Node.CreateInvoice(ctxFor(t, 10*time.Second), node.InvoiceRequest{Amount: amt, Description: "multihop"})
		if err != nil {
			t.Fatal(err)
		}
		lp := lndPay(t, b, "payinvoice", inv.Bolt11)
		want := fee(lndBaseFee, lndFeePPM, amt)
		if atoi(t, lp.FeeMsat) != int64(want) || atoi(t, lp.ValueMsat) != int64(amt) {
			t.Fatalf("B paid %s msat with fee %s msat; A advertises %v", lp.ValueMsat, lp.FeeMsat, want)
		}
		if len(lp.Htlcs) == 0 || len(lp.Htlcs[0].Route.Hops) != 2 || lp.Htlcs[0].Route.Hops[1].ChanID != lkAScid {
			t.Fatalf("B's route %+v", lp.Htlcs)
		}
		got := lnkitInvoice(t, e.lk, inv.PaymentHash)
		if got.Received != amt {
			t.Fatalf("lnkit received %v, want %v", got.Received, amt)
		}
		t.Logf("B -> A -> lnkit: %v, fee %v", amt, want)
	})

	// lnkit-B, public, opened by lnkit: A pays B through lnkit.
	lkB, lkBPoint := e.openFromLnkit(t, b, node.OpenChannelRequest{Amount: 1_500_000, Push: 500_000_000})
	lkBScid := lndChannel(t, b, lkBPoint).Scid
	waitGraphEdge(t, a, lkBScid)

	t.Run("LndToLnkitToLnd", func(t *testing.T) {
		amt := wire.MilliSatoshi(40_000_000)
		bolt11, hash := lndAddInvoice(t, b, amt)
		lp := lndPay(t, a, "payinvoice", "--outgoing_chan_id="+lkAScid, bolt11)
		want := fee(lnkBaseFee, lnkFeePPM, amt)
		if atoi(t, lp.FeeMsat) != int64(want) {
			t.Fatalf("A paid a fee of %s msat through lnkit, which advertises %v", lp.FeeMsat, want)
		}
		if len(lp.Htlcs) == 0 || len(lp.Htlcs[0].Route.Hops) != 2 || lp.Htlcs[0].Route.Hops[1].ChanID != lkBScid {
			t.Fatalf("A's route %+v", lp.Htlcs)
		}
		if lndInvoice(t, b, hash).State != "SETTLED" {
			t.Fatal("B's invoice not settled")
		}
		var fwd *node.HTLCForwarded
		waitFor(t, 30*time.Second, "lnkit's HTLCForwarded", func() error {
			for _, x := range e.lk.Events() {
				if f, ok := x.(*node.HTLCForwarded); ok {
					fwd = f
					return nil
				}
			}
			return errors.New("none")
		})
		if fwd.InChannel != lkA || fwd.OutChannel != lkB || fwd.AmountOut != amt || fwd.AmountIn != amt+want {
			t.Fatalf("lnkit forwarded %+v, want %v -> %v, %v in, %v out", fwd, lkA, lkB, amt+want, amt)
		}
		t.Logf("A -> lnkit -> B: %v, lnkit's fee %v", amt, want)
	})
}

// waitRelayed waits until lnkit (from) has relayed channel_updates of
// scid for both directions to the lnd nodes: lnkit relays a message it
// applies to its graph to every peer but the one it came from, and it may
// get each of A-B's updates first from A or from B, so the relayed copy
// shows up in the other's log (lnd logs cflags, whose last bit is the
// direction).
func waitRelayed(t *testing.T, from, scid string, ds ...*Lnd) {
	t.Helper()
	waitFor(t, 60*time.Second, fmt.Sprintf("channel_updates of %s for both directions relayed by %s", scid, from[:8]), func() error {
		dirs := map[byte]bool{}
		for _, d := range ds {
			for _, line := range strings.Split(d.LogLines("Received ChannelUpdate"), "\n") {
				if !strings.Contains(line, "short_chan_id="+scid+",") || !strings.Contains(line, "from "+from) {
					continue
				}
				if _, rest, ok := strings.Cut(line, "cflags="); ok && len(rest) >= 8 {
					dirs[rest[7]] = true
				}
			}
		}
		if !dirs['0'] || !dirs['1'] {
			return fmt.Errorf("directions seen: %v", dirs)
		}
		return nil
	})
}
