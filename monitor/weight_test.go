package monitor

import (
	"testing"

	"github.com/lnkit/lnkit/channel"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// TestSweepWeightMatchesSweepClaims: the weight the monitor caps fee
// rates with is the weight SweepClaims charges for, for every claim kind
// and several batch sizes, so the affordability cap is exact.
func TestSweepWeightMatchesSweepClaims(t *testing.T) {
	for _, typ := range channelTypes {
		h := newHarness(t, hopts{typ: typ, noBobMon: true, policy: breachPolicy()})
		breachHistory(h)
		a, b := h.a, h.b
		olds := h.oldCommitments(b)
		info := olds[len(olds)-2]
		var secret *channel.RevocationInfo
		for _, u := range a.updates {
			if u.Revocation != nil && u.Revocation.Number == info.State.Number {
				secret = u.Revocation
			}
		}
		var rc *channel.Commitment
		for _, u := range a.updates {
			if u.Remote != nil && u.Remote.State.Number == info.State.Number {
				var err error
				if rc, err = channel.NewCommitment(a.params, channel.Remote, &u.Remote.State, u.Remote.Point); err != nil {
					t.Fatal(err)
				}
			}
		}
		claims, err := channel.RevokedClaims(rc, secret.Secret.PrivKey())
		if err != nil {
			t.Fatal(err)
		}
		lc, _ := h.localCommitment(a)
		if cl, err := channel.ToLocalClaim(lc); err == nil {
			claims = append(claims, cl)
		}
		for i := range rc.HTLCs {
			var pre *htlc.Preimage
			if p, ok := h.pre[rc.HTLCs[i].PaymentHash]; ok {
				pre = &p
			}
			if cl, err := channel.RemoteHTLCClaim(rc, i, pre); err == nil {
				claims = append(claims, cl)
			}
		}
		if typ.HasAnchors() {
			if cl, err := channel.AnchorClaim(lc); err == nil {
				claims = append(claims, cl)
			}
		}
		if len(claims) < 5 {
			t.Fatalf("%d claims", len(claims))
		}
		for _, dest := range [][]byte{a.dest, script.P2WSH([]byte{1, 2, 3})} {
			for n := 1; n <= len(claims); n++ {
				set := claims[:n]
				// Claims of one kind may repeat outpoints across
				// commitments only when they are distinct; keep the
				// first occurrence of each.
				st, err := channel.SweepClaims(h.ctx, a.signer, dedupe(set), dest, wire.SatPerKWeight(2500))
				if err != nil {
					t.Fatal(err)
				}
				if w := sweepWeight(dedupe(set), dest); w != st.Weight {
					t.Fatalf("%v, %d claims: weight %d, SweepClaims %d", typ, n, w, st.Weight)
				}
			}
		}
	}
}

func dedupe(cls []channel.Claim) []channel.Claim {
	seen := map[string]bool{}
	var out []channel.Claim
	for _, cl := range cls {
		if !seen[cl.OutPoint.String()] {
			seen[cl.OutPoint.String()] = true
			out = append(out, cl)
		}
	}
	return out
}
