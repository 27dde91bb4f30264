package channel

import (
	"errors"
	"fmt"

	"github.com/lnkit/lnkit/wire"
)

// Errors of channel establishment (Funding).
var (
	// ErrFundingRefused reports a peer message that broke a BOLT 2 rule of
	// channel establishment or this node's FundingPolicy. The
	// negotiation is over and the returned actions send the peer an
	// error. Errors that wrap it are *RefusalError.
	ErrFundingRefused = errors.New("channel: channel establishment refused")

	// ErrFundingAborted reports a negotiation that ended without a
	// channel because the peer sent an error or the host abandoned it.
	ErrFundingAborted = errors.New("channel: channel establishment aborted")

	// ErrFundingState reports a call that does not fit the negotiation's
	// stage (a funding transaction before accept_channel, say, or any
	// input once it is over). Nothing changes.
	ErrFundingState = errors.New("channel: not expected at this stage of channel establishment")
)

// FundingRule names the rule of channel establishment a refused message
// broke. Each is a BOLT 2 requirement on open_channel, accept_channel,
// funding_created or funding_signed, or a limit of FundingPolicy where
// BOLT 2 leaves the limit to the receiver.
type FundingRule uint8

// The rules, in the order BOLT 2 lists them.
const (
	// RuleChainHash: chain_hash is not the chain of this node.
	RuleChainHash FundingRule = iota + 1
	// RuleDualFund: open_channel while option_dual_fund is negotiated.
	RuleDualFund
	// RuleTemporaryChannelID: temporary_channel_id all zeros, or not the
	// one of open_channel.
	RuleTemporaryChannelID
	// RuleFundingAmount: funding_satoshis below FundingPolicy.MinFunding,
	// above MaxFunding, or at least 2^24 without large channels.
	RuleFundingAmount
	// RulePushAmount: push_msat above 1000 × funding_satoshis.
	RulePushAmount
	// RuleToSelfDelay: to_self_delay 0 or above MaxToSelfDelay.
	RuleToSelfDelay
	// RuleMaxAcceptedHTLCs: max_accepted_htlcs 0 or above 483.
	RuleMaxAcceptedHTLCs
	// RuleFeeRate: feerate_per_kw too small or unreasonably large for the
	// host's estimate.
	RuleFeeRate
	// RuleInvalidPoint: a basepoint or first_per_commitment_point that is
	// not a valid compressed secp256k1 point.
	RuleInvalidPoint
	// RuleDustLimit: dust_limit_satoshis below 354, above the sender's own
	// channel_reserve_satoshis, or above MaxDustLimit.
	RuleDustLimit
	// RuleChannelReserve: a channel_reserve_satoshis below the other
	// side's dust_limit_satoshis, or above MaxReservePercent.
	RuleChannelReserve
	// RuleHTLCMinimum: htlc_minimum_msat above MaxHTLCMinimum.
	RuleHTLCMinimum
	// RuleMaxInFlight: max_htlc_value_in_flight_msat 0 or below
	// MinMaxInFlightPercent.
	RuleMaxInFlight
	// RuleFunderBalance: the opener cannot pay the fee (and, under
	// option_anchors, the two anchors) of the initial commitment.
	RuleFunderBalance
	// RuleReserveBalance: both to_local and to_remote of the initial
	// commitment are at most channel_reserve_satoshis.
	RuleReserveBalance
	// RuleChannelType: channel_type is not a type this node can use, not
	// the proposed one, or option_scid_alias with announce_channel.
	RuleChannelType
	// RuleZeroConf: option_zeroconf from a peer this node does not trust
	// with an unconfirmed channel (FundingPolicy.AcceptZeroConf).
	RuleZeroConf
	// RuleMinimumDepth: minimum_depth above MaxMinimumDepth, or not 0 for
	// a zero-conf channel.
	RuleMinimumDepth
	// RuleShutdownScript: upfront_shutdown_script in none of the forms
	// BOLT 2 allows for shutdown's scriptpubkey.
	RuleShutdownScript
	// RuleSignature: the signature of funding_created or funding_signed
	// does not verify against this node's commitment 0, or is not low-S.
	RuleSignature
	// RuleChannelID: funding_signed for another channel_id.
	RuleChannelID
	// RuleChannelIDInUse: the funding outpoint gives the channel_id of an
	// existing channel (FundingConfig.ChannelIDInUse).
	RuleChannelIDInUse
	// RuleUnexpectedMessage: a message out of order.
	RuleUnexpectedMessage
)

var fundingRuleNames = [...]string{
	RuleChainHash:          "chain_hash",
	RuleDualFund:           "option_dual_fund",
	RuleTemporaryChannelID: "temporary_channel_id",
	RuleFundingAmount:      "funding_satoshis",
	RulePushAmount:         "push_msat",
	RuleToSelfDelay:        "to_self_delay",
	RuleMaxAcceptedHTLCs:   "max_accepted_htlcs",
	RuleFeeRate:            "feerate_per_kw",
	RuleInvalidPoint:       "invalid point",
	RuleDustLimit:          "dust_limit_satoshis",
	RuleChannelReserve:     "channel_reserve_satoshis",
	RuleHTLCMinimum:        "htlc_minimum_msat",
	RuleMaxInFlight:        "max_htlc_value_in_flight_msat",
	RuleFunderBalance:      "funder cannot pay the commitment fee",
	RuleReserveBalance:     "no balance above the reserve",
	RuleChannelType:        "channel_type",
	RuleZeroConf:           "option_zeroconf",
	RuleMinimumDepth:       "minimum_depth",
	RuleShutdownScript:     "upfront_shutdown_script",
	RuleSignature:          "signature",
	RuleChannelID:          "channel_id",
	RuleChannelIDInUse:     "channel_id in use",
	RuleUnexpectedMessage:  "unexpected message",
}

// String names the rule.
func (r FundingRule) String() string {
	if int(r) < len(fundingRuleNames) && fundingRuleNames[r] != "" {
		return fundingRuleNames[r]
	}
	return fmt.Sprintf("FundingRule(%d)", uint8(r))
}

// RefusalError is why a Funding refused a peer's message. It wraps
// ErrFundingRefused, and Cause when set (ErrInvalidCommitSig for a bad
// signature, say).
type RefusalError struct {
	// Msg is the type of the refused message.
	Msg wire.MessageType
	// Rule is the rule it broke.
	Rule FundingRule
	// Detail gives the values involved and the BOLT requirement.
	Detail string
	// Cause is an underlying error, or nil.
	Cause error
}

// Error describes the refusal: message, rule and detail.
func (e *RefusalError) Error() string {
	return fmt.Sprintf("%v: %v: %s: %s", ErrFundingRefused, e.Msg, e.Rule, e.Detail)
}

// Unwrap returns ErrFundingRefused and the cause.
func (e *RefusalError) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrFundingRefused, e.Cause}
	}
	return []error{ErrFundingRefused}
}

// refusal builds a *RefusalError.
func refusal(msg wire.MessageType, rule FundingRule, format string, args ...any) *RefusalError {
	return &RefusalError{Msg: msg, Rule: rule, Detail: fmt.Sprintf(format, args...)}
}
