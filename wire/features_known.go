package wire

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// FeatureContext is a set of places a feature may be presented (the Context
// column of BOLT 9).
type FeatureContext uint8

// Feature contexts of BOLT 9.
const (
	// ContextInit is the features field of init ("I").
	ContextInit FeatureContext = 1 << iota
	// ContextNode is node_announcement ("N").
	ContextNode
	// ContextChannel is channel_announcement ("C").
	ContextChannel
	// ContextInvoice is a BOLT 11 invoice ("9").
	ContextInvoice
	// ContextBlindedPath is the allowed_features of a blinded path ("B").
	ContextBlindedPath
	// ContextChannelType is the channel_type of open_channel and
	// accept_channel ("T").
	ContextChannelType
)

// String returns the BOLT 9 letters of the context set, e.g. "IN9".
func (c FeatureContext) String() string {
	var sb strings.Builder
	for _, x := range []struct {
		c FeatureContext
		s string
	}{{ContextInit, "I"}, {ContextNode, "N"}, {ContextChannel, "C"}, {ContextInvoice, "9"}, {ContextBlindedPath, "B"}, {ContextChannelType, "T"}} {
		if c&x.c != 0 {
			sb.WriteString(x.s)
		}
	}
	return sb.String()
}

// Feature bits of BOLT 9 (as of lightning/bolts a3772650), each the even
// (required) bit of its pair; use FeatureBit.Optional for the odd bit.
const (
	FeatureDataLossProtect       FeatureBit = 0
	FeatureUpfrontShutdownScript FeatureBit = 4
	FeatureGossipQueries         FeatureBit = 6
	FeatureVarOnionOptin         FeatureBit = 8
	FeatureGossipQueriesEx       FeatureBit = 10
	FeatureStaticRemoteKey       FeatureBit = 12
	FeaturePaymentSecret         FeatureBit = 14
	FeatureBasicMPP              FeatureBit = 16
	FeatureLargeChannel          FeatureBit = 18
	FeatureAnchorsZeroFeeHTLCTx  FeatureBit = 22
	FeatureRouteBlinding         FeatureBit = 24
	FeatureShutdownAnySegwit     FeatureBit = 26
	FeatureDualFund              FeatureBit = 28
	FeatureQuiesce               FeatureBit = 34
	FeatureAttributionData       FeatureBit = 36
	FeatureOnionMessages         FeatureBit = 38
	FeatureProvideStorage        FeatureBit = 42
	FeatureChannelType           FeatureBit = 44
	FeatureSCIDAlias             FeatureBit = 46
	FeaturePaymentMetadata       FeatureBit = 48
	FeatureZeroConf              FeatureBit = 50
	FeatureKeysend               FeatureBit = 54
	FeatureSimpleClose           FeatureBit = 60
	FeatureSplice                FeatureBit = 62
)

// KnownFeature describes one feature pair of BOLT 9 (or, for keysend, of
// bLIP 2).
type KnownFeature struct {
	// Name is the spec's name, such as "option_static_remotekey".
	Name string
	// Bit is the even (required) bit of the pair.
	Bit FeatureBit
	// Contexts is where the feature may be presented.
	Contexts FeatureContext
	// DependsOn lists the features (even bits) that must also be set.
	DependsOn []FeatureBit
	// Assumed marks features BOLT 9 now assumes every node has. Nodes
	// still advertise them, so they are accepted in their historical
	// contexts.
	Assumed bool
}

