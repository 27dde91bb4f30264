package htlc

import (
	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// Expected weights of the second-stage HTLC transactions (BOLT 3, "Fee
// Calculation" and Appendix A "Expected Weights"). Under
// option_anchors_zero_fee_htlc_tx the weights still matter for trimming
// decisions in some implementations, but the transactions pay no fee.
const (
	// TimeoutWeight is the weight of an HTLC-timeout transaction without
	// anchors.
	TimeoutWeight int64 = 663
	// TimeoutWeightAnchors is the weight of an HTLC-timeout transaction
	// with anchors (its offered HTLC script is 3 bytes longer).
	TimeoutWeightAnchors int64 = 666
	// SuccessWeight is the weight of an HTLC-success transaction without
	// anchors.
	SuccessWeight int64 = 703
	// SuccessWeightAnchors is the weight of an HTLC-success transaction
	// with anchors.
	SuccessWeightAnchors int64 = 706
)

// TimeoutTxWeight returns the expected weight of an HTLC-timeout
// transaction for the channel type.
func TimeoutTxWeight(t script.ChannelType) int64 {
	if t.HasAnchors() {
		return TimeoutWeightAnchors
	}
	return TimeoutWeight
}

// SuccessTxWeight returns the expected weight of an HTLC-success
// transaction for the channel type.
func SuccessTxWeight(t script.ChannelType) int64 {
	if t.HasAnchors() {
		return SuccessWeightAnchors
	}
	return SuccessWeight
}

// TimeoutFee returns the fee an HTLC-timeout transaction pays: feerate_per_kw
// times its weight divided by 1000, rounded down, or zero under
// option_anchors_zero_fee_htlc_tx (BOLT 3, "Fee Calculation").
func TimeoutFee(t script.ChannelType, feeRate wire.SatPerKWeight) btcutil.Amount {
	if t.HasAnchors() {
		return 0
	}
	return feeRate.FeeForWeight(TimeoutWeight)
}

// SuccessFee returns the fee an HTLC-success transaction pays, zero under
// option_anchors_zero_fee_htlc_tx.
func SuccessFee(t script.ChannelType, feeRate wire.SatPerKWeight) btcutil.Amount {
	if t.HasAnchors() {
		return 0
	}
	return feeRate.FeeForWeight(SuccessWeight)
}

// SecondLevelFee returns TimeoutFee for an offered HTLC and SuccessFee for a
// received one.
func SecondLevelFee(t script.ChannelType, d Direction, feeRate wire.SatPerKWeight) btcutil.Amount {
	if d == Offered {
		return TimeoutFee(t, feeRate)
	}
	return SuccessFee(t, feeRate)
}
