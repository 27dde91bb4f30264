package interop

import (
	"encoding/hex"
	"testing"

	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// TestMPP has lnkit pay an lnd invoice larger than what either of its two
// channels to lnd can carry: the payment must be split (basic_mpp), and
// lnd must settle the invoice with every part.
func TestMPP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{})
	c1, p1 := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 400_000})
	c2, p2 := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 400_000})
	max := e.lk.Channel(t, c1).Outbound
	if o := e.lk.Channel(t, c2).Outbound; o > max {
		max = o
	}
	amt := wire.MilliSatoshi(600_000_000)
	if amt <= max {
		t.Fatalf("%v fits in one channel (%v)", amt, max)
	}
	p := payLnd(t, e, e.lnd, amt)
	if len(p.Route) < 2 {
		t.Fatalf("paid in %d part(s): %v", len(p.Route), p.Route)
	}
	var sum wire.MilliSatoshi
	used := map[wire.ShortChannelID]bool{}
	for _, r := range p.Route {
		sum += r[len(r)-1].Amount
		used[r[0].ShortChannelID] = true
	}
	if sum != amt || len(used) != 2 {
		t.Fatalf("parts pay %v over %d channels, want %v over 2", sum, len(used), amt)
	}
	var inv LndInvoice
	e.lnd.CLI(t, &inv, "lookupinvoice", hexHash(p))
	settled := 0
	for _, h := range inv.Htlcs {
		if h.State == "SETTLED" {
			settled++
		}
	}
	if settled != len(p.Route) {
		t.Fatalf("lnd settled %d HTLCs, lnkit's payment had %d parts", settled, len(p.Route))
	}
	t.Logf("%v in %d parts (largest channel could send %v), %d attempts", amt, len(p.Route), max, p.Attempts)
	checkBalances(t, e, e.lnd, c1, p1)
	checkBalances(t, e, e.lnd, c2, p2)
}

func hexHash(p *node.Payment) string { return hex.EncodeToString(p.PaymentHash[:]) }