// knownFeatureList is the BOLT 9 table. Assumed features keep the contexts
// they had before they were assumed, because deployed nodes still send them
// there.
var knownFeatureList = []KnownFeature{
	{Name: "option_data_loss_protect", Bit: FeatureDataLossProtect, Contexts: ContextInit | ContextNode, Assumed: true},
	{Name: "option_upfront_shutdown_script", Bit: FeatureUpfrontShutdownScript, Contexts: ContextInit | ContextNode},
	{Name: "gossip_queries", Bit: FeatureGossipQueries, Contexts: ContextInit | ContextNode},
	{Name: "var_onion_optin", Bit: FeatureVarOnionOptin, Contexts: ContextInit | ContextNode | ContextInvoice, Assumed: true},
	{Name: "gossip_queries_ex", Bit: FeatureGossipQueriesEx, Contexts: ContextInit | ContextNode},
	{Name: "option_static_remotekey", Bit: FeatureStaticRemoteKey, Contexts: ContextInit | ContextNode | ContextChannelType, Assumed: true},
	{Name: "payment_secret", Bit: FeaturePaymentSecret, Contexts: ContextInit | ContextNode | ContextInvoice, Assumed: true},
	{Name: "basic_mpp", Bit: FeatureBasicMPP, Contexts: ContextInit | ContextNode | ContextInvoice, DependsOn: []FeatureBit{FeaturePaymentSecret}},
	{Name: "option_support_large_channel", Bit: FeatureLargeChannel, Contexts: ContextInit | ContextNode},
	{Name: "option_anchors", Bit: FeatureAnchorsZeroFeeHTLCTx, Contexts: ContextInit | ContextNode | ContextChannelType},
	{Name: "option_route_blinding", Bit: FeatureRouteBlinding, Contexts: ContextInit | ContextNode | ContextInvoice},
	{Name: "option_shutdown_anysegwit", Bit: FeatureShutdownAnySegwit, Contexts: ContextInit | ContextNode},
	{Name: "option_dual_fund", Bit: FeatureDualFund, Contexts: ContextInit | ContextNode},
	{Name: "option_quiesce", Bit: FeatureQuiesce, Contexts: ContextInit | ContextNode},
	{Name: "option_attribution_data", Bit: FeatureAttributionData, Contexts: ContextInit | ContextNode | ContextInvoice},
	{Name: "option_onion_messages", Bit: FeatureOnionMessages, Contexts: ContextInit | ContextNode},
	{Name: "option_provide_storage", Bit: FeatureProvideStorage, Contexts: ContextInit | ContextNode},
	{Name: "option_channel_type", Bit: FeatureChannelType, Contexts: ContextInit | ContextNode, Assumed: true},
	{Name: "option_scid_alias", Bit: FeatureSCIDAlias, Contexts: ContextInit | ContextNode | ContextChannelType},
	{Name: "option_payment_metadata", Bit: FeaturePaymentMetadata, Contexts: ContextInvoice},
	{Name: "option_zeroconf", Bit: FeatureZeroConf, Contexts: ContextInit | ContextNode | ContextChannelType, DependsOn: []FeatureBit{FeatureSCIDAlias}},
	// keysend is assigned by bLIP 2, not BOLT 9; it is named here because
	// wallets meet it in every node_announcement of lnd.
	{Name: "keysend", Bit: FeatureKeysend, Contexts: ContextNode, DependsOn: []FeatureBit{FeatureVarOnionOptin}},
	{Name: "option_simple_close", Bit: FeatureSimpleClose, Contexts: ContextInit | ContextNode, DependsOn: []FeatureBit{FeatureShutdownAnySegwit}},
	{Name: "option_splice", Bit: FeatureSplice, Contexts: ContextInit | ContextNode},
}

// knownFeatures is keyed by the even bit of each pair.
var knownFeatures = func() map[FeatureBit]KnownFeature {
	m := make(map[FeatureBit]KnownFeature, len(knownFeatureList))
	for _, k := range knownFeatureList {
		m[k.Bit] = k
	}
	return m
}()

// LookupFeature returns the description of the feature that bit (either
// bit of the pair) belongs to.
func LookupFeature(bit FeatureBit) (KnownFeature, bool) {
	k, ok := knownFeatures[bit.Required()]
	return k, ok
}

// KnownFeatures returns every feature this package knows, by bit.
func KnownFeatures() []KnownFeature { return slices.Clone(knownFeatureList) }

