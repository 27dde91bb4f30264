package interop

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// chainTx is a transaction as btcctl getrawtransaction <txid> 1 prints it.
type chainTx struct {
	Txid string `json:"txid"`
	Vin  []struct {
		Txid string `json:"txid"`
		Vout int    `json:"vout"`
	} `json:"vin"`
	Vout []struct {
		Value        float64 `json:"value"`
		N            int     `json:"n"`
		ScriptPubKey struct {
			Hex string `json:"hex"`
		} `json:"scriptPubKey"`
	} `json:"vout"`
	Confirmations int `json:"confirmations"`
}

// Tx fetches a transaction from btcd (it runs with --txindex).
func (b *Btcd) Tx(t *testing.T, txid string) chainTx {
	t.Helper()
	var tx chainTx
	if err := json.Unmarshal(b.Ctl(t, "getrawtransaction", txid, "1"), &tx); err != nil {
		t.Fatal(err)
	}
	return tx
}

// unspent reports whether output vout of txid is unspent (in the chain
// and not spent by the mempool either).
func (b *Btcd) unspent(t *testing.T, txid string, vout int) bool {
	t.Helper()
	out := strings.TrimSpace(string(b.Ctl(t, "gettxout", txid, strconv.Itoa(vout), "true")))
	return out != "" && out != "null"
}

// unsweptOutputs lists the outputs of txid still unspent, except anchors
// (330 sat, which anyone may sweep after 16 blocks and no one has to).
func (b *Btcd) unsweptOutputs(t *testing.T, txid string) []string {
	t.Helper()
	var left []string
	for _, o := range b.Tx(t, txid).Vout {
		amt, _ := btcutil.NewAmount(o.Value)
		if amt == 330 {
			continue
		}
		if b.unspent(t, txid, o.N) {
			left = append(left, fmt.Sprintf("%d (%v)", o.N, amt))
		}
	}
	return left
}

// waitLndSynced waits until lnd has the chain's tip.
func (d *Lnd) waitLndSynced(t *testing.T, c *Btcd) {
	t.Helper()
	want := c.Height(t)
	waitFor(t, 60*time.Second, "lnd synced", func() error {
		var info struct {
			BlockHeight int  `json:"block_height"`
			Synced      bool `json:"synced_to_chain"`
		}
		out, err := d.cli("getinfo")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &info); err != nil {
			return err
		}
		if info.BlockHeight < want || !info.Synced {
			return fmt.Errorf("lnd at %d", info.BlockHeight)
		}
		return nil
	})
}

// mineUntil mines blocks, step at a time, each time waiting for lnkit and
// the lnd nodes to take them in, until cond holds; it fails after limit
// blocks. The nodes broadcast in answer to blocks, so cond is checked
// again after each step, with what the mempool holds mined by the next.
func (e *env) mineUntil(t *testing.T, limit, step int, what string, cond func() error, lnds ...*Lnd) int {
	t.Helper()
	mined := 0
	for {
		err := cond()
		if err == nil {
			return mined
		}
		if mined >= limit {
			t.Fatalf("after %d blocks, still not %s: %v", mined, what, err)
		}
		e.chain.Generate(t, step)
		mined += step
		e.lk.WaitSynced(t)
		for _, d := range lnds {
			d.waitLndSynced(t, e.chain)
		}
	}
}

// lndClosed is an entry of lncli closedchannels.
type lndClosed struct {
	ChannelPoint   string `json:"channel_point"`
	ClosingTxHash  string `json:"closing_tx_hash"`
	CloseType      string `json:"close_type"`
	SettledBalance string `json:"settled_balance"`
	CloseInitiator string `json:"close_initiator"`
}

// waitLndClosed waits until lnd lists the channel at point as closed.
func waitLndClosed(t *testing.T, d *Lnd, point string) lndClosed {
	t.Helper()
	var got lndClosed
	waitFor(t, 60*time.Second, "lnd lists "+point+" closed", func() error {
		var res struct {
			Channels []lndClosed `json:"channels"`
		}
		out, err := d.cli("closedchannels")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(out, &res); err != nil {
			return err
		}
		for _, c := range res.Channels {
			if c.ChannelPoint == point {
				got = c
				return nil
			}
		}
		return errors.New("not closed")
	})
	return got
}

