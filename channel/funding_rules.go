package channel

import (
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// This file holds the checks of BOLT 2 "Channel Establishment v1" on the
// values of open_channel and accept_channel, shared by both roles: a
// fundee applies them to open_channel, an opener to accept_channel ("other
// fields have the same requirements as their counterparts in
// open_channel") and, for its own request, before sending open_channel.

// largeChannelFunding is 2^24 sat: funding_satoshis at or above it needs
// option_support_large_channel.
const largeChannelFunding btcutil.Amount = 1 << 24

// sideFields are the fields open_channel and accept_channel share: one
// party's announced limits and keys.
type sideFields struct {
	dust        btcutil.Amount
	maxInFlight wire.MilliSatoshi
	reserve     btcutil.Amount
	htlcMin     wire.MilliSatoshi
	toSelfDelay uint16
	maxAccepted uint16
	keys        *wire.ChannelKeys
	shutdown    *[]byte
}

func openSide(m *wire.OpenChannel) sideFields {
	return sideFields{m.DustLimit, m.MaxHTLCValueInFlight, m.ChannelReserve, m.HTLCMinimum,
		m.ToSelfDelay, m.MaxAcceptedHTLCs, &m.Keys, m.UpfrontShutdownScript}
}

func acceptSide(m *wire.AcceptChannel) sideFields {
	return sideFields{m.DustLimit, m.MaxHTLCValueInFlight, m.ChannelReserve, m.HTLCMinimum,
		m.ToSelfDelay, m.MaxAcceptedHTLCs, &m.Keys, m.UpfrontShutdownScript}
}

// shutdownRules says how a received upfront_shutdown_script is treated:
// with option_upfront_shutdown_script negotiated (upfront) it must be
// present, and empty or one of the forms the connection allows; without,
// it is ignored (BOLT 2 enforces it only when both nodes advertised the
// feature).
type shutdownRules struct {
	upfront, anySegwit, opReturn bool
}

// remoteScript is the script to enforce from a received
// upfront_shutdown_script: nil when empty or not negotiated.
func (r shutdownRules) remoteScript(p *[]byte) []byte {
	if !r.upfront || p == nil || len(*p) == 0 {
		return nil
	}
	return slices.Clone(*p)
}

// checkSide applies the rules on one party's announced fields, for a
// channel of funding sat.
func checkSide(mt wire.MessageType, s *sideFields, funding btcutil.Amount, pol *FundingPolicy, sr shutdownRules) *RefusalError {
	if _, rerr := parseChannelKeys(mt, s.keys); rerr != nil {
		return rerr
	}
	if s.toSelfDelay == 0 || s.toSelfDelay > pol.MaxToSelfDelay {
		return refusal(mt, RuleToSelfDelay, "%d blocks; this node accepts 1 to %d (BOLT 2: MUST fail the channel if unreasonably large)",
			s.toSelfDelay, pol.MaxToSelfDelay)
	}
	if s.maxAccepted == 0 || s.maxAccepted > MaxHTLCs {
		return refusal(mt, RuleMaxAcceptedHTLCs, "%d (BOLT 2: MUST fail the channel if greater than 483; 0 allows no HTLC)", s.maxAccepted)
	}
	if s.dust < script.MinDustLimit {
		return refusal(mt, RuleDustLimit, "%d sat (BOLT 2: MUST fail the channel if smaller than 354 satoshis)", s.dust)
	}
	if s.dust > pol.MaxDustLimit {
		return refusal(mt, RuleDustLimit, "%d sat above this node's limit of %d sat (BOLT 2: MAY fail the channel if too large)",
			s.dust, pol.MaxDustLimit)
	}
	if s.dust > s.reserve {
		return refusal(mt, RuleDustLimit, "%d sat above the sender's channel_reserve_satoshis %d (BOLT 2: MUST fail the channel)",
			s.dust, s.reserve)
	}
	if maxReserve := btcutil.Amount(int64(funding) * int64(pol.MaxReservePercent) / 100); s.reserve > maxReserve {
		return refusal(mt, RuleChannelReserve, "%d sat is more than %d%% of the %d sat channel (BOLT 2: MAY fail the channel if too large)",
			s.reserve, pol.MaxReservePercent, funding)
	}
	if s.htlcMin > pol.MaxHTLCMinimum {
		return refusal(mt, RuleHTLCMinimum, "%v above this node's limit of %v (BOLT 2: MAY fail the channel if too large)",
			s.htlcMin, pol.MaxHTLCMinimum)
	}
	minInFlight := wire.MilliSatoshi(funding) * wire.MilliSatoshiPerSatoshi / 100 * wire.MilliSatoshi(pol.MinMaxInFlightPercent)
	if s.maxInFlight == 0 || s.maxInFlight < minInFlight {
		return refusal(mt, RuleMaxInFlight, "%v is below %d%% of the channel, %v (BOLT 2: MAY fail the channel if too small)",
			s.maxInFlight, pol.MinMaxInFlightPercent, minInFlight)
	}
	switch {
	case !sr.upfront:
	case s.shutdown == nil:
		return refusal(mt, RuleShutdownScript, "absent while option_upfront_shutdown_script is negotiated (BOLT 2: the sender MUST include it, empty to opt out)")
	case len(*s.shutdown) > 0 && !shutdownScriptAllowed(*s.shutdown, sr.anySegwit, sr.opReturn):
		return refusal(mt, RuleShutdownScript, "%x is not P2WPKH, P2WSH%s%s (BOLT 2 shutdown scriptpubkey forms)",
			*s.shutdown, fundingOrIf(sr.anySegwit, ", a witness program v1-16"), fundingOrIf(sr.opReturn, ", OP_RETURN"))
	}
	return nil
}

func fundingOrIf(ok bool, s string) string {
	if ok {
		return s
	}
	return ""
}

// parseChannelKeys checks and parses the five basepoints and the first
// per-commitment point.
func parseChannelKeys(mt wire.MessageType, k *wire.ChannelKeys) (*parsedKeys, *RefusalError) {
	var out parsedKeys
	for _, f := range []struct {
		name string
		p    *wire.Point
		dst  **btcec.PublicKey
	}{
		{"funding_pubkey", &k.FundingKey, &out.bp.Funding},
		{"revocation_basepoint", &k.RevocationBasepoint, &out.bp.Revocation},
		{"payment_basepoint", &k.PaymentBasepoint, &out.bp.Payment},
		{"delayed_payment_basepoint", &k.DelayedPaymentBasepoint, &out.bp.DelayedPayment},
		{"htlc_basepoint", &k.HTLCBasepoint, &out.bp.HTLC},
		{"first_per_commitment_point", &k.FirstPerCommitmentPoint, &out.first},
	} {
		if err := f.p.Validate(); err != nil {
			return nil, &RefusalError{Msg: mt, Rule: RuleInvalidPoint, Cause: err,
				Detail: fmt.Sprintf("%s %v (BOLT 2: MUST be a valid compressed secp256k1 point)", f.name, err)}
		}
		pk, err := f.p.PublicKey()
		if err != nil {
			return nil, &RefusalError{Msg: mt, Rule: RuleInvalidPoint, Cause: err, Detail: fmt.Sprintf("%s %v", f.name, err)}
		}
		*f.dst = pk
	}
	return &out, nil
}

type parsedKeys struct {
	bp    Basepoints
	first *btcec.PublicKey
}

// initialCommitCharge is what the opener pays out of its balance in commitment 0:
// the fee of a commitment without HTLCs and, under option_anchors, the two
// anchors (BOLT 3 "Fee Payment").
func initialCommitCharge(t script.ChannelType, rate wire.SatPerKWeight) wire.MilliSatoshi {
	c := script.CommitFee(t, rate, 0)
	if t.HasAnchors() {
		c += 2 * script.AnchorOutputValue
	}
	// At most 2^32 sat/kw × 1124 / 1000 + 660 sat: far below MaxSatoshi.
	return wire.MilliSatoshi(c) * wire.MilliSatoshiPerSatoshi
}

// checkInitialBalances applies the rules on the initial commitment's amounts:
// push_msat, the opener's ability to pay the fee, and that one side has
// something above each reserve given. funding and push must already be
// in range.
func checkInitialBalances(mt wire.MessageType, funding btcutil.Amount, push wire.MilliSatoshi, t script.ChannelType,
	rate wire.SatPerKWeight, reserves ...btcutil.Amount) *RefusalError {
	total := wire.MilliSatoshi(funding) * wire.MilliSatoshiPerSatoshi
	if push > total {
		return refusal(mt, RulePushAmount, "%v above 1000 * funding_satoshis = %v (BOLT 2: MUST fail the channel)", push, total)
	}
	funder := total - push
	charge := initialCommitCharge(t, rate)
	if funder < charge {
		return refusal(mt, RuleFunderBalance, "the opener has %v and owes %v at %v for commitment 0 (%v; BOLT 2: MUST fail the channel)",
			funder, charge, rate, t)
	}
	funder -= charge
	for _, r := range reserves {
		if funder.ToSatoshis() <= r && push.ToSatoshis() <= r {
			return refusal(mt, RuleReserveBalance, "to_local and to_remote of commitment 0 (%v, %v) are both at most channel_reserve_satoshis %d (BOLT 2: MUST fail the channel)",
				funder, push, r)
		}
	}
	return nil
}

// checkOpenFeeRate bounds an opener's feerate_per_kw by the estimate. A
// commitment of option_anchors is fee-bumped through its anchor (CPFP), so
// its rate only needs to relay: the lower bound is then 253 sat/kw.
func checkOpenFeeRate(mt wire.MessageType, rate, estimate wire.SatPerKWeight, t script.ChannelType, pol *FundingPolicy) *RefusalError {
	if estimate < minRelayFeeRate {
		estimate = minRelayFeeRate
	}
	low := uint64(estimate) * uint64(pol.MinFeeRatePercent) / 100
	if low < uint64(minRelayFeeRate) || t.HasAnchors() {
		low = uint64(minRelayFeeRate)
	}
	high := uint64(estimate) * uint64(pol.MaxFeeRatePercent) / 100
	if uint64(rate) < low {
		return refusal(mt, RuleFeeRate, "%v is below %d sat/kw (%v: %d%% of the estimate %v without anchors, and at least 253; BOLT 2: MUST fail the channel if too small)",
			rate, low, t, pol.MinFeeRatePercent, estimate)
	}
	if uint64(rate) > high {
		return refusal(mt, RuleFeeRate, "%v is above %d sat/kw (%d%% of the estimate %v; BOLT 2: MUST fail the channel if unreasonably large)",
			rate, high, pol.MaxFeeRatePercent, estimate)
	}
	return nil
}

// checkFundingAmount applies the funding_satoshis limits.
func checkFundingAmount(mt wire.MessageType, funding btcutil.Amount, pol *FundingPolicy) *RefusalError {
	if funding >= largeChannelFunding && !pol.LargeChannels {
		return refusal(mt, RuleFundingAmount, "%d sat is at least 2^24 and this node does not accept large channels (BOLT 2: MUST fail the channel)", funding)
	}
	if funding < pol.MinFunding || funding > pol.MaxFunding {
		return refusal(mt, RuleFundingAmount, "%d sat outside this node's %d to %d sat (BOLT 2: MAY fail the channel if too small)",
			funding, pol.MinFunding, pol.MaxFunding)
	}
	return nil
}

// channelTypeVector is the channel_type bitmap of a type and its
// variations, in its smallest encoding (BOLT 2 "Defined Channel Types").
func channelTypeVector(t script.ChannelType, alias, zeroConf bool) wire.FeatureVector {
	v := wire.NewFeatureVector(wire.FeatureStaticRemoteKey)
	if t.HasAnchors() {
		v.Set(wire.FeatureAnchorsZeroFeeHTLCTx)
	}
	if alias {
		v.Set(wire.FeatureSCIDAlias)
	}
	if zeroConf {
		v.Set(wire.FeatureZeroConf)
	}
	return v
}

// maxChannelTypeBytes is the size of the largest defined channel_type
// (bit 50, option_zeroconf).
const maxChannelTypeBytes = int(wire.FeatureZeroConf)/8 + 1

// parseChannelType reads a channel_type: option_static_remotekey, or
// option_anchors with option_static_remotekey, each optionally with
// option_scid_alias and option_zeroconf; every bit even. Anything else is
// not a type this node can use ("not suitable"). Leading zero bytes are
// tolerated.
func parseChannelType(v wire.FeatureVector) (t script.ChannelType, alias, zeroConf bool, why string) {
	i := 0
	for i < len(v) && v[i] == 0 {
		i++
	}
	if len(v)-i > maxChannelTypeBytes {
		return 0, false, false, "bits beyond the defined channel types"
	}
	var srk, anchors bool
	for _, b := range v[i:].Bits() {
		switch b {
		case wire.FeatureStaticRemoteKey:
			srk = true
		case wire.FeatureAnchorsZeroFeeHTLCTx:
			anchors = true
		case wire.FeatureSCIDAlias:
			alias = true
		case wire.FeatureZeroConf:
			zeroConf = true
		default:
			return 0, false, false, fmt.Sprintf("bit %v is not part of a defined channel type", b)
		}
	}
	if !srk {
		return 0, false, false, "no option_static_remotekey: only static_remotekey and anchors types are supported"
	}
	t = script.StaticRemoteKey
	if anchors {
		t = script.Anchors
	}
	return t, alias, zeroConf, ""
}

// shutdownScriptAllowed reports whether s is one of the scriptpubkey forms
// BOLT 2 allows in shutdown (and so in upfront_shutdown_script): P2WPKH,
// P2WSH, with option_shutdown_anysegwit a witness program of version 1 to
// 16 (2 to 40 bytes), with option_simple_close OP_RETURN and a single push
// of 6 to 80 bytes in its shortest form.
func shutdownScriptAllowed(s []byte, anySegwit, opReturn bool) bool {
	n := len(s)
	switch {
	case n == 22 && s[0] == txscript.OP_0 && s[1] == txscript.OP_DATA_20:
		return true
	case n == 34 && s[0] == txscript.OP_0 && s[1] == txscript.OP_DATA_32:
		return true
	case anySegwit && n >= 4 && s[0] >= txscript.OP_1 && s[0] <= txscript.OP_16:
		return s[1] >= 2 && s[1] <= 40 && int(s[1]) == n-2
	case opReturn && n >= 2 && s[0] == txscript.OP_RETURN:
		if s[1] >= 6 && s[1] <= 75 {
			return n == 2+int(s[1])
		}
		return n >= 3 && s[1] == txscript.OP_PUSHDATA1 && s[2] >= 76 && s[2] <= 80 && n == 3+int(s[2])
	}
	return false
}

// sigIsLowS reports whether a compact signature's s is in the lower half of the
// group order (BOLT 2 funding_created and funding_signed: a signature that
// is not LOW-S fails).
func sigIsLowS(sig wire.Signature) bool {
	var s btcec.ModNScalar
	if s.SetByteSlice(sig[32:]) {
		return false
	}
	return !s.IsOverHalfOrder()
}