// Errors reported by feature validation.
var (
	// ErrUnknownRequiredFeature means an even bit is set whose feature
	// this package does not know. BOLT 1 requires failing the connection
	// on such a bit in init, and BOLT 11 requires refusing the invoice.
	ErrUnknownRequiredFeature = errors.New("wire: unknown required feature")

	// ErrFeatureDependency means a feature is set without a feature it
	// depends on (BOLT 9, "Dependencies" column).
	ErrFeatureDependency = errors.New("wire: missing feature dependency")

	// ErrFeatureContext means a known feature appears where BOLT 9 does
	// not allow it.
	ErrFeatureContext = errors.New("wire: feature not allowed in this context")
)

// FeatureError gives the details of a validation failure. It wraps one of
// the errors above.
type FeatureError struct {
	// Err is ErrUnknownRequiredFeature, ErrFeatureDependency or
	// ErrFeatureContext.
	Err error
	// Bits are the offending bits.
	Bits []FeatureBit
	// Missing is, for ErrFeatureDependency, the absent dependency.
	Missing FeatureBit
}

// Error implements error.
func (e *FeatureError) Error() string {
	names := make([]string, len(e.Bits))
	for i, b := range e.Bits {
		names[i] = b.String()
	}
	s := fmt.Sprintf("%v: %s", e.Err, strings.Join(names, ", "))
	if errors.Is(e.Err, ErrFeatureDependency) {
		s += " needs " + e.Missing.Required().String()
	}
	return s
}

// Unwrap returns the sentinel.
func (e *FeatureError) Unwrap() error { return e.Err }

// UnknownRequired returns the even bits that are set but belong to no known
// feature. A caller refuses a peer, or an invoice, that has any. An even
// bit above 65535, which a FeatureBit cannot name, is reported as 65534
// (unknown, even) so that it is refused too instead of being ignored.
func (f FeatureVector) UnknownRequired() []FeatureBit {
	var out []FeatureBit
	for _, b := range f.Bits() {
		if _, ok := knownFeatures[b.Required()]; !ok && b.IsRequired() {
			out = append(out, b)
		}
	}
	if f.highRequired() {
		out = append(out, FeatureBit(65534))
	}
	return out
}

// ValidateDependencies checks BOLT 9's Dependencies column: every set
// feature has all the features it depends on (either bit) set. A dependency
// on a feature BOLT 9 marks ASSUMED (such as payment_secret, on which
// basic_mpp depends) is taken as met, since every node is assumed to have it.
func (f FeatureVector) ValidateDependencies() error {
	for _, b := range f.Bits() {
		k, ok := knownFeatures[b.Required()]
		if !ok {
			continue
		}
		for _, d := range k.DependsOn {
			if !f.HasFeature(d) && !knownFeatures[d].Assumed {
				return &FeatureError{Err: ErrFeatureDependency, Bits: []FeatureBit{b}, Missing: d}
			}
		}
	}
	return nil
}

// ValidateContext checks that every known feature set in f may be presented
// in ctx. Unknown bits are not judged here; see UnknownRequired.
func (f FeatureVector) ValidateContext(ctx FeatureContext) error {
	var bad []FeatureBit
	for _, b := range f.Bits() {
		if k, ok := knownFeatures[b.Required()]; ok && k.Contexts&ctx == 0 {
			bad = append(bad, b)
		}
	}
	if bad != nil {
		return &FeatureError{Err: ErrFeatureContext, Bits: bad}
	}
	return nil
}

// Validate runs the checks a receiver applies to a feature vector found in
// ctx: no unknown required bit, dependencies present, and (for known
// features) the context allowed. It returns a *FeatureError.
func (f FeatureVector) Validate(ctx FeatureContext) error {
	if unk := f.UnknownRequired(); len(unk) > 0 {
		return &FeatureError{Err: ErrUnknownRequiredFeature, Bits: unk}
	}
	if err := f.ValidateDependencies(); err != nil {
		return err
	}
	return f.ValidateContext(ctx)
}
