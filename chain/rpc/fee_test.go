package rpc

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/wire"
)

func TestFeeRateFromBTCPerKvB(t *testing.T) {
	for _, c := range []struct {
		btc  float64
		want wire.SatPerKWeight
	}{
		{0, 0},
		{0.00000001, 1},    // 1 sat/kvB = 0.25 sat/kw, rounded up
		{0.00000004, 1},    // 4 sat/kvB = 1 sat/kw exactly
		{0.00000005, 2},    // 1.25 → 2
		{0.00001, 250},     // 1 sat/vB
		{0.00001012, 253},  // 1012 sat/kvB = 253 sat/kw, the floor
		{0.0001, 2500},     // 10 sat/vB
		{0.0002, 5000},     // 20 sat/vB
		{0.00012345, 3087}, // 12345 / 4 = 3086.25 → 3087
		{0.00020000000000000001, 5000},
		{0.000199999999, 5000},         // float noise below a whole satoshi rounds to it
		{0.0005235602094240838, 13089}, // btcd's unrounded quotient: 52356 sat/kvB / 4 = 13089
		{1, 25_000_000},                // 1 BTC/kvB = 100,000 sat/vB = 25,000,000 sat/kw
		{171.79869180, 4294967295},     // the largest rate that fits
	} {
		got, err := FeeRateFromBTCPerKvB(c.btc)
		if err != nil || got != c.want {
			t.Errorf("FeeRateFromBTCPerKvB(%v) = %v, %v; want %v", c.btc, got, err, c.want)
		}
	}
	for _, bad := range []float64{-0.00001, math.NaN(), math.Inf(1), math.Inf(-1), 171.7986919} {
		if got, err := FeeRateFromBTCPerKvB(bad); err == nil {
			t.Errorf("FeeRateFromBTCPerKvB(%v) = %v; want an error", bad, got)
		}
	}
	// Round trip: a rate in sat/kw, as BTC/kvB, comes back unchanged.
	for _, r := range []wire.SatPerKWeight{253, 1000, 2500, 12500, 123457} {
		btc := float64(r) * 4 / 1e8
		if got, err := FeeRateFromBTCPerKvB(btc); err != nil || got != r {
			t.Errorf("round trip of %v via %v BTC/kvB = %v, %v", r, btc, got, err)
		}
	}
}

// TestEstimateFeeRateFallback: a fresh regtest btcd has seen too few
// blocks to estimate; the fallback rate is returned, clamped to the floor,
// for any target.
func TestEstimateFeeRateFallback(t *testing.T) {
	n := startBtcd(t, newKey(t, 1).addr)
	// btcd's own answer: an RPC error, not a rate.
	if _, err := n.client.call(bg, btcjson.NewEstimateFeeCmd(6)); !isNodeRefusal(err) {
		t.Fatalf("estimatefee on a fresh node = %v; want btcd's refusal", err)
	}
	for _, target := range []uint32{0, 1, 6, 25, 1000} {
		got, err := n.client.EstimateFeeRate(bg, target)
		if err != nil || got != DefaultFallbackFeeRate {
			t.Errorf("EstimateFeeRate(%d) = %v, %v; want the fallback %v", target, got, err, DefaultFallbackFeeRate)
		}
	}
	for _, c := range []struct{ fallback, want wire.SatPerKWeight }{{300, 300}, {100, chain.FeeRateFloor}} {
		c2, err := Dial(bg, Config{Host: n.rpcAddr, User: rpcUser, Pass: rpcPass,
			Certificates: mustRead(t, n.dir+"/rpc.cert"), FallbackFeeRate: c.fallback})
		if err != nil {
			t.Fatal(err)
		}
		got, err := c2.EstimateFeeRate(bg, 6)
		c2.Close()
		if err != nil || got != c.want {
			t.Errorf("fallback %v: EstimateFeeRate = %v, %v; want %v", c.fallback, got, err, c.want)
		}
	}
}

// TestEstimateFeeRateFromNode: once btcd has seen fee-paying transactions
// confirm it answers estimatefee with a rate in BTC/kvB, and
// EstimateFeeRate is that rate converted and clamped; a target beyond
// btcd's 25 blocks is asked as 25.
func TestEstimateFeeRateFromNode(t *testing.T) {
	miner := newKey(t, 1)
	n := fundedNode(t, miner, 110)
	for i := 0; i < 3; i++ {
		cb, v := n.coinbase(t, uint32(1+i))
		if err := n.client.Broadcast(bg, spend(t, miner, cb, v, btcutil.Amount(5000*(i+1)), miner.script)); err != nil {
			t.Fatal(err)
		}
	}
	n.generate(t, 1)
	raw := func(target int64) float64 {
		res, err := n.client.call(bg, btcjson.NewEstimateFeeCmd(target))
		if err != nil {
			t.Fatalf("estimatefee %d: %v", target, err)
		}
		var btc float64
		if err := json.Unmarshal(res, &btc); err != nil {
			t.Fatal(err)
		}
		return btc
	}
	for _, c := range []struct {
		target uint32
		asked  int64
	}{{1, 1}, {6, 6}, {100, 25}} {
		btc := raw(c.asked)
		if btc <= 0 {
			t.Fatalf("estimatefee %d = %v after fee-paying blocks; want a rate", c.asked, btc)
		}
		r, err := FeeRateFromBTCPerKvB(btc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := n.client.EstimateFeeRate(bg, c.target)
		if err != nil || got != chain.ClampFeeRate(r) || got == DefaultFallbackFeeRate {
			t.Fatalf("EstimateFeeRate(%d) = %v, %v; btcd says %v BTC/kvB, so want %v", c.target, got, err, btc, chain.ClampFeeRate(r))
		}
		t.Logf("estimatefee %d = %v BTC/kvB -> %v", c.asked, btc, got)
	}
	if n.client.Backend() != Btcd {
		t.Fatalf("detected %v; want btcd", n.client.Backend())
	}
}
