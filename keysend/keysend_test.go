package keysend

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/onion"
	"github.com/lnkit/lnkit/wire"
)

type factsFile struct {
	TLVRecord struct {
		Type        uint64 `json:"type"`
		ValueLength int    `json:"value_length"`
	} `json:"tlv_record"`
	Feature struct {
		RequiredBit int `json:"required_bit"`
		OptionalBit int `json:"optional_bit"`
	} `json:"feature"`
	Receiver struct {
		Reject struct {
			Numeric int `json:"failure_code_numeric"`
		} `json:"on_reject_keysend_or_preimage_hash_mismatch"`
	} `json:"receiver_requirements"`
}

// TestFacts checks the constants against keysend.json.
func TestFacts(t *testing.T) {
	b, err := os.ReadFile("testdata/keysend.json")
	if err != nil {
		t.Fatal(err)
	}
	var f factsFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if f.TLVRecord.Type != RecordType || f.TLVRecord.ValueLength != PreimageSize {
		t.Fatalf("record type/length: %+v", f.TLVRecord)
	}
	if int(FeatureRequired) != f.Feature.RequiredBit || int(FeatureOptional) != f.Feature.OptionalBit {
		t.Fatalf("feature bits: %+v", f.Feature)
	}
	if int(onion.CodeIncorrectOrUnknownPaymentDetails) != f.Receiver.Reject.Numeric {
		t.Fatalf("failure code %d", f.Receiver.Reject.Numeric)
	}
	// Rejections carry that code.
	pay, _ := NewPayment(Params{Amount: 1000, FinalCLTV: 100, Rand: bytes.NewReader(make([]byte, 32))})
	_, err = (&Receiver{}).Accept(pay.Payload, HTLC{PaymentHash: pay.Hash, Amount: 1000, CLTVExpiry: 100})
	var rej *RejectError
	if !errors.As(err, &rej) || int(rej.Failure.Code) != f.Receiver.Reject.Numeric || !errors.Is(err, ErrDisabled) {
		t.Fatalf("disabled: %v", err)
	}
}

