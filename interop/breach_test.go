package interop

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/node"
)

// channelDB is lnd's channel database (bbolt) in its directory.
func (d *Lnd) channelDB() string {
	return filepath.Join(d.Dir, "data", "graph", "regtest", "channel.db")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}

// revokedState makes lnd hold a revoked state of its channel with lnkit:
// it stops lnd, copies its channel.db, starts it again, runs more (state
// changing) steps, stops it and puts the old channel.db back. Started
// again, lnd believes the old state is its latest. lnkit is not
// reconnected (its host disconnects lnd first, which stops lnkit's own
// redialing): lnd would learn from channel_reestablish that it is behind
// and refuse to broadcast.
func revokedState(t *testing.T, e *env, point string, before func(), after func()) {
	t.Helper()
	before()
	e.lnd.Stop(t)
	old := filepath.Join(t.TempDir(), "channel.db.old")
	copyFile(t, e.lnd.channelDB(), old)
	e.lnd.Start(t)
	e.lk.Connect(t, e.lnd)
	e.lnd.WaitChannel(t, point, "active after lnd's restart", nil)
	after()
	// lnkit dials a channel peer that went away again by itself, unless
	// its host disconnected it: do, so that lnd comes back alone.
	if err := e.lk.Node.Disconnect(ctxFor(t, 10*time.Second), mustPubKey(t, e.lnd.PubKey)); err != nil {
		t.Fatal(err)
	}
	e.lnd.Stop(t)
	copyFile(t, old, e.lnd.channelDB())
	waitFor(t, 30*time.Second, "lnkit sees lnd gone", func() error {
		peers, err := e.lk.Node.ListPeers(ctxFor(t, 10*time.Second))
		if err != nil || len(peers) != 0 {
			return errors.New("still connected")
		}
		return nil
	})
	e.lnd.Start(t)
}

// breachClose has lnd force-close the channel at point, which broadcasts
// the revoked commitment it believes current, and returns its txid.
func breachClose(t *testing.T, e *env, point string) string {
	t.Helper()
	txid, idx, _ := strings.Cut(point, ":")
	var res struct {
		ClosingTxid string `json:"closing_txid"`
	}
	e.lnd.CLI(t, &res, "closechannel", "--force", "--funding_txid="+txid, "--output_index="+idx)
	waitFor(t, 60*time.Second, "the revoked commitment in the mempool", func() error {
		for _, m := range e.chain.WaitMempool(t, 1) {
			if m == res.ClosingTxid {
				return nil
			}
		}
		return errors.New("not yet")
	})
	return res.ClosingTxid
}

// TestBreach has lnd broadcast a revoked commitment (an old channel.db
// restored) holding an HTLC from lnkit and most of the channel on lnd's
// side: lnkit's monitor must take everything (lnd's to_local by the
// revocation key, the HTLC output, its own to_remote), before lnd's
// to_self_delay lets lnd have its to_local.
func TestBreach(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{})
	id, point := e.openFromLnd(t, e.lnd, 1_000_000, false, "--push_amt=100000")
	payLnkit(t, e, e.lnd, 50_000_000)

	var hold *holdInvoice
	var done <-chan payOutcome
	revokedState(t, e, point, func() {
		// The state lnd will broadcast: an HTLC from lnkit in flight.
		hold = addHoldInvoice(t, e.lnd, 40_000_000)
		done = payAsync(t, e.lk, hold.bolt11)
		hold.waitState(t, "ACCEPTED")
	}, func() {
		hold.cancel(t)
		if r := <-done; !errors.Is(r.err, node.ErrPaymentFailed) {
			t.Fatalf("the canceled hold invoice's payment: %+v, %v", r.p, r.err)
		}
		payLnkit(t, e, e.lnd, 300_000_000)
	})
	walletBefore, _ := e.lk.Wallet.Balance()
	capacity := e.lk.Channel(t, id).Capacity

	revoked := breachClose(t, e, point)
	e.chain.Generate(t, 1)
	desc := newDescendants(t, e.chain, revoked)
	mined := e.mineUntil(t, 200, 2, "every output of the revoked commitment swept", func() error {
		if left := desc.unswept(t); len(left) > 0 {
			return errors.New("unswept: " + strings.Join(left, ", "))
		}
		return nil
	}, e.lnd)
	// Everything went to lnkit: nothing of the revoked commitment's
	// descendants pays lnd (lnd's to_local and the HTLC were swept by
	// the revocation path, well before lnd's delay).
	gain := func() btcutil.Amount { b, _ := e.lk.Wallet.Balance(); return b - walletBefore }()
	if gain > capacity || gain < capacity-capacity/50 {
		t.Fatalf("lnkit's wallet gained %v of the %v channel", gain, capacity)
	}
	ev := lnkitClosedEvent(t, e.lk, id)
	if !strings.Contains(ev.Reason, "revoked") {
		t.Fatalf("lnkit says %q", ev.Reason)
	}
	t.Logf("%d blocks; %d transactions from the revoked commitment %s; lnkit's wallet gained %v of %v; lnkit: %s",
		mined, len(desc.txs), revoked[:12], gain, capacity, ev.Reason)
}
