package onion

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/lnkit/lnkit/internal/testutil"
	"github.com/lnkit/lnkit/wire"
)

func TestHopPayloadRoundTrip(t *testing.T) {
	pk := wire.Point{}
	copy(pk[:], testutil.Hex(t, "02eec7245d6b7d2ccb30380bfbe2a3648cd7a942653f5aa340edcea1f283686619"))
	p := &HopPayload{
		AmountToForward: Amount(15000),
		OutgoingCLTV:    U32(1500),
		PaymentData:     &PaymentData{PaymentSecret: [32]byte{9}, TotalMsat: 30000},
		PaymentMetadata: []byte{1, 2, 3},
		CustomRecords:   []wire.TLVRecord{{Type: 65537, Value: []byte("hi")}, {Type: 5482373484, Value: make([]byte, 32)}},
		Extra:           wire.ExtraTLVs{{Type: 21, Value: []byte{7}}},
	}
	b, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	q, err := DecodeHopPayload(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := q.Encode()
	if !bytes.Equal(b, b2) || *q.AmountToForward != 15000 || q.TotalMsat() != 30000 {
		t.Fatalf("round trip differs")
	}
	if err := q.Validate(true, false); err != nil {
		t.Fatal(err)
	}
	if typ, ok := q.UnknownEvenCustomRecord(); !ok || typ != 5482373484 {
		t.Fatal("even custom record not reported")
	}
	if _, ok := q.UnknownEvenCustomRecord(5482373484); ok {
		t.Fatal("known even record reported")
	}
	// The first payload of onion-test.json decodes to the spec's fields.
	v, _ := hex.DecodeString("02023a98040205dc06080000000000000001")
	h, err := DecodeHopPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	if *h.AmountToForward != 15000 || *h.OutgoingCLTV != 1500 || h.ShortChannelID.ToUint64() != 1 {
		t.Fatalf("decoded %+v", h)
	}
	if err := h.Validate(false, false); err != nil {
		t.Fatal(err)
	}
	_ = pk
}

func TestHopPayloadRejects(t *testing.T) {
	cases := map[string]string{
		"unknown even":          "0201010e00",
		"order":                 "04010102010a",
		"non-minimal amount":    "02020001",
		"scid size":             "0607000000000000",
		"payment_data short":    "0801ff",
		"bad path key":          "0c2104" + "00000000000000000000000000000000000000000000000000000000000000000000"[:64] + "00",
		"length past the end":   "0205aa",
		"non-canonical bigsize": "fd0002",
	}
	for name, h := range cases {
		b, _ := hex.DecodeString(h)
		_, err := DecodeHopPayload(b)
		var pe *PayloadError
		if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPayload) {
			t.Fatalf("%s: got %v", name, err)
		}
		if pe.FailureMessage().Code != CodeInvalidOnionPayload {
			t.Fatalf("%s: wrong code", name)
		}
	}
	// The offset points at the offending record.
	b, _ := hex.DecodeString("0201010e00")
	_, err := DecodeHopPayload(b)
	var pe *PayloadError
	errors.As(err, &pe)
	if pe.Type != 14 || pe.Offset != 3 {
		t.Fatalf("type %d offset %d", pe.Type, pe.Offset)
	}
}

func TestHopPayloadValidate(t *testing.T) {
	scid := wire.ShortChannelID{BlockHeight: 1}
	pk := &wire.Point{}
	ok := []struct {
		p       HopPayload
		final   bool
		htlcKey bool
	}{
		{HopPayload{AmountToForward: Amount(1), OutgoingCLTV: U32(1), ShortChannelID: &scid}, false, false},
		{HopPayload{AmountToForward: Amount(1), OutgoingCLTV: U32(1)}, true, false},
		{HopPayload{EncryptedRecipientData: []byte{1}, CurrentPathKey: pk}, false, false},
		{HopPayload{EncryptedRecipientData: []byte{1}}, false, true},
		{HopPayload{EncryptedRecipientData: []byte{1}, AmountToForward: Amount(1), OutgoingCLTV: U32(1), TotalAmount: Amount(1)}, true, true},
	}
	for i, c := range ok {
		if err := c.p.Validate(c.final, c.htlcKey); err != nil {
			t.Fatalf("valid case %d: %v", i, err)
		}
	}
	bad := []struct {
		p       HopPayload
		final   bool
		htlcKey bool
		typ     uint64
	}{
		{HopPayload{OutgoingCLTV: U32(1), ShortChannelID: &scid}, false, false, TypeAmountToForward},
		{HopPayload{AmountToForward: Amount(1), ShortChannelID: &scid}, false, false, TypeOutgoingCLTV},
		{HopPayload{AmountToForward: Amount(1), OutgoingCLTV: U32(1)}, false, false, TypeShortChannelID},
		{HopPayload{AmountToForward: Amount(1), OutgoingCLTV: U32(1), ShortChannelID: &scid}, true, false, TypeShortChannelID},
		{HopPayload{AmountToForward: Amount(1), OutgoingCLTV: U32(1), ShortChannelID: &scid, PaymentData: &PaymentData{}}, false, false, TypePaymentData},
		{HopPayload{AmountToForward: Amount(1), OutgoingCLTV: U32(1), CurrentPathKey: pk}, true, false, TypeCurrentPathKey},
		{HopPayload{EncryptedRecipientData: []byte{1}}, false, false, TypeCurrentPathKey},
		{HopPayload{EncryptedRecipientData: []byte{1}, CurrentPathKey: pk}, false, true, TypeCurrentPathKey},
		{HopPayload{EncryptedRecipientData: []byte{1}, AmountToForward: Amount(1)}, false, true, TypeAmountToForward},
		{HopPayload{EncryptedRecipientData: []byte{1}, AmountToForward: Amount(1), OutgoingCLTV: U32(1)}, true, true, TypeTotalAmount},
		{HopPayload{EncryptedRecipientData: []byte{1}, ShortChannelID: &scid}, false, true, TypeShortChannelID},
		{HopPayload{}, false, true, TypeEncryptedRecipientData},
	}
	for i, c := range bad {
		err := c.p.Validate(c.final, c.htlcKey)
		var pe *PayloadError
		if !errors.As(err, &pe) || pe.Type != c.typ {
			t.Fatalf("invalid case %d: got %v, want type %d", i, err, c.typ)
		}
	}
}

func TestCheckFinalHTLC(t *testing.T) {
	p := &HopPayload{AmountToForward: Amount(1000), OutgoingCLTV: U32(800040)}
	h := FinalHTLC{Amount: 1000, CLTVExpiry: 800040, BlockHeight: 800000, MinFinalCLTVExpiryDelta: 18}
	if f := p.CheckFinalHTLC(h); f != nil {
		t.Fatalf("valid HTLC rejected: %s", f.Code)
	}
	h2 := h
	h2.CLTVExpiry = 800010
	if f := p.CheckFinalHTLC(h2); f == nil || f.Code != CodeIncorrectOrUnknownPaymentDetails || f.Height != 800000 {
		t.Fatalf("too soon: %v", f)
	}
	h3 := h
	h3.CLTVExpiry = 800030
	if f := p.CheckFinalHTLC(h3); f == nil || f.Code != CodeFinalIncorrectCLTVExpiry || f.CLTVExpiry != 800030 {
		t.Fatalf("cltv: %v", f)
	}
	h4 := h
	h4.Amount = 999
	if f := p.CheckFinalHTLC(h4); f == nil || f.Code != CodeFinalIncorrectHTLCAmount || f.HTLCAmount != 999 {
		t.Fatalf("amount: %v", f)
	}
}
