package onion

import "fmt"

// FailureCode is a BOLT 4 failure_code: a u16 whose top bits are flags.
type FailureCode uint16

// Flags of a failure code (BOLT 4 "Failure Messages").
const (
	// FlagBadOnion marks an onion the sending peer encrypted wrongly.
	FlagBadOnion FailureCode = 0x8000
	// FlagPerm marks a permanent failure.
	FlagPerm FailureCode = 0x4000
	// FlagNode marks a failure of the node rather than a channel.
	FlagNode FailureCode = 0x2000
	// FlagUpdate marks a failure that encloses a channel_update.
	FlagUpdate FailureCode = 0x1000
)

// The failure codes of BOLT 4 "Failure Messages".
const (
	CodeInvalidRealm                                 = FlagPerm | 1
	CodeTemporaryNodeFailure                         = FlagNode | 2
	CodePermanentNodeFailure                         = FlagPerm | FlagNode | 2
	CodeRequiredNodeFeatureMissing                   = FlagPerm | FlagNode | 3
	CodeInvalidOnionVersion                          = FlagBadOnion | FlagPerm | 4
	CodeInvalidOnionHMAC                             = FlagBadOnion | FlagPerm | 5
	CodeInvalidOnionKey                              = FlagBadOnion | FlagPerm | 6
	CodeTemporaryChannelFailure                      = FlagUpdate | 7
	CodePermanentChannelFailure                      = FlagPerm | 8
	CodeRequiredChannelFeatureMissing                = FlagPerm | 9
	CodeUnknownNextPeer                              = FlagPerm | 10
	CodeAmountBelowMinimum                           = FlagUpdate | 11
	CodeFeeInsufficient                              = FlagUpdate | 12
	CodeIncorrectCLTVExpiry                          = FlagUpdate | 13
	CodeExpiryTooSoon                                = FlagUpdate | 14
	CodeIncorrectOrUnknownPaymentDetails             = FlagPerm | 15
	CodeFinalIncorrectCLTVExpiry         FailureCode = 18
	CodeFinalIncorrectHTLCAmount         FailureCode = 19
	CodeChannelDisabled                              = FlagUpdate | 20
	CodeExpiryTooFar                     FailureCode = 21
	CodeInvalidOnionPayload                          = FlagPerm | 22
	CodeMPPTimeout                       FailureCode = 23
	CodeInvalidOnionBlinding                         = FlagBadOnion | FlagPerm | 24
)

var failureNames = map[FailureCode]string{
	CodeInvalidRealm:                     "invalid_realm",
	CodeTemporaryNodeFailure:             "temporary_node_failure",
	CodePermanentNodeFailure:             "permanent_node_failure",
	CodeRequiredNodeFeatureMissing:       "required_node_feature_missing",
	CodeInvalidOnionVersion:              "invalid_onion_version",
	CodeInvalidOnionHMAC:                 "invalid_onion_hmac",
	CodeInvalidOnionKey:                  "invalid_onion_key",
	CodeTemporaryChannelFailure:          "temporary_channel_failure",
	CodePermanentChannelFailure:          "permanent_channel_failure",
	CodeRequiredChannelFeatureMissing:    "required_channel_feature_missing",
	CodeUnknownNextPeer:                  "unknown_next_peer",
	CodeAmountBelowMinimum:               "amount_below_minimum",
	CodeFeeInsufficient:                  "fee_insufficient",
	CodeIncorrectCLTVExpiry:              "incorrect_cltv_expiry",
	CodeExpiryTooSoon:                    "expiry_too_soon",
	CodeIncorrectOrUnknownPaymentDetails: "incorrect_or_unknown_payment_details",
	CodeFinalIncorrectCLTVExpiry:         "final_incorrect_cltv_expiry",
	CodeFinalIncorrectHTLCAmount:         "final_incorrect_htlc_amount",
	CodeChannelDisabled:                  "channel_disabled",
	CodeExpiryTooFar:                     "expiry_too_far",
	CodeInvalidOnionPayload:              "invalid_onion_payload",
	CodeMPPTimeout:                       "mpp_timeout",
	CodeInvalidOnionBlinding:             "invalid_onion_blinding",
}

// AllFailureCodes lists every failure code BOLT 4 defines, in spec order.
var AllFailureCodes = []FailureCode{
	CodeInvalidRealm, CodeTemporaryNodeFailure, CodePermanentNodeFailure,
	CodeRequiredNodeFeatureMissing, CodeInvalidOnionVersion, CodeInvalidOnionHMAC,
	CodeInvalidOnionKey, CodeTemporaryChannelFailure, CodePermanentChannelFailure,
	CodeRequiredChannelFeatureMissing, CodeUnknownNextPeer, CodeAmountBelowMinimum,
	CodeFeeInsufficient, CodeIncorrectCLTVExpiry, CodeExpiryTooSoon,
	CodeIncorrectOrUnknownPaymentDetails, CodeFinalIncorrectCLTVExpiry,
	CodeFinalIncorrectHTLCAmount, CodeChannelDisabled, CodeExpiryTooFar,
	CodeInvalidOnionPayload, CodeMPPTimeout, CodeInvalidOnionBlinding,
}

// String returns the spec's name, or the hex value for an unknown code.
func (c FailureCode) String() string {
	if n, ok := failureNames[c]; ok {
		return n
	}
	return fmt.Sprintf("failure_code(%#04x)", uint16(c))
}

// Known reports whether BOLT 4 defines the code.
func (c FailureCode) Known() bool { _, ok := failureNames[c]; return ok }

// IsBadOnion reports whether the BADONION flag is set.
func (c FailureCode) IsBadOnion() bool { return c&FlagBadOnion != 0 }

// IsPermanent reports whether the PERM flag is set.
func (c FailureCode) IsPermanent() bool { return c&FlagPerm != 0 }

// IsNode reports whether the NODE flag is set.
func (c FailureCode) IsNode() bool { return c&FlagNode != 0 }

// HasUpdate reports whether the UPDATE flag is set: the failure carries a
// channel_update.
func (c FailureCode) HasUpdate() bool { return c&FlagUpdate != 0 }
