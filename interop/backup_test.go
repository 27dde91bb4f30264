package interop

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// TestBackup loses lnkit's store and recovers its channels with lnd from
// a static channel backup: a new node with the same seed and an empty
// store takes the ExportBackup blob (RestoreBackup), dials lnd, tells it
// in channel_reestablish that it lost state (option_data_loss_protect),
// lnd force-closes, and lnkit sweeps its balance from lnd's commitment.
func TestBackup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{})
	c1, p1 := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 1_000_000, Push: 300_000_000})
	c2, p2 := e.openFromLnd(t, e.lnd, 800_000, false, "--push_amt=200000")
	payLnd(t, e, e.lnd, 111_000_000)
	payLnkit(t, e, e.lnd, 77_000_000)
	checkBalances(t, e, e.lnd, c1, p1)
	checkBalances(t, e, e.lnd, c2, p2)
	balances := map[wire.ChannelID]wire.MilliSatoshi{c1: e.lk.Channel(t, c1).Local, c2: e.lk.Channel(t, c2).Local}

	blob, err := e.lk.Node.ExportBackup(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	walletBefore, _ := e.lk.Wallet.Balance()

	e.lk.RestartEmpty()
	if chans, err := e.lk.Node.ListChannels(ctxFor(t, 10*time.Second)); err != nil || len(chans) != 0 {
		t.Fatalf("the new node has channels %v (%v)", chans, err)
	}
	e.lk.WaitSynced(t)
	if err := e.lk.Node.RestoreBackup(ctxFor(t, 30*time.Second), blob); err != nil {
		t.Fatal(err)
	}
	// lnd force-closes both channels: their commitments reach the
	// mempool.
	var commits []string
	for _, p := range []string{p1, p2} {
		waitFor(t, 60*time.Second, "lnd force-closes "+p, func() error {
			var res struct {
				Waiting []struct {
					Channel struct {
						ChannelPoint string `json:"channel_point"`
					} `json:"channel"`
					Commitments struct {
						LocalTxid string `json:"local_txid"`
					} `json:"commitments"`
					ClosingTxid string `json:"closing_txid"`
				} `json:"waiting_close_channels"`
			}
			e.lnd.CLI(t, &res, "pendingchannels")
			for _, w := range res.Waiting {
				if w.Channel.ChannelPoint == p && w.ClosingTxid != "" {
					commits = append(commits, w.ClosingTxid)
					return nil
				}
			}
			return fmt.Errorf("not closing\nlnd: %s", e.lnd.LogLines("data loss", "DLP", "lost", "Reestablish"))
		})
	}
	recovered := map[wire.ChannelID]bool{}
	e.mineUntil(t, 60, 2, "both channels recovered", func() error {
		for _, x := range e.lk.Events() {
			if c, ok := x.(*node.ChannelClosed); ok && strings.Contains(c.Reason, "recovered from backup") {
				recovered[c.ChannelID] = true
			}
		}
		if !recovered[c1] || !recovered[c2] {
			return fmt.Errorf("recovered %v", recovered)
		}
		return nil
	}, e.lnd)
	e.chain.Generate(t, 1)
	e.lk.WaitSynced(t)
	gain := func() btcutil.Amount { b, _ := e.lk.Wallet.Balance(); return b - walletBefore }()
	// lnkit's balances, less the sweeps' fees; lnkit opened c1, but on
	// lnd's commitment the opener's fee comes out of lnkit's to_remote.
	want := btcutil.Amount((balances[c1] + balances[c2]) / 1000)
	if gain > want || gain < want-want/50 {
		t.Fatalf("lnkit's wallet gained %v; its balances were %v", gain, balances)
	}
	// lnd's own outputs wait for its to_self_delay: it lists the
	// channels as force-closing.
	for _, p := range []string{p1, p2} {
		var res struct {
			ForceClosing []struct {
				Channel struct {
					ChannelPoint string `json:"channel_point"`
				} `json:"channel"`
				BlocksTilMaturity int `json:"blocks_til_maturity"`
			} `json:"pending_force_closing_channels"`
		}
		e.lnd.CLI(t, &res, "pendingchannels")
		found := false
		for _, c := range res.ForceClosing {
			if c.Channel.ChannelPoint == p {
				found = true
				t.Logf("lnd: %s force-closing, its to_local matures in %d blocks", p[:12], c.BlocksTilMaturity)
			}
		}
		if !found {
			t.Fatalf("lnd does not list %s as force-closing: %+v", p, res)
		}
	}
	t.Logf("commitments %v; lnkit's wallet gained %v of its %v", commits, gain, want)
}
