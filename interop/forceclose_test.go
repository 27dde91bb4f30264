package interop

import (
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

// descendants follows the transactions that spend a closing transaction's
// outputs, and theirs, through the blocks mined since.
type descendants struct {
	chain   *Btcd
	txs     map[string]chainTx
	scanned int
}

func newDescendants(t *testing.T, c *Btcd, root string) *descendants {
	d := &descendants{chain: c, txs: map[string]chainTx{root: c.Tx(t, root)}, scanned: c.Height(t) - 1}
	return d
}

// scan takes in the blocks mined since the last scan.
func (d *descendants) scan(t *testing.T) {
	t.Helper()
	tip := d.chain.Height(t)
	for h := d.scanned + 1; h <= tip; h++ {
		hash := strings.TrimSpace(string(d.chain.Ctl(t, "getblockhash", strconv.Itoa(h))))
		var blk struct {
			Tx []string `json:"tx"`
		}
		if err := json.Unmarshal(d.chain.Ctl(t, "getblock", hash), &blk); err != nil {
			t.Fatal(err)
		}
		for _, id := range blk.Tx[1:] {
			tx := d.chain.Tx(t, id)
			for _, in := range tx.Vin {
				if _, ok := d.txs[in.Txid]; ok {
					d.txs[id] = tx
					break
				}
			}
		}
	}
	d.scanned = tip
}

// unswept lists the P2WSH outputs (time-locked or HTLC outputs: what
// still has to be swept) of the closing transaction and its descendants
// that are unspent, anchors (330 sat) aside.
func (d *descendants) unswept(t *testing.T) []string {
	t.Helper()
	d.scan(t)
	var left []string
	for id, tx := range d.txs {
		for _, o := range tx.Vout {
			amt, _ := btcutil.NewAmount(o.Value)
			if amt == 330 || !strings.HasPrefix(o.ScriptPubKey.Hex, "0020") || len(o.ScriptPubKey.Hex) != 68 {
				continue
			}
			if d.chain.unspent(t, id, o.N) {
				left = append(left, fmt.Sprintf("%s:%d (%v)", id[:12], o.N, amt))
			}
		}
	}
	return left
}

// TestForceClose force-closes a channel from each side with two HTLCs
// from lnkit to lnd in flight, both held by lnd hold invoices: lnd settles
// one after the close (claiming it on chain with the preimage, which
// lnkit's monitor learns there: the payment succeeds), and the other
// times out (lnkit claims it back on chain: the payment fails). Blocks are
// mined until every output of the commitment and of the transactions
// spending it is swept past its delay; lnkit's wallet ends up with its
// balance and the timed-out HTLC, less fees.
func TestForceClose(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{})
	c1, p1 := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 1_000_000, Push: 200_000_000})
	c2, p2 := e.openFromLnd(t, e.lnd, 1_000_000, false, "--push_amt=400000")
	t.Run("ByLnkit", func(t *testing.T) { forceClose(t, e, c1, p1, true) })
	t.Run("ByLnd", func(t *testing.T) { forceClose(t, e, c2, p2, false) })
}

func forceClose(t *testing.T, e *env, id wire.ChannelID, point string, byLnkit bool) {
	settled := addHoldInvoice(t, e.lnd, 60_000_000)
	timedOut := addHoldInvoice(t, e.lnd, 70_000_000)
	doneS := payAsync(t, e.lk, settled.bolt11)
	settled.waitState(t, "ACCEPTED")
	doneT := payAsync(t, e.lk, timedOut.bolt11)
	timedOut.waitState(t, "ACCEPTED")
	ch := e.lk.WaitChannel(t, id, "two HTLCs out", func(c node.ChannelInfo) error {
		if c.InFlightOut != 130_000_000 {
			return fmt.Errorf("%v in flight", c.InFlightOut)
		}
		return nil
	})
	walletBefore, _ := e.lk.Wallet.Balance()

	var commit string
	if byLnkit {
		txid, err := e.lk.Node.CloseChannel(ctxFor(t, 30*time.Second), id, true)
		if err != nil {
			t.Fatal(err)
		}
		commit = txid.String()
	} else {
		txid, idx, _ := strings.Cut(point, ":")
		var res struct {
			ClosingTxid string `json:"closing_txid"`
		}
		e.lnd.CLI(t, &res, "closechannel", "--force", "--funding_txid="+txid, "--output_index="+idx)
		commit = res.ClosingTxid
	}
	waitFor(t, 60*time.Second, "the commitment in the mempool", func() error {
		for _, m := range e.chain.WaitMempool(t, 1) {
			if m == commit {
				return nil
			}
		}
		return errors.New("not yet")
	})
	e.chain.Generate(t, 1)
	e.lk.WaitSynced(t)
	desc := newDescendants(t, e.chain, commit)
	// lnd learns the preimage now, with the channel closed: it must claim
	// the HTLC on chain.
	settled.settle(t)

	var outS, outT *payOutcome
	mined := e.mineUntil(t, 800, 6, "everything swept and both payments done", func() error {
		if outS == nil {
			select {
			case r := <-doneS:
				outS = &r
			default:
			}
		}
		if outT == nil {
			select {
			case r := <-doneT:
				outT = &r
			default:
			}
		}
		if outS == nil || outT == nil {
			return fmt.Errorf("payments done: settled %v, timed out %v", outS != nil, outT != nil)
		}
		if left := desc.unswept(t); len(left) > 0 {
			return fmt.Errorf("unswept: %v", left)
		}
		return nil
	}, e.lnd)

	if outS.err != nil || outS.p.Status != node.PaymentStatusSucceeded || fmt.Sprintf("%x", outS.p.Preimage[:]) != settled.preimage {
		t.Fatalf("the HTLC lnd settled on chain: payment %+v, %v", outS.p, outS.err)
	}
	if !errors.Is(outT.err, node.ErrPaymentFailed) {
		t.Fatalf("the HTLC that timed out: payment %+v, %v", outT.p, outT.err)
	}
	lnkitClosedEvent(t, e.lk, id)
	gain := func() btcutil.Amount { b, _ := e.lk.Wallet.Balance(); return b - walletBefore }()
	want := btcutil.Amount(ch.Local/1000) + 70_000
	// Fees: the sweeps, the HTLC-timeout transaction and, as the
	// closer under anchors, a CPFP child; never more than 2% here.
	if gain > want || gain < want-want/50 {
		t.Fatalf("lnkit's wallet gained %v; its balance was %v and the timed-out HTLC 70000 sat", gain, ch.Local)
	}
	c := waitLndClosed(t, e.lnd, point)
	t.Logf("%d blocks: %d transactions from the commitment %s; lnkit's wallet gained %v of %v; lnd: %s %s",
		mined, len(desc.txs), commit[:12], gain, want, c.CloseType, c.SettledBalance)
}
