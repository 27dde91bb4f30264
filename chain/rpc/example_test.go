package rpc_test

import (
	"fmt"

	"github.com/lnkit/lnkit/chain"
	"github.com/lnkit/lnkit/chain/rpc"
)

// estimatesmartfee and estimatefee answer in BTC per 1000 virtual bytes;
// the SDK's unit is sat per 1000 weight units. 1 sat/vB is 250 sat/kw,
// which chain.ClampFeeRate raises to the 253 sat/kw floor.
func ExampleFeeRateFromBTCPerKvB() {
	for _, btcPerKvB := range []float64{0.00001, 0.0002, 0.00012345} {
		rate, err := rpc.FeeRateFromBTCPerKvB(btcPerKvB)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%.8f BTC/kvB = %v, clamped %v\n", btcPerKvB, rate, chain.ClampFeeRate(rate))
	}
	// Output:
	// 0.00001000 BTC/kvB = 250 sat/kw, clamped 253 sat/kw
	// 0.00020000 BTC/kvB = 5000 sat/kw, clamped 5000 sat/kw
	// 0.00012345 BTC/kvB = 3087 sat/kw, clamped 3087 sat/kw
}
