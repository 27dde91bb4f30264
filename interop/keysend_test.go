package interop

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// TestKeysend sends keysend payments (bLIP 3) both ways over a channel
// each side opened, with a custom record the receiver must report: lnd
// (run with --accept-keysend) in the HTLC's custom_records of the invoice
// it creates for the payment, lnkit in its PaymentReceived event.
func TestKeysend(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{})
	out, outPoint := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 1_000_000})
	in, inPoint := e.openFromLnd(t, e.lnd, 1_000_000, false)

	const recordType = 696969
	t.Run("LnkitToLnd", func(t *testing.T) {
		value := []byte("lnkit says hello")
		amt := wire.MilliSatoshi(21_000_000)
		p, err := e.lk.Node.SendKeysend(ctxFor(t, 90*time.Second), node.KeysendRequest{
			Destination: mustPubKey(t, e.lnd.PubKey), Amount: amt,
			CustomRecords: []wire.TLVRecord{{Type: recordType, Value: value}},
		})
		if err != nil {
			t.Fatalf("SendKeysend: %v\nlnd: %s", err, e.lnd.LogLines("HSWC", "INVC", "keysend", "rror"))
		}
		if p.Status != node.PaymentStatusSucceeded || !p.Keysend || p.Amount != amt || p.Fee != 0 {
			t.Fatalf("payment %+v", p)
		}
		hash := hex.EncodeToString(p.PaymentHash[:])
		checkPreimage(t, hex.EncodeToString(p.Preimage[:]), hash)
		inv := lndInvoice(t, e.lnd, hash)
		if !inv.IsKeysend || inv.State != "SETTLED" || atoi(t, inv.AmtPaidMsat) != int64(amt) {
			t.Fatalf("lnd's keysend invoice: %+v", inv)
		}
		if inv.RPreimage != hex.EncodeToString(p.Preimage[:]) {
			t.Fatalf("lnd's preimage %s, lnkit's %x", inv.RPreimage, p.Preimage[:])
		}
		if len(inv.Htlcs) != 1 {
			t.Fatalf("lnd's invoice has %d HTLCs", len(inv.Htlcs))
		}
		got := inv.Htlcs[0].CustomRecords[fmt.Sprint(recordType)]
		if got != hex.EncodeToString(value) {
			t.Fatalf("lnd reports custom records %v, want %d=%x", inv.Htlcs[0].CustomRecords, recordType, value)
		}
		// lnd's record of the keysend record (5482373484) is the preimage.
		if pre := inv.Htlcs[0].CustomRecords["5482373484"]; pre != hex.EncodeToString(p.Preimage[:]) {
			t.Fatalf("lnd reports keysend record %q", pre)
		}
	})

	t.Run("LndToLnkit", func(t *testing.T) {
		value := []byte{0xde, 0xad, 0xbe, 0xef, 0x00, 0x01}
		lp := lndPay(t, e.lnd, "sendpayment", "--keysend", "--dest="+e.lk.PubKey(), "--amt=12345",
			fmt.Sprintf("--data=%d=%x", recordType, value))
		checkPreimage(t, lp.PaymentPreimage, lp.PaymentHash)
		if atoi(t, lp.ValueMsat) != 12_345_000 || atoi(t, lp.FeeMsat) != 0 {
			t.Fatalf("lnd payment %+v", lp)
		}
		var ev *node.PaymentReceived
		waitFor(t, 30*time.Second, "lnkit's PaymentReceived", func() error {
			for _, x := range e.lk.Events() {
				if r, ok := x.(*node.PaymentReceived); ok && hex.EncodeToString(r.PaymentHash[:]) == lp.PaymentHash {
					ev = r
					return nil
				}
			}
			return errors.New("no event")
		})
		if !ev.Keysend || ev.Amount != 12_345_000 {
			t.Fatalf("lnkit's event %+v", ev)
		}
		if got := ev.CustomRecords[recordType]; !bytes.Equal(got, value) {
			t.Fatalf("lnkit reports custom records %v, want %d=%x", ev.CustomRecords, recordType, value)
		}
	})
	checkBalances(t, e, e.lnd, out, outPoint)
	checkBalances(t, e, e.lnd, in, inPoint)
}
