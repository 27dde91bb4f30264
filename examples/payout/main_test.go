package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lnkit/lnkit/node"
)

func post(t *testing.T, url string, body any) (int, PayoutStatus) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url+"/payouts", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st PayoutStatus
	json.NewDecoder(resp.Body).Decode(&st)
	return resp.StatusCode, st
}

func TestPayoutService(t *testing.T) {
	ctx := context.Background()
	d, err := newDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	srv := httptest.NewServer(&Service{Node: d.payer})
	defer srv.Close()

	inv, err := d.payee.CreateInvoice(ctx, node.InvoiceRequest{Amount: 12_000_000, Description: "payout"})
	if err != nil {
		t.Fatal(err)
	}
	code, st := post(t, srv.URL, PayoutRequest{Key: "order-1", Invoice: inv.Bolt11})
	if code != http.StatusOK || st.Status != "succeeded" || st.AmountMsat != 12_000_000 || st.Preimage == "" {
		t.Fatalf("invoice payout: %d %+v", code, st)
	}
	// The same key again: the same payout, not a second payment.
	code, again := post(t, srv.URL, PayoutRequest{Key: "order-1", Invoice: inv.Bolt11})
	if code != http.StatusOK || again.PaymentHash != st.PaymentHash {
		t.Fatalf("retried payout: %d %+v", code, again)
	}
	code, ks := post(t, srv.URL, PayoutRequest{Key: "order-2", Keysend: &KeysendPayout{
		Node: hex.EncodeToString(d.payee.NodeID().SerializeCompressed()), AmountMsat: 3_000_000,
		Records: map[string]string{"65537": hex.EncodeToString([]byte("invoice #42"))},
	}})
	if code != http.StatusOK || ks.Status != "succeeded" {
		t.Fatalf("keysend payout: %d %+v", code, ks)
	}
	resp, err := http.Get(srv.URL + "/payouts/order-2")
	if err != nil {
		t.Fatal(err)
	}
	var got PayoutStatus
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if got.Status != "succeeded" || got.PaymentHash != ks.PaymentHash {
		t.Fatalf("GET: %+v", got)
	}
	if code, _ := post(t, srv.URL, map[string]string{"key": "bad"}); code != http.StatusBadRequest {
		t.Fatalf("bad request: %d", code)
	}
	if resp, _ := http.Get(srv.URL + "/payouts/nope"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown key: %d", resp.StatusCode)
	}
	ps, _ := d.payer.ListPayments(ctx)
	if len(ps) != 2 {
		t.Fatalf("%d payments, want 2", len(ps))
	}
}
