package invoice

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/lnkit/lnkit/wire"
)

// The goals are ratios to the floors in this file:
//
//	BenchmarkInvoiceDecode <= 1.05 x (RecoverCompact + 2 x PubKeyParse + SHA256)
//	BenchmarkInvoiceEncode <= 1.10 x (Sign + SHA256)
//
// and at most 15 allocations per decode.

var benchKey = func() *btcec.PrivateKey {
	k, _ := btcec.PrivKeyFromBytes(sha256Bytes("lnkit invoice bench payee"))
	return k
}()

func sha256Bytes(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func hopKey(s string) *btcec.PublicKey {
	k, _ := btcec.PrivKeyFromBytes(sha256Bytes(s))
	return k.PubKey()
}

// benchInvoice is a realistic invoice: payment hash, secret, description,
// expiry, min_final_cltv, one route hint with two hops, features.
func benchInvoice(tb testing.TB) (*Invoice, string) {
	tb.Helper()
	var hash, secret [32]byte
	copy(hash[:], sha256Bytes("preimage"))
	copy(secret[:], sha256Bytes("secret"))
	inv, err := NewBuilder(&chaincfg.MainNetParams).
		PaymentHash(hash).PaymentSecret(secret).
		Amount(150_000_000).
		Description("Order #4711: 2 x espresso, 1 x croissant").
		Timestamp(time.Unix(1_700_000_000, 0)).
		Expiry(24*time.Hour).
		MinFinalCLTVExpiryDelta(80).
		RouteHint(
			HopHint{NodeID: hopKey("hop1"), ChannelID: wire.ShortChannelID{BlockHeight: 800_000, TxIndex: 1234, OutputIndex: 1}, FeeBase: 1000, FeeProportionalMillionths: 100, CLTVExpiryDelta: 40},
			HopHint{NodeID: hopKey("hop2"), ChannelID: wire.ShortChannelID{BlockHeight: 810_000, TxIndex: 42, OutputIndex: 0}, FeeBase: 0, FeeProportionalMillionths: 2500, CLTVExpiryDelta: 144},
		).
		Features(wire.NewFeatureVector(wire.FeatureVarOnionOptin, wire.FeaturePaymentSecret, wire.FeatureBasicMPP.Optional())).
		Build(context.Background(), NewKeySigner(benchKey))
	if err != nil {
		tb.Fatal(err)
	}
	return inv, inv.String()
}

func BenchmarkInvoiceDecode(b *testing.B) {
	_, s := benchInvoice(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInvoiceEncode(b *testing.B) {
	inv, want := benchInvoice(b)
	signer := NewKeySigner(benchKey)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		s, err := inv.Encode(ctx, signer)
		if err != nil || s != want {
			b.Fatal(err)
		}
	}
}

// benchSigningData returns the bytes the bench invoice's signature covers
// and their hash.
func benchSigningData(b *testing.B) ([]byte, [32]byte, *Invoice) {
	inv, s := benchInvoice(b)
	sep := len(s) - 1
	for s[sep] != '1' {
		sep--
	}
	words, err := bech32DecodeData([]byte(s[:sep]), s[sep+1:], make([]byte, len(s)))
	if err != nil {
		b.Fatal(err)
	}
	msg := packWords([]byte(s[:sep]), words[:len(words)-signatureWords])
	return msg, sha256.Sum256(msg), inv
}

func BenchmarkFloorRecoverCompact(b *testing.B) {
	_, hash, inv := benchSigningData(b)
	var compact [65]byte
	compact[0] = 27 + 4 + inv.RecoveryID
	copy(compact[1:], inv.Signature[:])
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ecdsa.RecoverCompact(compact[:], hash[:]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloorSign(b *testing.B) {
	_, hash, _ := benchSigningData(b)
	b.ReportAllocs()
	for b.Loop() {
		ecdsa.SignCompact(benchKey, hash[:], true)
	}
}

func BenchmarkFloorPubKeyParse(b *testing.B) {
	key := hopKey("hop1").SerializeCompressed()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := btcec.ParsePubKey(key); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFloorSHA256(b *testing.B) {
	msg, _, _ := benchSigningData(b)
	b.ReportAllocs()
	for b.Loop() {
		sha256.Sum256(msg)
	}
}
