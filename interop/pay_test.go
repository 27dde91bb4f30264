package interop

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/node"
	"github.com/lnkit/lnkit/wire"
)

// LndPayment is a payment as lncli prints it (payinvoice --json,
// sendpayment --json, listpayments).
type LndPayment struct {
	PaymentHash     string `json:"payment_hash"`
	ValueMsat       string `json:"value_msat"`
	PaymentPreimage string `json:"payment_preimage"`
	Status          string `json:"status"`
	FeeMsat         string `json:"fee_msat"`
	FailureReason   string `json:"failure_reason"`
	Htlcs           []struct {
		Status string `json:"status"`
		Route  struct {
			TotalAmtMsat  string `json:"total_amt_msat"`
			TotalFeesMsat string `json:"total_fees_msat"`
			Hops          []struct {
				ChanID       string `json:"chan_id"`
				PubKey       string `json:"pub_key"`
				AmtToFwdMsat string `json:"amt_to_forward_msat"`
				FeeMsat      string `json:"fee_msat"`
			} `json:"hops"`
		} `json:"route"`
	} `json:"htlcs"`
}

// LndInvoice is an invoice as lncli prints it (listinvoices,
// lookupinvoice).
type LndInvoice struct {
	RHash          string `json:"r_hash"`
	RPreimage      string `json:"r_preimage"`
	ValueMsat      string `json:"value_msat"`
	AmtPaidMsat    string `json:"amt_paid_msat"`
	State          string `json:"state"`
	PaymentRequest string `json:"payment_request"`
	IsKeysend      bool   `json:"is_keysend"`
	Htlcs          []struct {
		AmtMsat       string            `json:"amt_msat"`
		State         string            `json:"state"`
		CustomRecords map[string]string `json:"custom_records"`
	} `json:"htlcs"`
}

// lndPay runs lncli payinvoice (or sendpayment) with --json and --force
// and returns lnd's final view of the payment.
func lndPay(t *testing.T, d *Lnd, args ...string) LndPayment {
	t.Helper()
	out, err := d.cli(append([]string{args[0], "--json", "--force"}, args[1:]...)...)
	if err != nil {
		t.Fatalf("%v\nlnd: %s", err, d.LogLines("CRTR", "HSWC", "unable", "rror"))
	}
	var p LndPayment
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	if p.Status != "SUCCEEDED" {
		t.Fatalf("lnd payment %s: %s\nlnd: %s", p.Status, p.FailureReason, d.LogLines("CRTR", "HSWC", "unable", "rror"))
	}
	return p
}

// lndPayment finds a payment in lncli listpayments.
func lndPayment(t *testing.T, d *Lnd, hash string) LndPayment {
	t.Helper()
	var res struct {
		Payments []LndPayment `json:"payments"`
	}
	d.CLI(t, &res, "listpayments", "--include_incomplete")
	for _, p := range res.Payments {
		if p.PaymentHash == hash {
			return p
		}
	}
	t.Fatalf("lnd lists no payment %s", hash)
	return LndPayment{}
}

// lndInvoice finds an invoice by hash (lncli lookupinvoice).
func lndInvoice(t *testing.T, d *Lnd, hash string) LndInvoice {
	t.Helper()
	var inv LndInvoice
	d.CLI(t, &inv, "lookupinvoice", hash)
	return inv
}

// checkPreimage checks that preimage (hex) hashes to hash (hex).
func checkPreimage(t *testing.T, preimage, hash string) {
	t.Helper()
	b, err := hex.DecodeString(preimage)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad preimage %q", preimage)
	}
	if h := sha256.Sum256(b); hex.EncodeToString(h[:]) != hash {
		t.Fatalf("preimage %s does not hash to %s", preimage, hash)
	}
}

// payLnkit has d pay an lnkit invoice of amt (with private route hints)
// and checks both sides' records.
func payLnkit(t *testing.T, e *env, d *Lnd, amt wire.MilliSatoshi) LndPayment {
	t.Helper()
	inv, err := e.lk.Node.CreateInvoice(ctxFor(t, 10*time.Second), node.InvoiceRequest{Amount: amt, Description: "interop", PrivateRouteHints: true})
	if err != nil {
		t.Fatal(err)
	}
	p := lndPay(t, d, "payinvoice", inv.Bolt11)
	hash := hex.EncodeToString(inv.PaymentHash[:])
	if p.PaymentHash != hash || atoi(t, p.ValueMsat) != int64(amt) {
		t.Fatalf("lnd paid %s msat for %s, invoice is %v for %s", p.ValueMsat, p.PaymentHash, amt, hash)
	}
	checkPreimage(t, p.PaymentPreimage, hash)
	got := lnkitInvoice(t, e.lk, inv.PaymentHash)
	if got.State != node.InvoiceSettled || got.Received != amt {
		t.Fatalf("lnkit's invoice is %v with %v received, want settled with %v", got.State, got.Received, amt)
	}
	return p
}

