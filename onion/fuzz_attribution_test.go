package onion

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/lnkit/lnkit/wire"
)

// FuzzDecryptAttributedFailure feeds arbitrary reasons and attribution
// data to the origin (failures and fulfills), and also sends arbitrary
// failure messages with arbitrary hold times back over a route of up to
// 20 hops: no panics, junk is garbled or blamed on some hop, and honest
// data gives back the source and every hold time.
func FuzzDecryptAttributedFailure(f *testing.F) {
	// Inputs stay small so the fuzzer's minimizer stays quick: junk
	// attribution data is zero-padded to its 920 bytes, and a junk
	// reason is stretched by repetition.
	f.Add([]byte{0x20, 0x02}, uint8(4), uint8(2), []byte{1, 2, 3, 4}, []byte{0}, []byte{0})
	f.Add([]byte{0x10, 0x07, 0x00, 0x00}, uint8(19), uint8(19), bytes.Repeat([]byte{0xff}, 40), []byte{1, 2, 3}, []byte{0xaa, 0x55})
	f.Add([]byte{0x40, 0x0f}, uint8(0), uint8(0), []byte{}, []byte{}, []byte{})
	secrets := make(SharedSecrets, AttributionMaxHops)
	for i := range secrets {
		secrets[i] = [32]byte{byte(i + 1), 0x5a}
	}
	f.Fuzz(func(t *testing.T, msg []byte, nHops, src uint8, holdBytes, junkReason, junkAttr []byte) {
		n := int(nHops)%AttributionMaxHops + 1
		s := secrets[:n]

		// Arbitrary input at the origin: an empty junkAttr means no
		// attribution data.
		if len(junkReason) > 0 && len(junkReason) < 300 {
			junkReason = bytes.Repeat(junkReason, 300/len(junkReason)+1)
		}
		if len(junkReason) > 2048 {
			junkReason = junkReason[:2048]
		}
		var jad *wire.AttributionData
		if len(junkAttr) > 0 {
			jad = new(wire.AttributionData)
			copy(jad[:], junkAttr)
		}
		d, attr, err := s.DecryptAttributedFailure(junkReason, jad)
		if err != nil && !errors.Is(err, ErrFailureGarbled) {
			t.Fatalf("junk: %v", err)
		}
		if attr == nil || attr.FirstInvalid < -1 || attr.FirstInvalid >= n || len(attr.HoldTimes) > n {
			t.Fatalf("junk attribution %+v", attr)
		}
		if err == nil && (d.SourceIndex < 0 || d.SourceIndex >= n) {
			t.Fatalf("junk source %d", d.SourceIndex)
		}
		if fa := s.VerifyFulfillAttribution(jad); fa.FirstInvalid >= n || len(fa.HoldTimes) > n {
			t.Fatalf("junk fulfill %+v", fa)
		}

		// An honest return trip with the fuzzed message and hold times.
		if len(msg) > 1000 {
			return
		}
		holds := make([]time.Duration, n)
		for i := range holds {
			if 2*i+1 < len(holdBytes) {
				holds[i] = time.Duration(uint16(holdBytes[2*i])<<8|uint16(holdBytes[2*i+1])) * HoldTimeUnit
			}
		}
		k := int(src) % n
		reason, err := newFailureRaw(&s[k], msg, MinFailurePadded)
		if err != nil {
			t.Fatal(err)
		}
		ObfuscateFailure(s[k], reason) // back to plaintext for the HMACs
		ad := AddAttribution(s[k], holds[k], reason, nil)
		ObfuscateFailure(s[k], reason)
		for i := k - 1; i >= 0; i-- {
			ad = ObfuscateAttributedFailure(s[i], holds[i], reason, ad)
		}
		d, attr, err = s.DecryptAttributedFailure(reason, ad)
		if err != nil || d.SourceIndex != k || !bytes.Equal(d.Raw, msg) {
			t.Fatalf("decrypt: %+v %v", d, err)
		}
		if attr.FirstInvalid != -1 || !equalDurations(attr.HoldTimes, holds[:k+1]) {
			t.Fatalf("attribution %+v, want %v", attr, holds[:k+1])
		}
		var fad *wire.AttributionData
		for i := n - 1; i >= 0; i-- {
			fad = AddFulfillAttribution(s[i], holds[i], fad)
		}
		if fa := s.VerifyFulfillAttribution(fad); fa.FirstInvalid != -1 || !equalDurations(fa.HoldTimes, holds) {
			t.Fatalf("fulfill %+v, want %v", fa, holds)
		}
	})
}
