package routing_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/routing"
	"github.com/lnkit/lnkit/store"
	"github.com/lnkit/lnkit/wire"
)

func privKey(name string) *btcec.PrivateKey {
	h := sha256.Sum256([]byte(name))
	k, _ := btcec.PrivKeyFromBytes(h[:])
	return k
}

func nodeID(name string) wire.Point { return wire.NewPoint(privKey(name).PubKey()) }

// announce adds a channel between x and y with both directions' policies
// (fee base, proportional fee, CLTV delta), as verified gossip would.
func announce(g *routing.Graph, height uint32, x, y string, capSat int64, base, ppm uint32, delta uint16) wire.ShortChannelID {
	scid := wire.ShortChannelID{BlockHeight: height, TxIndex: 1}
	n1, n2 := nodeID(x), nodeID(y)
	if string(n1[:]) > string(n2[:]) {
		n1, n2 = n2, n1
	}
	seen := time.Unix(1_700_000_000, 0)
	ann := &wire.ChannelAnnouncement{ChainHash: wire.RegtestChainHash, ShortChannelID: scid, NodeID1: n1, NodeID2: n2}
	if _, err := g.AddChannel(ann, btcutil.Amount(capSat), seen); err != nil {
		log.Fatal(err)
	}
	for dir := 0; dir < 2; dir++ {
		u := &wire.ChannelUpdate{ChainHash: wire.RegtestChainHash, ShortChannelID: scid, Timestamp: uint32(seen.Unix()),
			ChannelFlags: wire.ChanUpdateChanFlags(dir), CLTVExpiryDelta: delta, HTLCMinimum: 1000,
			FeeBase: wire.MilliSatoshi(base), FeeProportionalMillionths: ppm, HTLCMaximum: wire.MilliSatoshi(capSat) * 1000}
		if _, err := g.ApplyChannelUpdate(u); err != nil {
			log.Fatal(err)
		}
	}
	return scid
}

