package chainsim

import (
	"context"

	"github.com/lnkit/lnkit/wire"
)

// SetFeeRate sets the fee rate EstimateFeeRate answers for every target
// that SetFeeRateFor has not set.
func (c *Chain) SetFeeRate(rate wire.SatPerKWeight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.feeDefault = rate
}

// SetFeeRateFor sets the fee rate for confirmation within confTarget
// blocks. EstimateFeeRate answers it for confTarget and for larger targets
// up to the next one set.
func (c *Chain) SetFeeRateFor(confTarget uint32, rate wire.SatPerKWeight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.feeTargets[max(confTarget, 1)] = rate
}

// EstimateFeeRate implements chain.FeeEstimator: it returns the rate set
// for the largest target not above confTarget (a target of 0 counts as 1),
// or, if none is, the rate of SetFeeRate (DefaultFeeRate at first). The
// answer is returned as set, not clamped to chain.FeeRateFloor, so tests
// can check that callers clamp.
func (c *Chain) EstimateFeeRate(ctx context.Context, confTarget uint32) (wire.SatPerKWeight, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	confTarget = max(confTarget, 1)
	rate, found := c.feeDefault, uint32(0)
	for t, r := range c.feeTargets {
		if t <= confTarget && t > found {
			rate, found = r, t
		}
	}
	return rate, nil
}
