package wire

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
)

// MilliSatoshi is an amount in thousandths of a satoshi, the unit of every
// off-chain amount in the Lightning protocol.
type MilliSatoshi uint64

// MilliSatoshiPerSatoshi is the number of millisatoshis in one satoshi.
const MilliSatoshiPerSatoshi = 1000

// ErrSatoshiRange reports an on-chain amount that cannot be converted to
// millisatoshis because it is negative or above btcutil.MaxSatoshi (21
// million BTC): no transaction output or channel can hold it.
var ErrSatoshiRange = errors.New("wire: satoshi amount is negative or above 21 million BTC")

// NewMilliSatoshi converts an on-chain amount to millisatoshis. It returns
// an error wrapping ErrSatoshiRange, and 0, for sat < 0 or
// sat > btcutil.MaxSatoshi rather than wrapping around or saturating; in
// that range the product is exact (btcutil.MaxSatoshi * 1000 is below
// 2^64).
func NewMilliSatoshi(sat btcutil.Amount) (MilliSatoshi, error) {
	if sat < 0 || sat > btcutil.MaxSatoshi {
		return 0, fmt.Errorf("%w: %d sat", ErrSatoshiRange, int64(sat))
	}
	return MilliSatoshi(sat) * MilliSatoshiPerSatoshi, nil
}

// ToSatoshis returns the amount in whole satoshis, rounded down, which is
// how BOLT 3 turns balances into commitment outputs.
func (m MilliSatoshi) ToSatoshis() btcutil.Amount {
	return btcutil.Amount(m / MilliSatoshiPerSatoshi)
}

// String formats the amount as "<n> msat".
func (m MilliSatoshi) String() string { return fmt.Sprintf("%d msat", uint64(m)) }

// SatPerKWeight is a fee rate in satoshis per 1000 units of transaction
// weight, the unit of feerate_per_kw in BOLT 2 and BOLT 3.
type SatPerKWeight uint32

// FeeForWeight returns the fee, rounded down as BOLT 3 requires, that a
// transaction of the given weight pays at this rate.
func (r SatPerKWeight) FeeForWeight(weight int64) btcutil.Amount {
	return btcutil.Amount(int64(r) * weight / 1000)
}

// String formats the rate as "<n> sat/kw".
func (r SatPerKWeight) String() string { return fmt.Sprintf("%d sat/kw", uint32(r)) }
