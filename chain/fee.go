package chain

import (
	"context"

	"github.com/lnkit/lnkit/wire"
)

// FeeRateFloor is the lowest fee rate the SDK will use: 253 sat/kw, the
// 1 sat/vbyte minimum relay fee of Bitcoin Core's default policy expressed
// per kiloweight (250) and raised so that a fee computed as
// rate × weight / 1000, rounded down as BOLT 3 does, still pays
// 1 sat/vbyte of virtual size rounded up, for every transaction of 250
// weight units or more (relay policy refuses anything under 260).
const FeeRateFloor wire.SatPerKWeight = 253

// FeeEstimator is implemented by the host to estimate fee rates.
//
// EstimateFeeRate returns the fee rate at which a transaction is expected
// to confirm within confTarget blocks (1 is the next block). An estimator
// without enough data for the target returns its best guess, not an error;
// an error means it could not estimate at all. Callers pass the result
// through ClampFeeRate. It must be safe for concurrent use and may be
// called from inside Listener and Confirmer callbacks.
type FeeEstimator interface {
	// EstimateFeeRate returns the fee rate for confirmation within
	// confTarget blocks.
	EstimateFeeRate(ctx context.Context, confTarget uint32) (wire.SatPerKWeight, error)
}

// ClampFeeRate returns rate, or FeeRateFloor if rate is below it.
// Estimators often answer 250 sat/kw (1 sat/vbyte truncated), which would
// make transactions that nodes refuse to relay.
func ClampFeeRate(rate wire.SatPerKWeight) wire.SatPerKWeight {
	if rate < FeeRateFloor {
		return FeeRateFloor
	}
	return rate
}
