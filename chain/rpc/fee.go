package rpc

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/btcsuite/btcd/btcjson"
	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/wire"
)

// Confirmation targets the nodes accept: btcd's estimatefee looks at most
// 25 blocks ahead, bitcoind's estimatesmartfee 1008.
const (
	maxTargetBtcd     = 25
	maxTargetBitcoind = 1008
)

// FeeRateFromBTCPerKvB converts a fee rate in BTC per 1000 virtual bytes,
// the unit of estimatesmartfee and estimatefee, to sat/kw:
//
//	1 BTC/kvB = 100,000,000 sat per 1000 vB = 100,000 sat/vB
//	1 vB = 4 weight units, so 100,000 sat/vB = 25,000 sat/wu = 25,000,000 sat/kw
//
// so sat/kw = BTC/kvB × 25,000,000, and 1 sat/vB (0.00001 BTC/kvB) is
// 250 sat/kw. The BTC amount is first rounded to whole satoshis per kvB
// (bitcoind's float is a decimal with 8 places; btcd's an unrounded
// quotient such as 0.0005235602094240838); the division by 4 rounds up, so
// the rate never pays less than the node asked. The result is not
// clamped to chain.FeeRateFloor. A negative, NaN or infinite rate, or one
// above 2^32-1 sat/kw, is an error.
func FeeRateFromBTCPerKvB(btcPerKvB float64) (wire.SatPerKWeight, error) {
	if math.IsNaN(btcPerKvB) || math.IsInf(btcPerKvB, 0) || btcPerKvB < 0 {
		return 0, fmt.Errorf("chain/rpc: fee rate %v BTC/kvB is not a rate", btcPerKvB)
	}
	satPerKvB := math.Round(btcPerKvB * 1e8)
	satPerKW := math.Ceil(satPerKvB / 4)
	if satPerKW > math.MaxUint32 {
		return 0, fmt.Errorf("chain/rpc: fee rate %v BTC/kvB is out of range", btcPerKvB)
	}
	return wire.SatPerKWeight(satPerKW), nil
}

// EstimateFeeRate implements chain.FeeEstimator: estimatesmartfee
// (conservative mode) on bitcoind, estimatefee on btcd, converted with
// FeeRateFromBTCPerKvB and clamped to chain.FeeRateFloor. The target is
// raised to 1 and capped at what the node accepts (25 blocks on btcd,
// 1008 on bitcoind). When the node answers that it has no estimate (too
// few blocks seen, as on a fresh regtest chain, or no data for the
// target), the Config's fallback rate is returned. Only a failure to ask
// (a connection error, ctx) is an error.
func (c *Client) EstimateFeeRate(ctx context.Context, confTarget uint32) (wire.SatPerKWeight, error) {
	target := int64(max(confTarget, 1))
	var btcPerKvB float64
	switch c.backend {
	case Bitcoind:
		target = min(target, maxTargetBitcoind)
		mode := btcjson.EstimateModeConservative
		var res btcjson.EstimateSmartFeeResult
		err := c.callInto(ctx, btcjson.NewEstimateSmartFeeCmd(target, &mode), &res)
		if isNodeRefusal(err) {
			return chain.ClampFeeRate(c.fallback), nil
		}
		if err != nil {
			return 0, fmt.Errorf("chain/rpc: estimate fee: %w", err)
		}
		if res.FeeRate == nil { // "Insufficient data or no feerate found"
			return chain.ClampFeeRate(c.fallback), nil
		}
		btcPerKvB = *res.FeeRate
	default:
		target = min(target, maxTargetBtcd)
		err := c.callInto(ctx, btcjson.NewEstimateFeeCmd(target), &btcPerKvB)
		if isNodeRefusal(err) { // "not enough blocks have been observed"
			return chain.ClampFeeRate(c.fallback), nil
		}
		if err != nil {
			return 0, fmt.Errorf("chain/rpc: estimate fee: %w", err)
		}
	}
	if btcPerKvB <= 0 { // -1, or btcd's 0 before it has seen fees: no estimate
		return chain.ClampFeeRate(c.fallback), nil
	}
	rate, err := FeeRateFromBTCPerKvB(btcPerKvB)
	if err != nil {
		return 0, err
	}
	return chain.ClampFeeRate(rate), nil
}

// isNodeRefusal reports whether err is the node's own answer (a JSON-RPC
// error object) rather than a failure to reach it.
func isNodeRefusal(err error) bool {
	var rerr *btcjson.RPCError
	return errors.As(err, &rerr)
}
