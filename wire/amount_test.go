package wire

import (
	"errors"
	"math"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
)

// TestNewMilliSatoshiRange checks the conversion at and beyond both ends
// of the bitcoin supply: before it returned an error, -1 sat became
// 2^64-1000 msat and math.MaxInt64 sat wrapped to a small number.
func TestNewMilliSatoshiRange(t *testing.T) {
	for _, c := range []struct {
		sat  btcutil.Amount
		want MilliSatoshi
	}{
		{0, 0},
		{1, 1000},
		{1234, 1_234_000},
		{btcutil.MaxSatoshi, 2_100_000_000_000_000_000},
	} {
		got, err := NewMilliSatoshi(c.sat)
		if err != nil || got != c.want {
			t.Errorf("NewMilliSatoshi(%d) = %d, %v; want %d", int64(c.sat), uint64(got), err, uint64(c.want))
		}
		if got.ToSatoshis() != c.sat {
			t.Errorf("NewMilliSatoshi(%d).ToSatoshis() = %d", int64(c.sat), int64(got.ToSatoshis()))
		}
	}
	for _, sat := range []btcutil.Amount{-1, -1000, math.MinInt64, btcutil.MaxSatoshi + 1, math.MaxInt64 / 1000, math.MaxInt64} {
		got, err := NewMilliSatoshi(sat)
		if !errors.Is(err, ErrSatoshiRange) || got != 0 {
			t.Errorf("NewMilliSatoshi(%d) = %d, %v; want 0 and ErrSatoshiRange", int64(sat), uint64(got), err)
		}
	}
}
