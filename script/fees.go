package script

import (
	"github.com/btcsuite/btcd/btcutil"

	"github.com/lnkit/lnkit/wire"
)

// Expected weights of BOLT 3 "Fees" and "Appendix A: Expected Weights".
// They assume 73-byte signatures, a one-byte output count and both a
// to_local and a to_remote output, whatever the real transaction holds.
const (
	// CommitWeightNoAnchors is the expected weight of a commitment
	// transaction without HTLC outputs, without option_anchors.
	CommitWeightNoAnchors int64 = 724
	// CommitWeightAnchors is the same under option_anchors (two anchor
	// outputs and the larger to_remote script).
	CommitWeightAnchors int64 = 1124
	// HTLCOutputWeight is the weight each untrimmed HTLC output adds to a
	// commitment transaction.
	HTLCOutputWeight int64 = 172
	// HTLCTimeoutWeightNoAnchors is the expected weight of an
	// HTLC-timeout transaction without option_anchors.
	HTLCTimeoutWeightNoAnchors int64 = 663
	// HTLCTimeoutWeightAnchors is the same under option_anchors.
	HTLCTimeoutWeightAnchors int64 = 666
	// HTLCSuccessWeightNoAnchors is the expected weight of an
	// HTLC-success transaction without option_anchors.
	HTLCSuccessWeightNoAnchors int64 = 703
	// HTLCSuccessWeightAnchors is the same under option_anchors.
	HTLCSuccessWeightAnchors int64 = 706
)

// CommitWeight returns the expected weight of a commitment transaction
// with numUntrimmedHTLCs HTLC outputs (BOLT 3 "Fee Calculation").
func CommitWeight(t ChannelType, numUntrimmedHTLCs int) int64 {
	base := CommitWeightNoAnchors
	if t == Anchors {
		base = CommitWeightAnchors
	}
	return base + HTLCOutputWeight*int64(numUntrimmedHTLCs)
}

// CommitFee returns the base fee of a commitment transaction with
// numUntrimmedHTLCs HTLC outputs: feerate_per_kw times the expected
// weight, divided by 1000 and rounded down. The fee actually paid is
// larger by whatever trimmed outputs and msat rounding add.
func CommitFee(t ChannelType, feerate wire.SatPerKWeight, numUntrimmedHTLCs int) btcutil.Amount {
	return feerate.FeeForWeight(CommitWeight(t, numUntrimmedHTLCs))
}

// HTLCTimeoutWeight returns the expected weight of an HTLC-timeout
// transaction.
func HTLCTimeoutWeight(t ChannelType) int64 {
	if t == Anchors {
		return HTLCTimeoutWeightAnchors
	}
	return HTLCTimeoutWeightNoAnchors
}

// HTLCSuccessWeight returns the expected weight of an HTLC-success
// transaction.
func HTLCSuccessWeight(t ChannelType) int64 {
	if t == Anchors {
		return HTLCSuccessWeightAnchors
	}
	return HTLCSuccessWeightNoAnchors
}

// HTLCTimeoutFee returns the fee an HTLC-timeout transaction pays: zero
// under option_anchors (option_anchors_zero_fee_htlc_tx, whose second-stage
// transactions are fee-bumped by adding inputs), otherwise feerate_per_kw
// times 663 divided by 1000, rounded down (BOLT 3 "Fee Calculation").
func HTLCTimeoutFee(t ChannelType, feerate wire.SatPerKWeight) btcutil.Amount {
	if t == Anchors {
		return 0
	}
	return feerate.FeeForWeight(HTLCTimeoutWeightNoAnchors)
}

// HTLCSuccessFee returns the fee an HTLC-success transaction pays: zero
// under option_anchors, otherwise feerate_per_kw times 703 divided by 1000,
// rounded down.
func HTLCSuccessFee(t ChannelType, feerate wire.SatPerKWeight) btcutil.Amount {
	if t == Anchors {
		return 0
	}
	return feerate.FeeForWeight(HTLCSuccessWeightNoAnchors)
}

// HTLCFee returns the fee of the second-stage transaction that resolves
// an HTLC of the given kind on its owner's commitment: HTLC-timeout for
// offered HTLCs, HTLC-success for received ones.
func HTLCFee(t ChannelType, kind HTLCKind, feerate wire.SatPerKWeight) btcutil.Amount {
	if kind == Offered {
		return HTLCTimeoutFee(t, feerate)
	}
	return HTLCSuccessFee(t, feerate)
}

// HTLCTrimThreshold returns the smallest HTLC amount, in whole satoshis,
// whose output a commitment transaction holds: dustLimit (the commitment
// owner's dust_limit_satoshis) plus the fee of the HTLC's second-stage
// transaction. Under option_anchors that fee is zero, so HTLCs are
// trimmed against the dust limit alone.
func HTLCTrimThreshold(t ChannelType, kind HTLCKind, feerate wire.SatPerKWeight, dustLimit btcutil.Amount) btcutil.Amount {
	return dustLimit + HTLCFee(t, kind, feerate)
}

// HTLCTrimmed reports whether an HTLC of amount is trimmed from a
// commitment transaction (BOLT 3 "Trimmed Outputs"): its amount, rounded
// down to whole satoshis, minus its second-stage fee is below dustLimit.
func HTLCTrimmed(t ChannelType, kind HTLCKind, amount wire.MilliSatoshi, feerate wire.SatPerKWeight, dustLimit btcutil.Amount) bool {
	return amount.ToSatoshis() < HTLCTrimThreshold(t, kind, feerate, dustLimit)
}
