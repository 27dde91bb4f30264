package channel

import (
	"errors"
	"testing"

	"github.com/lnkit/lnkit/htlc"
)

// TestHTLCExpiryBound checks BOLT 2 update_add_htlc's "cltv_expiry less
// than 500000000" in commitment construction, for both owners: 499999999
// is a block height and is committed; 500000000 and above are Unix
// timestamps to Bitcoin and are refused.
func TestHTLCExpiryBound(t *testing.T) {
	for _, typ := range channelTypes {
		tc := newTestChannel(t, typ, 1_000_000)
		for _, c := range []struct {
			cltv uint32
			ok   bool
		}{
			{MaxCLTVExpiry - 1, true},
			{MaxCLTVExpiry, false},
			{MaxCLTVExpiry + 1, false},
			{0xFFFFFFFF, false},
		} {
			for _, dir := range []htlc.Direction{htlc.Offered, htlc.Received} {
				st := &State{Number: 1, FeeRate: 253, LocalBalance: 600_000_000, RemoteBalance: 400_000_000}
				tc.addHTLC(st, dir, 20_000_000, c.cltv)
				for _, owner := range []Side{Local, Remote} {
					point := tc.alicePoint
					if owner == Remote {
						point = tc.bobPoint
					}
					cm, err := NewCommitment(tc.alice, owner, st, point)
					if c.ok {
						if err != nil || len(cm.HTLCs) != 1 || cm.HTLCs[0].CLTVExpiry != c.cltv {
							t.Fatalf("%v %v cltv_expiry %d on the %v commitment: %v", typ, dir, c.cltv, owner, err)
						}
						continue
					}
					if !errors.Is(err, ErrHTLCExpiry) || !errors.Is(err, ErrInvalidHTLC) {
						t.Fatalf("%v %v cltv_expiry %d on the %v commitment: got %v, want ErrHTLCExpiry", typ, dir, c.cltv, owner, err)
					}
				}
			}
		}
	}
}

// TestParamsToSelfDelay checks that a to_self_delay of 0, on either side,
// is refused and that 1 is the smallest accepted.
func TestParamsToSelfDelay(t *testing.T) {
	tc := newTestChannel(t, channelTypes[0], 1_000_000)
	for _, side := range []Side{Local, Remote} {
		p := *tc.alice
		p.Party(side).ToSelfDelay = 0
		if err := p.Validate(); !errors.Is(err, ErrInvalidParams) {
			t.Fatalf("%v to_self_delay 0: %v", side, err)
		}
		st := &State{Number: 1, FeeRate: 253, LocalBalance: 600_000_000, RemoteBalance: 400_000_000}
		if _, err := LocalCommitment(&p, st, tc.alicePoint); !errors.Is(err, ErrInvalidParams) {
			t.Fatalf("%v to_self_delay 0: commitment built: %v", side, err)
		}
		p.Party(side).ToSelfDelay = MinToSelfDelay
		if err := p.Validate(); err != nil {
			t.Fatalf("%v to_self_delay %d: %v", side, MinToSelfDelay, err)
		}
	}
}
