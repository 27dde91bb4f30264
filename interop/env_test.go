package interop

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// env is a chain with one funded lnd and one funded lnkit node, connected.
type env struct {
	chain *Btcd
	lnd   *Lnd
	lk    *Lnkit
}

// zeroConfArgs let lnd open and accept zero-conf channels (with an
// acceptor, see Lnd.AcceptZeroConf).
var zeroConfArgs = []string{"--protocol.option-scid-alias", "--protocol.zero-conf"}

// newEnv starts btcd, an lnd (with extra arguments) funded with coinbases,
// and an lnkit node whose wallet lnd pays two coins of 0.05 BTC, and
// connects lnkit to lnd.
func newEnv(t *testing.T, cfg LnkitConfig, lndArgs ...string) *env {
	t.Helper()
	requireBinaries(t)
	begin := time.Now()
	e := &env{chain: NewChain(t)}
	e.lnd = StartLnd(t, e.chain, append(append([]string{}, gossipArgs...), lndArgs...)...)
	FundLnd(t, e.chain, e.lnd, 2)
	e.lk = StartLnkit(t, e.chain, cfg)
	e.lk.WaitSynced(t)
	e.lk.Fund(t, e.lnd, 5_000_000, 5_000_000)
	e.lk.Connect(t, e.lnd)
	t.Logf("env ready in %v: lnd %s, lnkit %s", time.Since(begin), e.lnd.PubKey, e.lk.PubKey())
	return e
}

// openFromLnkit opens a channel from lnkit to d, mines it to six
// confirmations and waits until both sides can use it. It returns the
// channel id and lnd's channel point.
func (e *env) openFromLnkit(t *testing.T, d *Lnd, req node.OpenChannelRequest) (wire.ChannelID, string) {
	t.Helper()
	req.Peer = mustPubKey(t, d.PubKey)
	id, err := e.lk.Node.OpenChannel(ctxFor(t, 90*time.Second), req)
	if err != nil {
		t.Fatalf("OpenChannel: %v\nlnd: %s", err, d.LogLines("FNDG", "PEER", "lnkit", "unable", "rror"))
	}
	point := d.PointOf(t, id)
	if !req.ZeroConf {
		e.chain.WaitMempool(t, 1)
		e.chain.Generate(t, 6)
	}
	e.waitOpen(t, d, id, point)
	return id, point
}

// waitOpen waits for both sides to have the channel ready.
func (e *env) waitOpen(t *testing.T, d *Lnd, id wire.ChannelID, point string) {
	t.Helper()
	e.lk.WaitChannel(t, id, "ready", func(c node.ChannelInfo) error {
		if !c.Ready {
			return fmt.Errorf("status %s, not ready", c.Status)
		}
		return nil
	})
	c := d.WaitChannel(t, point, "active", nil)
	d.waitOwnPolicy(t, c.Scid)
}

// waitOwnPolicy waits until lnd's graph has its own policy of a channel.
// lnd lists a channel active as soon as its link runs, but adds the
// channel (and its own policy) to the graph it routes over only when its
// funding manager, polling once a second, has seen the peer's
// channel_ready: until then lncli payinvoice finds no route.
func (d *Lnd) waitOwnPolicy(t *testing.T, chanID string) {
	t.Helper()
	waitFor(t, 30*time.Second, "lnd's graph has its policy of channel "+chanID, func() error {
		out, err := d.cli("getchaninfo", "--chan_id="+chanID)
		if err != nil {
			return err
		}
		var info struct {
			Node1Pub    string          `json:"node1_pub"`
			Node1Policy json.RawMessage `json:"node1_policy"`
			Node2Policy json.RawMessage `json:"node2_policy"`
		}
		if err := json.Unmarshal(out, &info); err != nil {
			return err
		}
		own := info.Node2Policy
		if info.Node1Pub == d.PubKey {
			own = info.Node1Policy
		}
		if len(own) == 0 || string(own) == "null" {
			return errors.New("no policy of lnd's yet")
		}
		return nil
	})
}