// lnkitClosedEvent waits for lnkit's ChannelClosed event of id.
func lnkitClosedEvent(t *testing.T, lk *Lnkit, id wire.ChannelID) *node.ChannelClosed {
	t.Helper()
	var ev *node.ChannelClosed
	waitFor(t, 60*time.Second, "lnkit's ChannelClosed", func() error {
		for _, x := range lk.Events() {
			if c, ok := x.(*node.ChannelClosed); ok && c.ChannelID == id {
				ev = c
				return nil
			}
		}
		return errors.New("none")
	})
	return ev
}

// walletGets checks that the closing transaction txid pays lnkit's wallet
// want (exactly, or at least min when want is 0).
func walletPaid(t *testing.T, e *env, txid string) btcutil.Amount {
	t.Helper()
	var got btcutil.Amount
	for _, o := range e.chain.Tx(t, txid).Vout {
		pk, _ := hexDecode(o.ScriptPubKey.Hex)
		if e.lk.Wallet.Owns(pk) {
			a, _ := btcutil.NewAmount(o.Value)
			got += a
		}
	}
	return got
}

// TestCoopClose closes a channel cooperatively from each side: lnkit's
// CloseChannel and lncli closechannel. The closing transaction pays each
// side its balance (the opener pays the fee), lnd lists the channel as a
// cooperative close, lnkit reports it closed and its wallet holds its
// balance.
func TestCoopClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{})
	c1, p1 := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 1_000_000, Push: 300_000_000})
	c2, p2 := e.openFromLnd(t, e.lnd, 1_000_000, false, "--push_amt=400000")
	payLnd(t, e, e.lnd, 12_345_000)
	payLnkit(t, e, e.lnd, 23_456_000)

	t.Run("ByLnkit", func(t *testing.T) {
		local := e.lk.Channel(t, c1).Local
		txid, err := e.lk.Node.CloseChannel(ctxFor(t, 60*time.Second), c1, false)
		if err != nil {
			t.Fatalf("CloseChannel: %v\nlnd: %s", err, e.lnd.LogLines("CHCL", "closing", "Shutdown", "rror"))
		}
		e.chain.WaitMempool(t, 1)
		// lnd v0.21 reports a close after at least 3 confirmations
		// (lnwallet.CloseConfsForCapacity).
		e.chain.Generate(t, 3)
		e.lk.WaitSynced(t)
		c := waitLndClosed(t, e.lnd, p1)
		if c.CloseType != "COOPERATIVE_CLOSE" || c.ClosingTxHash != txid.String() || c.CloseInitiator != "INITIATOR_REMOTE" {
			t.Fatalf("lnd lists %+v, lnkit closed with %v", c, txid)
		}
		paid := walletPaid(t, e, txid.String())
		// lnkit opened: its output is its balance less the closing fee.
		if paid >= btcutil.Amount(local/1000) || paid < btcutil.Amount(local/1000)-5000 {
			t.Fatalf("closing tx pays lnkit %v, its balance was %v", paid, local)
		}
		lnkitClosedEvent(t, e.lk, c1)
		t.Logf("lnkit closed %v: %v to lnkit (balance %v), lnd settled %s", txid, paid, local, c.SettledBalance)
	})

	t.Run("ByLnd", func(t *testing.T) {
		local := e.lk.Channel(t, c2).Local
		txidStr, idx, _ := strings.Cut(p2, ":")
		var res struct {
			ClosingTxid string `json:"closing_txid"`
		}
		e.lnd.CLI(t, &res, "closechannel", "--funding_txid="+txidStr, "--output_index="+idx)
		e.chain.WaitMempool(t, 1)
		// lnd v0.21 reports a close after at least 3 confirmations
		// (lnwallet.CloseConfsForCapacity).
		e.chain.Generate(t, 3)
		e.lk.WaitSynced(t)
		c := waitLndClosed(t, e.lnd, p2)
		if c.CloseType != "COOPERATIVE_CLOSE" || c.CloseInitiator != "INITIATOR_LOCAL" {
			t.Fatalf("lnd lists %+v", c)
		}
		// lnd opened: lnkit's output is its whole balance.
		if paid := walletPaid(t, e, c.ClosingTxHash); paid != btcutil.Amount(local/1000) {
			t.Fatalf("closing tx pays lnkit %v, its balance was %v", paid, local)
		}
		lnkitClosedEvent(t, e.lk, c2)
	})
	waitFor(t, 30*time.Second, "lnkit lists both channels closed", func() error {
		for _, id := range []wire.ChannelID{c1, c2} {
			if s := e.lk.Channel(t, id).Status; s != "closed" {
				return fmt.Errorf("%v is %s", id, s)
			}
		}
		return nil
	})
}

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }
