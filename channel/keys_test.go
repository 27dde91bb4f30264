package channel

import (
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/channel/revocation"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/script/scripttest"
)

// TestDeriveCommitmentKeysMatchesSingleDerivations checks the batched
// derivation (one shared inversion) against script.TweakPubKey and
// revocation.DerivePubKey, key by key, for both owners and many points.
func TestDeriveCommitmentKeysMatchesSingleDerivations(t *testing.T) {
	tc := newTestChannel(t, script.Anchors, 10_000_000)
	for i := 0; i < 40; i++ {
		point := scripttest.Key(fmt.Sprintf("point %d", i)).PubKey()
		for _, owner := range []Side{Local, Remote} {
			k, err := DeriveCommitmentKeys(tc.alice, owner, point)
			if err != nil {
				t.Fatal(err)
			}
			o, x := tc.alice.Party(owner), tc.alice.Party(owner.Other())
			rev, err := revocation.DerivePubKey(x.Revocation, point)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name      string
				got, want *btcec.PublicKey
			}{
				{"revocationpubkey", k.RevocationKey, rev},
				{"local_delayedpubkey", k.LocalDelayedKey, script.TweakPubKey(o.DelayedPayment, point)},
				{"local_htlcpubkey", k.LocalHTLCKey, script.TweakPubKey(o.HTLC, point)},
				{"remote_htlcpubkey", k.RemoteHTLCKey, script.TweakPubKey(x.HTLC, point)},
				{"remotepubkey", k.ToRemoteKey, script.ToRemoteKey(x.Payment)},
			} {
				if !c.got.IsEqual(c.want) {
					t.Fatalf("point %d, %v owner: %s %x, want %x", i, owner, c.name,
						c.got.SerializeCompressed(), c.want.SerializeCompressed())
				}
			}
			if k.PerCommitmentPoint != point {
				t.Fatal("per_commitment_point not kept")
			}
		}
	}
}