// Example builds a small graph in a store, finds a route for an invoice,
// learns from a failure and routes around it.
func Example() {
	ctx := context.Background()
	st := store.NewMemory()
	g, err := routing.OpenGraph(ctx, wire.RegtestChainHash, st, "graph/")
	if err != nil {
		log.Fatal(err)
	}
	announce(g, 101, "payer", "hub", 5_000_000, 0, 0, 40)
	announce(g, 102, "hub", "shop", 1_000_000, 1000, 100, 80)
	announce(g, 103, "hub", "other", 2_000_000, 500, 50, 40)
	announce(g, 104, "other", "shop", 2_000_000, 2000, 200, 40)
	if err := g.Flush(ctx); err != nil { // one record per channel
		log.Fatal(err)
	}

	mc := routing.NewMissionControl(time.Hour)
	now := time.Unix(1_700_000_100, 0)
	req := &routing.Request{
		Source: nodeID("payer"), Target: nodeID("shop"),
		Amount: 20_000_000, CurrentHeight: 800_000, FinalCLTVDelta: 18,
		MaxFee: 100_000, Mission: mc, Now: now,
	}
	r, err := g.FindRoute(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d hops, pay %v with %v fees, expiry %d\n", len(r.Hops), r.TotalAmount, r.TotalFees, r.TotalTimeLock)
	for _, h := range r.Hops {
		fmt.Printf("  %v: amt_to_forward %v, outgoing_cltv_value %d\n", h.ShortChannelID, h.AmountToForward, h.OutgoingCLTV)
	}

	// The hub says its channel to the shop lacks liquidity
	// (temporary_channel_failure): the next route goes around it.
	out := mc.ReportFailure(now, r, routing.Failure{ErringNode: 1, Code: uint16(onion.CodeTemporaryChannelFailure)}, g)
	r, err = g.FindRoute(ctx, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: now %d hops, %v fees\n", out, len(r.Hops), r.TotalFees)
	// Output:
	// 2 hops, pay 20003000 msat with 3000 msat fees, expiry 800098
	//   101x1x0: amt_to_forward 20000000 msat, outgoing_cltv_value 800018
	//   102x1x0: amt_to_forward 20000000 msat, outgoing_cltv_value 800018
	// retry: now 3 hops, 7500 msat fees
}

// TestRouteBuildsOnion turns a route into onion payloads, builds the
// packet, and peels it hop by hop: each node reads exactly the
// amt_to_forward, outgoing_cltv_value and short_channel_id the route
// says, and the payee its payment_data.
func TestRouteBuildsOnion(t *testing.T) {
	ctx := context.Background()
	g := routing.NewGraph(wire.RegtestChainHash)
	announce(g, 201, "p", "a", 5_000_000, 1000, 100, 40)
	announce(g, 202, "a", "b", 5_000_000, 1000, 1000, 144)
	announce(g, 203, "b", "c", 5_000_000, 10, 2500, 34)
	announce(g, 204, "c", "z", 5_000_000, 0, 1, 18)
	r, err := g.FindRoute(ctx, &routing.Request{Source: nodeID("p"), Target: nodeID("z"), Amount: 123_456_789,
		CurrentHeight: 900_000, FinalCLTVDelta: 22, MaxFee: routing.NoFeeLimit})
	if err != nil {
		t.Fatal(err)
	}
	names := map[wire.Point]string{nodeID("a"): "a", nodeID("b"): "b", nodeID("c"): "c", nodeID("z"): "z"}
	secret := [32]byte{7}
	hops := make([]onion.Hop, len(r.Hops))
	for i, h := range r.Hops {
		p := onion.HopPayload{AmountToForward: onion.Amount(h.AmountToForward), OutgoingCLTV: onion.U32(h.OutgoingCLTV)}
		if i+1 < len(r.Hops) {
			p.ShortChannelID = onion.SCID(r.Hops[i+1].ShortChannelID)
		} else {
			p.PaymentData = &onion.PaymentData{PaymentSecret: secret, TotalMsat: r.Amount()}
		}
		b, err := p.Encode()
		if err != nil {
			t.Fatal(err)
		}
		pub, err := h.NodeID.PublicKey()
		if err != nil {
			t.Fatal(err)
		}
		hops[i] = onion.Hop{PubKey: pub, Payload: b}
	}
	hash := []byte("payment hash of thirty-two bytes")
	pkt, _, err := onion.NewPacketWithSessionKey(privKey("session").Serialize(), hops, hash)
	if err != nil {
		t.Fatal(err)
	}
	// What each node receives: the HTLC amount and expiry it is offered.
	inAmt, inCLTV := r.TotalAmount, r.TotalTimeLock
	for i, h := range r.Hops {
		proc := onion.NewProcessor(wire.NewPrivateNodeKey(privKey(names[h.NodeID])), onion.NoReplayCheck{})
		pp, err := proc.Process(ctx, pkt, hash, nil)
		if err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		p, err := onion.DecodeHopPayload(pp.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if *p.AmountToForward != h.AmountToForward || *p.OutgoingCLTV != h.OutgoingCLTV {
			t.Fatalf("hop %d reads %v/%d", i, *p.AmountToForward, *p.OutgoingCLTV)
		}
		// BOLT 4's checks at a forwarding node: the fee and delta it is
		// owed are covered by the incoming HTLC.
		if inAmt-*p.AmountToForward != h.Fee || inCLTV-*p.OutgoingCLTV != uint32(h.CLTVExpiryDelta) {
			t.Fatalf("hop %d keeps %v and %d blocks, route says %v and %d", i, inAmt-*p.AmountToForward, inCLTV-*p.OutgoingCLTV, h.Fee, h.CLTVExpiryDelta)
		}
		if pp.Final != (i == len(r.Hops)-1) {
			t.Fatalf("hop %d final=%v", i, pp.Final)
		}
		if pp.Final {
			if p.PaymentData == nil || p.PaymentData.TotalMsat != 123_456_789 || *p.OutgoingCLTV != inCLTV {
				t.Fatalf("final payload %+v", p)
			}
			break
		}
		if *p.ShortChannelID != r.Hops[i+1].ShortChannelID {
			t.Fatalf("hop %d forwards over %v", i, *p.ShortChannelID)
		}
		pkt = &pp.Next
		inAmt, inCLTV = *p.AmountToForward, *p.OutgoingCLTV
	}
}
