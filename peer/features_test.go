package peer

import (
	"errors"
	"testing"

	"github.com/lnkit/lnkit/wire"
)

// TestNegotiateRefusesHighRequiredBit: a peer's init whose only bit is
// 65536 (even, unknown) must be refused, not read as bit 0 and accepted.
func TestNegotiateRefusesHighRequiredBit(t *testing.T) {
	remote := make(wire.FeatureVector, 8193)
	remote[0] = 1
	local := wire.NewFeatureVector(wire.FeatureDataLossProtect.Optional())
	if f, err := negotiate(local, remote); !errors.Is(err, wire.ErrUnknownRequiredFeature) {
		t.Fatalf("negotiate = %v, %v: want ErrUnknownRequiredFeature", f, err)
	}
}