func TestNewPayment(t *testing.T) {
	seed := bytes.Repeat([]byte{7}, 32)
	pay, err := NewPayment(Params{
		Amount: 5000, FinalCLTV: 800100, Rand: bytes.NewReader(seed),
		CustomRecords: []wire.TLVRecord{{Type: 696969, Value: []byte("tip")}, {Type: 65537, Value: []byte{1}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pay.Preimage[:], seed) || pay.Hash != sha256.Sum256(seed) {
		t.Fatal("preimage/hash")
	}
	b, err := pay.Payload.Encode()
	if err != nil {
		t.Fatal(err)
	}
	dec, err := onion.DecodeHopPayload(b)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := dec.CustomRecord(RecordType); !ok || !bytes.Equal(v, seed) {
		t.Fatal("keysend record missing")
	}
	for _, bad := range []wire.TLVRecord{{Type: 100}, {Type: RecordType}} {
		if _, err := NewPayment(Params{CustomRecords: []wire.TLVRecord{bad}}); !errors.Is(err, ErrCustomRecord) {
			t.Fatalf("type %d: %v", bad.Type, err)
		}
	}
	if _, err := NewPayment(Params{CustomRecords: []wire.TLVRecord{{Type: 70000}, {Type: 70000}}}); !errors.Is(err, ErrCustomRecord) {
		t.Fatalf("duplicate: %v", err)
	}
	// Fresh preimages from the default source.
	a, _ := NewPayment(Params{})
	c, _ := NewPayment(Params{})
	if a.Preimage == c.Preimage {
		t.Fatal("preimage reused")
	}
}

func TestAcceptRules(t *testing.T) {
	r := &Receiver{Enabled: true, MinFinalCLTVExpiryDelta: 18}
	pay, _ := NewPayment(Params{Amount: 1000, FinalCLTV: 800040, CustomRecords: []wire.TLVRecord{{Type: 65537, Value: []byte("x")}}})
	good := HTLC{PaymentHash: pay.Hash, Amount: 1000, CLTVExpiry: 800040, BlockHeight: 800000}
	rec, err := r.Accept(pay.Payload, good)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Preimage != pay.Preimage || len(rec.CustomRecords) != 1 || rec.CustomRecords[0].Type != 65537 || rec.Total != 1000 {
		t.Fatalf("received %+v", rec)
	}
	cases := []struct {
		name string
		h    func(h *HTLC)
		p    func(p *onion.HopPayload)
		is   error
		code onion.FailureCode
	}{
		{"hash", func(h *HTLC) { h.PaymentHash[0] ^= 1 }, nil, ErrHashMismatch, onion.CodeIncorrectOrUnknownPaymentDetails},
		{"amount", func(h *HTLC) { h.Amount = 999 }, nil, ErrHTLC, onion.CodeFinalIncorrectHTLCAmount},
		{"cltv", func(h *HTLC) { h.CLTVExpiry = 800030 }, nil, ErrHTLC, onion.CodeFinalIncorrectCLTVExpiry},
		{"too soon", func(h *HTLC) { h.CLTVExpiry = 800010 }, nil, ErrHTLC, onion.CodeIncorrectOrUnknownPaymentDetails},
		{"length", nil, func(p *onion.HopPayload) { setRecord(p, RecordType, make([]byte, 31)) }, ErrPreimageLength, onion.CodeInvalidOnionPayload},
		{"unknown even", nil, func(p *onion.HopPayload) { setRecord(p, 70000, []byte{1}) }, ErrUnknownEvenRecord, onion.CodeInvalidOnionPayload},
	}
	for _, c := range cases {
		h := good
		p := *pay.Payload
		p.CustomRecords = append([]wire.TLVRecord(nil), pay.Payload.CustomRecords...)
		if c.h != nil {
			c.h(&h)
		}
		if c.p != nil {
			c.p(&p)
		}
		_, err := r.Accept(&p, h)
		var rej *RejectError
		if !errors.As(err, &rej) || !errors.Is(err, c.is) || rej.Failure.Code != c.code {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	if _, err := r.Accept(&onion.HopPayload{}, good); !errors.Is(err, ErrNotKeysend) {
		t.Fatalf("not keysend: %v", err)
	}
	// MPP keysend returns the total and the secret.
	mp, _ := NewPayment(Params{Amount: 600, FinalCLTV: 800040, MPP: &MPP{PaymentSecret: [32]byte{5}, Total: 1000}})
	rec, err = r.Accept(mp.Payload, HTLC{PaymentHash: mp.Hash, Amount: 600, CLTVExpiry: 800040, BlockHeight: 800000})
	if err != nil || rec.Total != 1000 || rec.PaymentSecret == nil || *rec.PaymentSecret != [32]byte{5} {
		t.Fatalf("mpp: %+v %v", rec, err)
	}
}

func setRecord(p *onion.HopPayload, typ uint64, v []byte) {
	for i, r := range p.CustomRecords {
		if r.Type == typ {
			p.CustomRecords[i].Value = v
			return
		}
	}
	p.CustomRecords = append(p.CustomRecords, wire.TLVRecord{Type: typ, Value: v})
}

func TestFeatures(t *testing.T) {
	for _, req := range []bool{false, true} {
		f := Features(req)
		if !Supported(f) || CheckFeatures(f) != nil || f.RequiresFeature(FeatureRequired) != req {
			t.Fatalf("features %v", f)
		}
	}
	if err := CheckFeatures(wire.NewFeatureVector(FeatureOptional)); !errors.Is(err, ErrMissingFeature) {
		t.Fatal(err)
	}
	if Supported(wire.NewFeatureVector(8)) {
		t.Fatal("supported without the bit")
	}
}

// TestEndToEnd builds an onion over a 3-hop route whose final payload is a
// keysend payload, peels it at every hop, and validates at the final hop.
func TestEndToEnd(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{42})
	var privs []*btcec.PrivateKey
	for i := 0; i < 3; i++ {
		var b [32]byte
		rng.Read(b[:])
		p, _ := btcec.PrivKeyFromBytes(b[:])
		privs = append(privs, p)
	}
	const height = 800000
	pay, err := NewPayment(Params{
		Amount: 10_000, FinalCLTV: height + 40, Rand: rng,
		CustomRecords: []wire.TLVRecord{{Type: 34349334, Value: []byte("thanks!")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	final, err := pay.Payload.Encode()
	if err != nil {
		t.Fatal(err)
	}
	fwd := func(amt wire.MilliSatoshi, cltv uint32, scid uint64) []byte {
		b, err := (&onion.HopPayload{AmountToForward: onion.Amount(amt), OutgoingCLTV: onion.U32(cltv), ShortChannelID: onion.SCID(wire.NewShortChannelIDFromUint64(scid))}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	hops := []onion.Hop{
		{PubKey: privs[0].PubKey(), Payload: fwd(10_020, height+80, 0x10)},
		{PubKey: privs[1].PubKey(), Payload: fwd(10_000, height+40, 0x20)},
		{PubKey: privs[2].PubKey(), Payload: final},
	}
	pkt, _, err := onion.NewPacket(rng, hops, pay.Hash[:])
	if err != nil {
		t.Fatal(err)
	}
	amounts := []wire.MilliSatoshi{10_041, 10_020, 10_000}
	cltvs := []uint32{height + 120, height + 80, height + 40}
	cur := pkt
	for i, priv := range privs {
		proc := onion.NewProcessor(wire.NewPrivateNodeKey(priv), onion.NewMemoryReplayLog())
		res, err := proc.Process(context.Background(), cur, pay.Hash[:], &onion.ProcessOptions{CLTVExpiry: cltvs[i]})
		if err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		p, err := onion.DecodeHopPayload(res.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(res.Final, false); err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
		if !res.Final {
			if IsKeysend(p) {
				t.Fatalf("hop %d sees the keysend record", i)
			}
			next := res.Next
			cur = &next
			continue
		}
		if i != 2 {
			t.Fatalf("hop %d final", i)
		}
		r := &Receiver{Enabled: true, MinFinalCLTVExpiryDelta: 18, KnownRecords: []uint64{34349334}}
		got, err := r.Accept(p, HTLC{PaymentHash: pay.Hash, Amount: amounts[i], CLTVExpiry: cltvs[i], BlockHeight: height})
		if err != nil {
			t.Fatal(err)
		}
		if got.Preimage != pay.Preimage || len(got.CustomRecords) != 1 || string(got.CustomRecords[0].Value) != "thanks!" {
			t.Fatalf("received %+v", got)
		}
	}
}

// TestPreimageNotPrinted is the regression test for Received and Payment
// printing the preimage: both used to hold it as a [32]byte, which fmt
// prints byte by byte.
func TestPreimageNotPrinted(t *testing.T) {
	seed := bytes.Repeat([]byte{0xc3}, 32)
	pay, err := NewPayment(Params{Amount: 1000, FinalCLTV: 800040, Rand: bytes.NewReader(seed)})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := (&Receiver{Enabled: true}).Accept(pay.Payload, HTLC{PaymentHash: pay.Hash, Amount: 1000, CLTVExpiry: 800040, BlockHeight: 800000})
	if err != nil {
		t.Fatal(err)
	}
	reveals := []string{"c3c3c3c3", "C3C3C3C3", "195 195 195", "0xc3, 0xc3"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d"} {
		for name, v := range map[string]any{"*Received": rec, "Received": *rec, "Preimage": pay.Preimage} {
			out := fmt.Sprintf(verb, v)
			for _, r := range reveals {
				if strings.Contains(out, r) {
					t.Errorf("%s with %s prints the preimage: %s", name, verb, out)
				}
			}
		}
	}
	if rec.Preimage.Hex() != strings.Repeat("c3", 32) {
		t.Fatal("received preimage differs from the seed")
	}
}
