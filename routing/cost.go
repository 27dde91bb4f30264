package routing

import (
	"fmt"
	"math"

	"github.com/lnkit/lnkit/wire"
)

// CostModel is what the pathfinder minimises. A route's cost, in
// millisatoshi, is
//
//	fees + Σ amount_i · cltv_expiry_delta_i · LockCostPPB / 10⁹
//	     + (AttemptCostBase + amount · AttemptCostPPM / 10⁶) / P(route)
//
// where amount_i is the HTLC a hop forwards, and P(route) is the product
// of the hops' success probabilities. The second term prices the worst
// case of a timelock: the amount locked for the delta's blocks when a
// later hop goes on chain. The third prices a failure: a route that
// succeeds with probability P takes 1/P attempts on average, each costing
// the attempt cost (latency, and a locked HTLC). So a route with higher
// fees wins when it is likely enough to succeed.
//
// A hop's probability is an a-priori estimate times what mission control
// learnt (see MissionControl): liquidity in a channel of capacity c is
// taken as uniform on [0, c], so an amount a gets through with probability
// (c+1-a)/(c+1), times HopProbability for the other reasons a hop fails.
// Mission control narrows [0, c] to the bounds past payments showed, and
// scales by a penalty for failed nodes.
type CostModel struct {
	// LockCostPPB is the cost of locking one msat for one block, in
	// parts per billion. The default, 100, is about half a percent a
	// year.
	LockCostPPB uint32
	// AttemptCostBase and AttemptCostPPM give the cost of one attempt.
	// The defaults are 100 sat and 1000 ppm.
	AttemptCostBase wire.MilliSatoshi
	AttemptCostPPM  uint32
	// HopProbability is the a-priori chance that a hop with liquidity
	// enough forwards (it may be offline, or its peer may be). Default
	// 0.95.
	HopProbability float64
	// MinProbability rejects routes less likely than this. Default
	// 0.001.
	MinProbability float64
	// IgnoreProbability, when set, drops the third term and every
	// probability estimate: the cheapest route by fees and timelocks
	// wins, as in a plain Dijkstra, and Route.Probability is 1.
	IgnoreProbability bool
}

// DefaultCostModel returns the defaults described at CostModel.
func DefaultCostModel() CostModel {
	return CostModel{
		LockCostPPB:     100,
		AttemptCostBase: 100_000,
		AttemptCostPPM:  1000,
		HopProbability:  0.95,
		MinProbability:  0.001,
	}
}

func (c *CostModel) validate() error {
	if math.IsNaN(c.HopProbability) || c.HopProbability <= 0 || c.HopProbability > 1 {
		return fmt.Errorf("%w: HopProbability %v not in (0, 1]", ErrInvalidRequest, c.HopProbability)
	}
	if math.IsNaN(c.MinProbability) || c.MinProbability < 0 || c.MinProbability > 1 {
		return fmt.Errorf("%w: MinProbability %v not in [0, 1]", ErrInvalidRequest, c.MinProbability)
	}
	return nil
}

// attemptCost is the cost of one attempt to send amt.
func (c *CostModel) attemptCost(amt wire.MilliSatoshi) float64 {
	return float64(c.AttemptCostBase) + float64(amt)*float64(c.AttemptCostPPM)/1e6
}

// uniformProbability is the chance that liquidity uniform on [lo, hi]
// (msat) covers amt: 1 at or below lo, 0 above hi.
func uniformProbability(amt, lo, hi float64) float64 {
	if amt <= lo {
		return 1
	}
	if amt > hi {
		return 0
	}
	return (hi + 1 - amt) / (hi + 1 - lo)
}
