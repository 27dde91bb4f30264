package onion

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/lnkit/lnkit/wire"
)

// Attribution benchmarks. Floors: the straightforward construction of one
// hop's entry (20 HMACs, each over the whole packet) in this file, and BenchmarkFailureDecrypt (bench_test.go) for the
// origin, whose attribution check comes on top of decrypting the failure.

// benchAttrSetup is a 5-hop route with a failure from its last hop, with
// attribution data, as the origin receives it.
func benchAttrSetup(b *testing.B) (SharedSecrets, []byte, *wire.AttributionData) {
	hops, _ := benchRoute(b, 5)
	_, secrets, err := NewPacketWithSessionKey([]byte("0123456789abcdef0123456789abcdef"), hops, nil)
	if err != nil {
		b.Fatal(err)
	}
	reason, ad, err := NewAttributedFailure(secrets[4], &FailureMessage{Code: CodeTemporaryNodeFailure}, 300*time.Millisecond)
	if err != nil {
		b.Fatal(err)
	}
	for i := 3; i >= 0; i-- {
		ad = ObfuscateAttributedFailure(secrets[i], time.Duration(i)*time.Second, reason, ad)
	}
	return secrets, reason, ad
}

// BenchmarkAttributionAdd is one forwarding hop's work on attribution
// data: shift, hold time, 20 HMACs over a standard 292-byte failure
// packet, ammagext stream.
func BenchmarkAttributionAdd(b *testing.B) {
	secrets, reason, ad := benchAttrSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		AddAttribution(secrets[0], time.Second, reason, ad)
	}
}

// BenchmarkFloorAttributionAddNaive is the same work with every HMAC
// computed from scratch over the whole packet (no shared hash state).
func BenchmarkFloorAttributionAddNaive(b *testing.B) {
	secrets, reason, ad := benchAttrSetup(b)
	ss := secrets[0]
	b.ReportAllocs()
	for b.Loop() {
		shiftAttribution(ad)
		binary.BigEndian.PutUint32(ad[:4], holdTimeUnits(time.Second))
		um := generateKey(keyTypeUm, &ss)
		writeAttributionHMACsPlain(&um, reason, ad)
		obfuscateAttribution(&ss, ad)
	}
}

// BenchmarkAttributionVerify is the origin's DecryptAttributedFailure for
// a failure from the last of 5 hops: DecryptFailure (its floor) plus one
// HMAC and two stream layers per hop for the attribution data.
func BenchmarkAttributionVerify(b *testing.B) {
	secrets, reason, ad := benchAttrSetup(b)
	b.ReportAllocs()
	for b.Loop() {
		d, attr, err := secrets.DecryptAttributedFailure(reason, ad)
		if err != nil || d.SourceIndex != 4 || attr.FirstInvalid != -1 {
			b.Fatal(err, attr)
		}
	}
}

// BenchmarkAttributionVerifyFulfill is the origin's check of a 5-hop
// fulfill's attribution data (no failure packet to peel).
func BenchmarkAttributionVerifyFulfill(b *testing.B) {
	secrets, _, _ := benchAttrSetup(b)
	var ad *wire.AttributionData
	for i := 4; i >= 0; i-- {
		ad = AddFulfillAttribution(secrets[i], time.Second, ad)
	}
	b.ReportAllocs()
	for b.Loop() {
		if attr := secrets.VerifyFulfillAttribution(ad); attr.FirstInvalid != -1 {
			b.Fatal(attr)
		}
	}
}
