package interop

import (
	"fmt"
	"testing"

	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/script"
	"github.com/lnkit/lnkit/wire"
)

// TestOpen opens channels both ways between lnkit and lnd, of both
// commitment formats lnd offers lnkit (anchors, lnd's default, and
// static_remotekey, "tweakless" in lncli), and zero-conf channels both
// ways, and checks that both sides agree on what they opened.
func TestOpen(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{Policy: node.Policy{AcceptZeroConf: true}}, zeroConfArgs...)
	e.lnd.AcceptZeroConf(t)

	check := func(t *testing.T, id wire.ChannelID, point, wantType string, lnkitOpened bool, capacity int64) {
		t.Helper()
		lc := lndChannel(t, e.lnd, point)
		if lc.CommitmentType != wantType {
			t.Errorf("lnd says commitment type %s, want %s", lc.CommitmentType, wantType)
		}
		if lc.Initiator == lnkitOpened {
			t.Errorf("lnd says initiator=%v", lc.Initiator)
		}
		if atoi(t, lc.Capacity) != capacity {
			t.Errorf("lnd says capacity %s, want %d", lc.Capacity, capacity)
		}
		kc := e.lk.Channel(t, id)
		if kc.Initiator != lnkitOpened || int64(kc.Capacity) != capacity {
			t.Errorf("lnkit says initiator=%v capacity=%v", kc.Initiator, kc.Capacity)
		}
		checkBalances(t, e, e.lnd, id, point)
		t.Logf("%s: lnd local %s remote %s commit fee %s (%s sat/kw); lnkit local %v remote %v", wantType,
			lc.LocalBalance, lc.RemoteBalance, lc.CommitFee, lc.FeePerKw, kc.Local, kc.Remote)
	}

	t.Run("LnkitToLnd/Anchors", func(t *testing.T) {
		id, point := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 1_000_000, Push: 100_000_000})
		check(t, id, point, "ANCHORS", true, 1_000_000)
	})
	t.Run("LnkitToLnd/StaticRemoteKey", func(t *testing.T) {
		id, point := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 800_000, Type: script.StaticRemoteKey})
		check(t, id, point, "STATIC_REMOTE_KEY", true, 800_000)
	})
	t.Run("LndToLnkit/Anchors", func(t *testing.T) {
		id, point := e.openFromLnd(t, e.lnd, 1_000_000, false, "--push_amt=50000")
		check(t, id, point, "ANCHORS", false, 1_000_000)
	})
	t.Run("LndToLnkit/StaticRemoteKey", func(t *testing.T) {
		id, point := e.openFromLnd(t, e.lnd, 700_000, false, "--channel_type=tweakless")
		check(t, id, point, "STATIC_REMOTE_KEY", false, 700_000)
	})
	t.Run("LndToLnkit/ZeroConf", func(t *testing.T) {
		id, point := e.openFromLnd(t, e.lnd, 600_000, true, "--zero_conf", "--channel_type=anchors", "--private")
		lc := lndChannel(t, e.lnd, point)
		if !lc.ZeroConf {
			t.Errorf("lnd does not list the channel as zero-conf: %+v", lc)
		}
		check(t, id, point, "ANCHORS", false, 600_000)
		// Usable before any confirmation: lnd pays lnkit over it.
		payLnkit(t, e, e.lnd, 20_000_000)
		e.chain.Generate(t, 1)
	})
	t.Run("LnkitToLnd/ZeroConf", func(t *testing.T) {
		id, point := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 600_000, ZeroConf: true, Private: true})
		lc := lndChannel(t, e.lnd, point)
		if !lc.ZeroConf {
			t.Errorf("lnd does not list the channel as zero-conf: %+v", lc)
		}
		check(t, id, point, "ANCHORS", true, 600_000)
		e.chain.Generate(t, 1)
	})
	_ = fmt.Sprint
}