// lnkitInvoice waits for lnkit's invoice to settle and returns it.
func lnkitInvoice(t *testing.T, lk *Lnkit, hash htlc.PaymentHash) node.Invoice {
	t.Helper()
	var got node.Invoice
	waitFor(t, 30*time.Second, "lnkit's invoice settled", func() error {
		invs, err := lk.Node.ListInvoices(ctxFor(t, 10*time.Second))
		if err != nil {
			return err
		}
		for _, inv := range invs {
			if inv.PaymentHash == hash {
				got = inv
				if inv.State != node.InvoiceSettled {
					return fmt.Errorf("invoice %v", inv.State)
				}
				return nil
			}
		}
		return errors.New("no such invoice")
	})
	return got
}

// lndAddInvoice has d issue an invoice of amt msat (extra lncli flags
// such as --private) and returns it and its hash.
func lndAddInvoice(t *testing.T, d *Lnd, amt wire.MilliSatoshi, flags ...string) (string, string) {
	t.Helper()
	var res struct {
		RHash          string `json:"r_hash"`
		PaymentRequest string `json:"payment_request"`
	}
	d.CLI(t, &res, append([]string{"addinvoice", "--amt_msat=" + strconv.FormatUint(uint64(amt), 10), "--memo=interop"}, flags...)...)
	return res.PaymentRequest, res.RHash
}

// payLnd has lnkit pay an lnd invoice of amt and checks both sides'
// records: lnkit's payment (amount, fee, preimage) and lnd's invoice
// (settled, amount paid, preimage).
func payLnd(t *testing.T, e *env, d *Lnd, amt wire.MilliSatoshi, flags ...string) *node.Payment {
	t.Helper()
	bolt11, hash := lndAddInvoice(t, d, amt, flags...)
	p, err := e.lk.Node.PayInvoice(ctxFor(t, 90*time.Second), node.PayInvoiceRequest{Invoice: bolt11})
	if err != nil {
		t.Fatalf("PayInvoice: %v\nlnd: %s", err, d.LogLines("HSWC", "INVC", "unable", "rror"))
	}
	if p.Status != node.PaymentStatusSucceeded || p.Amount != amt || hex.EncodeToString(p.PaymentHash[:]) != hash {
		t.Fatalf("lnkit payment %+v", p)
	}
	checkPreimage(t, hex.EncodeToString(p.Preimage[:]), hash)
	var inv LndInvoice
	waitFor(t, 30*time.Second, "lnd's invoice settled", func() error {
		inv = lndInvoice(t, d, hash)
		if inv.State != "SETTLED" {
			return fmt.Errorf("invoice %s", inv.State)
		}
		return nil
	})
	if atoi(t, inv.AmtPaidMsat) != int64(amt) {
		t.Fatalf("lnd's invoice was paid %s msat, want %v", inv.AmtPaidMsat, amt)
	}
	if inv.RPreimage != hex.EncodeToString(p.Preimage[:]) {
		t.Fatalf("lnd's preimage %s, lnkit's %x", inv.RPreimage, p.Preimage[:])
	}
	// ListPayments has the same record.
	ps, err := e.lk.Node.ListPayments(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, q := range ps {
		if q.ID == p.ID {
			found = true
			if q.Status != p.Status || q.Fee != p.Fee || q.Preimage != p.Preimage || q.Amount != p.Amount {
				t.Fatalf("ListPayments has %+v, PayInvoice returned %+v", q, p)
			}
		}
	}
	if !found {
		t.Fatalf("ListPayments lacks payment %v", p.ID)
	}
	return p
}

// TestPay pays invoices both ways over a channel lnkit opened and one lnd
// opened, and checks amounts, fees (none over a direct channel) and
// preimages in both nodes' lists, and that the balances agree after.
func TestPay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, LnkitConfig{})
	out, outPoint := e.openFromLnkit(t, e.lnd, node.OpenChannelRequest{Amount: 1_000_000})
	in, inPoint := e.openFromLnd(t, e.lnd, 1_000_000, false)

	for i, amt := range []wire.MilliSatoshi{1_000, 123_456_789, 50_000_000, 7_777} {
		p := payLnd(t, e, e.lnd, amt)
		if p.Fee != 0 {
			t.Errorf("payment %d over a direct channel paid a fee of %v", i, p.Fee)
		}
		lp := payLnkit(t, e, e.lnd, amt+1)
		if atoi(t, lp.FeeMsat) != 0 {
			t.Errorf("lnd paid a fee of %s msat over a direct channel", lp.FeeMsat)
		}
		// lnd's listpayments agrees with payinvoice's answer.
		if got := lndPayment(t, e.lnd, lp.PaymentHash); got.Status != "SUCCEEDED" || got.PaymentPreimage != lp.PaymentPreimage || got.ValueMsat != lp.ValueMsat {
			t.Fatalf("listpayments has %+v", got)
		}
	}
	checkBalances(t, e, e.lnd, out, outPoint)
	checkBalances(t, e, e.lnd, in, inPoint)
	invs, err := e.lk.Node.ListInvoices(ctxFor(t, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(invs) != 4 {
		t.Fatalf("lnkit lists %d invoices, want 4", len(invs))
	}
}
