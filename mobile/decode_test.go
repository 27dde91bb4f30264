package mobile_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/mobile"
)

// bolt11Example is one example of BOLT 11's "Examples" section, as
// transcribed in testdata/bolt11_valid.json (copied from the invoice
// package's testdata).
type bolt11Example struct {
	Title           string  `json:"title"`
	Invoice         string  `json:"invoice"`
	Network         string  `json:"network"`
	AmountMsat      *int64  `json:"amount_msat"`
	Timestamp       int64   `json:"timestamp"`
	PaymentHash     string  `json:"payment_hash"`
	PaymentSecret   string  `json:"payment_secret"`
	Description     *string `json:"description"`
	DescriptionHash *string `json:"description_hash"`
	Expiry          *int64  `json:"expiry"`
	MinFinalCLTV    *int64  `json:"min_final_cltv_expiry_delta"`
	Metadata        *string `json:"metadata"`
	Payee           string  `json:"payee_pubkey"`
	Fallbacks       []struct {
		Address string `json:"address"`
	} `json:"fallback_addresses"`
	RouteHints [][]struct {
		Pubkey         string `json:"pubkey"`
		ShortChannelID string `json:"short_channel_id"`
		FeeBase        int64  `json:"fee_base_msat"`
		FeeProp        int64  `json:"fee_proportional_millionths"`
		CLTV           int32  `json:"cltv_expiry_delta"`
	} `json:"route_hints"`
}

// Every valid example of BOLT 11 decodes through DecodeInvoice to what
// the spec says it holds.
func TestDecodeInvoiceSpecExamples(t *testing.T) {
	raw, err := os.ReadFile("testdata/bolt11_valid.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Examples []bolt11Example }
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Examples) == 0 {
		t.Fatal("no examples")
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for _, e := range f.Examples {
		d, err := mobile.DecodeInvoice(e.Invoice)
		if err != nil {
			t.Errorf("%s: %v", e.Title, err)
			continue
		}
		network := map[string]string{"mainnet": "mainnet", "testnet": "testnet3"}[e.Network]
		expiry, cltv := int64(3600), int64(18)
		if e.Expiry != nil {
			expiry = *e.Expiry
		}
		if e.MinFinalCLTV != nil {
			cltv = *e.MinFinalCLTV
		}
		if d.Network != network || d.HasAmount != (e.AmountMsat != nil) || (e.AmountMsat != nil && d.AmountMsat != *e.AmountMsat) ||
			d.TimestampMs != e.Timestamp*1000 || d.ExpirySeconds != expiry || d.ExpiresAtMs != (e.Timestamp+expiry)*1000 ||
			d.PaymentHash != e.PaymentHash || d.PaymentSecret != e.PaymentSecret || d.Description != str(e.Description) ||
			d.DescriptionHash != str(e.DescriptionHash) || d.Destination != e.Payee || d.MinFinalCLTVExpiryDelta != cltv ||
			d.Metadata != str(e.Metadata) || d.Features == "" || !d.IsExpired() {
			t.Errorf("%s: decoded %+v", e.Title, d)
		}
		if d.Fallbacks.Len() != len(e.Fallbacks) {
			t.Errorf("%s: %d fallbacks, want %d", e.Title, d.Fallbacks.Len(), len(e.Fallbacks))
		}
		for i, fb := range e.Fallbacks {
			if got := d.Fallbacks.Get(i); got != fb.Address {
				t.Errorf("%s: fallback %d is %s, want %s", e.Title, i, got, fb.Address)
			}
		}
		if d.RouteHints.Len() != len(e.RouteHints) {
			t.Errorf("%s: %d route hints, want %d", e.Title, d.RouteHints.Len(), len(e.RouteHints))
			continue
		}
		for i, rh := range e.RouteHints {
			got := d.RouteHints.Get(i)
			if got.Len() != len(rh) {
				t.Errorf("%s: hint %d has %d hops, want %d", e.Title, i, got.Len(), len(rh))
				continue
			}
			for j, h := range rh {
				g := got.Get(j)
				if g.NodeID != h.Pubkey || g.ShortChannelID != h.ShortChannelID || g.FeeBaseMsat != h.FeeBase ||
					g.FeeProportionalMillionths != h.FeeProp || g.CLTVExpiryDelta != h.CLTV {
					t.Errorf("%s: hint %d hop %d: %+v, want %+v", e.Title, i, j, g, h)
				}
			}
			if got.Get(len(rh)) != nil || got.Get(-1) != nil {
				t.Errorf("%s: out-of-range hop is not nil", e.Title)
			}
		}
	}
}

// Every invalid example of BOLT 11 is refused with INVALID_INVOICE, and
// the invoice package's sentinel stays reachable with errors.Is.
func TestDecodeInvoiceSpecInvalid(t *testing.T) {
	raw, err := os.ReadFile("testdata/bolt11_invalid.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Examples []struct{ Reason, Invoice string }
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Examples) == 0 {
		t.Fatal("no examples")
	}
	for _, e := range f.Examples {
		d, err := mobile.DecodeInvoice(e.Invoice)
		var ce *mobile.CodedError
		if d != nil || !errors.As(err, &ce) || ce.Code != mobile.CodeInvalidInvoice || mobile.ErrorCode(err.Error()) != mobile.CodeInvalidInvoice {
			t.Errorf("%s: %v, %v", e.Reason, d, err)
		}
		if e.Reason == "Bech32 checksum is invalid." && !errors.Is(err, invoice.ErrInvalidChecksum) {
			t.Errorf("checksum failure does not wrap invoice.ErrInvalidChecksum: %v", err)
		}
	}
}