// openFromLnd has d open a channel to lnkit with lncli openchannel (extra
// flags, e.g. --channel_type), mines it unless zero-conf and waits until
// both sides can use it.
func (e *env) openFromLnd(t *testing.T, d *Lnd, amt btcutil.Amount, zeroConf bool, flags ...string) (wire.ChannelID, string) {
	t.Helper()
	if !d.HasPeer(e.lk.PubKey()) {
		d.CLI(t, nil, "connect", e.lk.PubKey()+"@"+e.lk.Addr)
	}
	args := append([]string{"openchannel", "--node_key=" + e.lk.PubKey(), "--local_amt=" + strconv.Itoa(int(amt))}, flags...)
	var res struct {
		FundingTxid string `json:"funding_txid"`
		OutputIndex int    `json:"output_index"`
	}
	out, err := d.cli(args...)
	if err != nil {
		t.Fatalf("%v\nlnd: %s", err, d.LogLines("FNDG", "unable", "rror"))
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("openchannel output %s: %v", out, err)
	}
	point := fmt.Sprintf("%s:%d", res.FundingTxid, res.OutputIndex)
	id := chanIDFromPoint(t, point)
	if !zeroConf {
		e.chain.WaitMempool(t, 1)
		e.chain.Generate(t, 6)
	}
	e.waitOpen(t, d, id, point)
	return id, point
}

// lndChannel returns lnd's channel at point.
func lndChannel(t *testing.T, d *Lnd, point string) LndChannel {
	t.Helper()
	for _, c := range d.Channels(t) {
		if c.ChannelPoint == point {
			return c
		}
	}
	t.Fatalf("lnd has no channel %s", point)
	return LndChannel{}
}

// atoi parses lncli's decimal strings.
func atoi(t *testing.T, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return v
}

// checkBalances compares lnkit's and lnd's views of a channel's balances:
// lnkit's local is lnd's remote and the other way round, in satoshis.
// lnd lists the opener's balance net of the commitment fee (commit_fee)
// and, under anchors, of the two 330-sat anchors; lnkit lists balances
// before them.
func checkBalances(t *testing.T, e *env, d *Lnd, id wire.ChannelID, point string) {
	t.Helper()
	var lc LndChannel
	var kc node.ChannelInfo
	waitFor(t, 30*time.Second, "lnkit's and lnd's balances agree", func() error {
		lc = lndChannel(t, d, point)
		kc = e.lk.Channel(t, id)
		if len(lc.PendingHtlcs) != 0 || kc.InFlightIn != 0 || kc.InFlightOut != 0 {
			return errors.New("HTLCs in flight")
		}
		// commit_fee is what the commitment pays in fees: under anchors,
		// an anchor left out (its side has no output) adds its 330 sat
		// to it, since the opener pays for two anchors either way.
		openerCost := atoi(t, lc.CommitFee)
		if lc.CommitmentType == "ANCHORS" {
			openerCost += 330
			if kc.Local >= 1_000_000 && kc.Remote >= 1_000_000 {
				openerCost += 330
			}
		}
		// The non-opener's balance is its msat balance rounded down.
		// commit_fee also takes the msat both sides' rounding left
		// over, so the opener's may be 1 sat off the computed one.
		lndLocal, lndRemote := atoi(t, lc.LocalBalance), atoi(t, lc.RemoteBalance)
		kLocal, kRemote := int64(kc.Local/1000), int64(kc.Remote/1000)
		var openerDiff int64
		if kc.Initiator {
			openerDiff = kLocal - openerCost - lndRemote
			lndRemote = kLocal
		} else {
			openerDiff = kRemote - openerCost - lndLocal
			lndLocal = kRemote
		}
		if lndRemote != kLocal || lndLocal != kRemote || openerDiff < -1 || openerDiff > 0 {
			return fmt.Errorf("lnd local %s remote %s commit fee %s (%s); lnkit local %v remote %v",
				lc.LocalBalance, lc.RemoteBalance, lc.CommitFee, lc.CommitmentType, kc.Local, kc.Remote)
		}
		return nil
	})
}
