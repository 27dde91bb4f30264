package peer

import (
	"errors"
	"fmt"

	"github.com/lnkit/lnkit/wire"
)

// ErrPeerLacksRequiredFeature means we set the required (even) bit of a
// feature and the peer offers neither bit of it. BOLT 9 lets a node insist
// on its required features; the peer is refused.
var ErrPeerLacksRequiredFeature = errors.New("peer: remote lacks a feature we require")

// Features is the outcome of the BOLT 1 init exchange: what each side
// offered, and what both support.
type Features struct {
	// Local is the features field we sent.
	Local wire.FeatureVector
	// Remote is the peer's globalfeatures and features combined with a
	// logical OR, as BOLT 1 requires of the receiver.
	Remote wire.FeatureVector
	// Negotiated has one bit for each feature both sides offer: the even
	// (required) bit if either side requires it, else the odd bit.
	Negotiated wire.FeatureVector
}

// Has reports whether both sides offer the feature of bit (either bit of
// its pair).
func (f *Features) Has(bit wire.FeatureBit) bool { return f.Negotiated.HasFeature(bit) }

// String lists the negotiated features.
func (f *Features) String() string { return f.Negotiated.String() }

// negotiate checks the peer's combined feature vector against ours
// (BOLT 1, "The init Message", receiving node; BOLT 9) and computes the
// negotiated set. It fails with a *wire.FeatureError wrapping
// wire.ErrUnknownRequiredFeature if the peer requires a feature we do not
// know or do not offer ourselves, or wrapping wire.ErrFeatureDependency if
// the peer's vector lacks a dependency, or wrapping
// ErrPeerLacksRequiredFeature if we require a feature the peer does not
// offer.
func negotiate(local, remote wire.FeatureVector) (*Features, error) {
	if unk := remote.UnknownRequired(); len(unk) > 0 {
		return nil, &wire.FeatureError{Err: wire.ErrUnknownRequiredFeature, Bits: unk}
	}
	var unsupported []wire.FeatureBit
	var neg wire.FeatureVector
	for _, b := range remote.Bits() {
		if b.IsRequired() && !local.HasFeature(b) {
			unsupported = append(unsupported, b)
			continue
		}
		if !local.HasFeature(b) || neg.HasFeature(b) {
			continue
		}
		if remote.RequiresFeature(b) || local.RequiresFeature(b) {
			neg.Set(b.Required())
		} else {
			neg.Set(b.Optional())
		}
	}
	if len(unsupported) > 0 {
		// A known feature the peer requires but we do not implement is,
		// for this connection, an unknown required bit.
		return nil, &wire.FeatureError{Err: wire.ErrUnknownRequiredFeature, Bits: unsupported}
	}
	if err := remote.ValidateDependencies(); err != nil {
		return nil, err
	}
	var lacking []wire.FeatureBit
	for _, b := range local.Bits() {
		if b.IsRequired() && !remote.HasFeature(b) {
			lacking = append(lacking, b)
		}
	}
	if len(lacking) > 0 {
		return nil, &wire.FeatureError{Err: ErrPeerLacksRequiredFeature, Bits: lacking}
	}
	return &Features{Local: local, Remote: remote, Negotiated: neg}, nil
}

// checkLocalFeatures refuses a configuration whose own vector BOLT 1 would
// make the peer reject: an unknown required bit or a missing dependency.
func checkLocalFeatures(f wire.FeatureVector) error {
	if err := f.Validate(wire.ContextInit); err != nil {
		return fmt.Errorf("peer: our init features: %w", err)
	}
	return nil
}
