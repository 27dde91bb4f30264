package node

import (
	"bytes"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/htlc"
	"github.com/lnkit/lnkit/invoice"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

// seedPayment is a payment record with one settled two-hop attempt.
func seedPayment() *payment {
	pre := htlc.Preimage{7}
	p := &payment{
		total: 5000, finalCLTV: 40, maxFee: 100, keysendPre: &pre,
		custom: []wire.TLVRecord{{Type: 65537, Value: []byte("hi")}},
	}
	p.PaymentHash = pre.Hash()
	p.Destination[0] = 2
	p.Amount, p.Fee, p.Status, p.Keysend = 5000, 3, PaymentStatusSucceeded, true
	p.CreatedAt, p.deadline = time.Unix(0, 1e9), time.Unix(0, 2e9)
	p.attempts = []*attempt{{ch: wire.ChannelID{1}, htlcID: 4, amount: 5003, done: true, settled: true,
		route:   []RouteHop{{Node: [33]byte{2}, Amount: 5003, CLTV: 900}, {Node: [33]byte{3}, Amount: 5000, CLTV: 860}},
		secrets: onion.SharedSecrets{{1}, {2}}}}
	return p
}

// seedBlindedPayment is a payment over a blinded path, with a route hint.
func seedBlindedPayment(f *testing.F) *payment {
	p := seedPayment()
	key := func(b byte) *btcec.PublicKey {
		k, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{b}, 32))
		return k.PubKey()
	}
	path, err := onion.BuildBlindedPathWithSessionKey(bytes.Repeat([]byte{9}, 32), []*btcec.PublicKey{key(1), key(2)}, [][]byte{{2, 8, 0, 0, 0, 0, 0, 0, 0, 1}, {6, 1, 7}})
	if err != nil {
		f.Fatal(err)
	}
	p.blinded = []BlindedPaymentPath{{Path: path, FeeBase: 1000, FeePPM: 1, CLTVExpiryDelta: 120, HTLCMinimum: 1, HTLCMaximum: 1 << 30}}
	p.hints = []invoice.RouteHint{{{NodeID: key(3), ChannelID: wire.NewShortChannelIDFromUint64(77), FeeBase: 1, FeeProportionalMillionths: 2, CLTVExpiryDelta: 40}}}
	return p
}

// FuzzDecodePayment feeds stored payment records: decoding never panics,
// and what decodes re-encodes to a record that decodes to itself.
func FuzzDecodePayment(f *testing.F) {
	f.Add(encodePayment(seedPayment()))
	f.Add(encodePayment(seedBlindedPayment(f)))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePayment(b)
		if err != nil {
			return
		}
		// Non-canonical bytes (a flag other than 0 or 1) decode too;
		// the re-encoding must be stable.
		got := encodePayment(p)
		again, err := decodePayment(got)
		if err != nil {
			t.Fatalf("re-encoding %x does not decode: %v", got, err)
		}
		if !bytes.Equal(encodePayment(again), got) {
			t.Fatalf("re-encoding is not stable: %x", got)
		}
	})
}

// FuzzDecodeInvoice feeds stored invoice records: decoding never panics,
// and what decodes re-encodes to a record that decodes to itself.
func FuzzDecodeInvoice(f *testing.F) {
	inv := &Invoice{PaymentHash: htlc.PaymentHash{9}, Amount: 1000, State: InvoiceSettled, Received: 1000,
		CreatedAt: time.Unix(5, 0), SettledAt: time.Unix(6, 0), preimage: htlc.Preimage{8},
		parts: []fwdKey{{wire.ChannelID{3}, 1}}}
	f.Add(encodeInvoice(inv))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		inv, err := decodeInvoice(b)
		if err != nil {
			return
		}
		// Non-canonical bytes (a flag other than 0 or 1) decode too;
		// the re-encoding must be stable.
		got := encodeInvoice(inv)
		again, err := decodeInvoice(got)
		if err != nil {
			t.Fatalf("re-encoding %x does not decode: %v", got, err)
		}
		if !bytes.Equal(encodeInvoice(again), got) {
			t.Fatalf("re-encoding is not stable: %x", got)
		}
	})
}

// FuzzDecodePaymentSummary feeds stored summaries of pruned payments:
// decoding never panics, and what decodes re-encodes to itself.
func FuzzDecodePaymentSummary(f *testing.F) {
	s := summarize(seedPayment())
	s.Failure = "no route"
	f.Add(encodePaymentSummary(s))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePaymentSummary(b)
		if err != nil {
			return
		}
		enc := encodePaymentSummary(p)
		again, err := decodePaymentSummary(enc)
		if err != nil {
			t.Fatalf("re-encoded summary: %v", err)
		}
		if !bytes.Equal(encodePaymentSummary(again), enc) || again.Failure != p.Failure || again.CreatedAt != p.CreatedAt {
			t.Fatalf("summary changed: %+v, was %+v", again.Payment, p.Payment)
		}
	})
}
