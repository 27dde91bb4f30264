package wire

// KnownFeature describes one BOLT 9 feature pair.
type KnownFeature struct {
	// Name is the spec's name, such as "option_static_remotekey".
	Name string
	// Bit is the even (required) bit of the pair.
	Bit FeatureBit
}

// knownFeatures is keyed by the even bit of each pair.
var knownFeatures = map[FeatureBit]KnownFeature{}
