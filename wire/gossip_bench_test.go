package wire

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"github.com/lnkit/lnkit/internal/testutil"
)

// Gossip sync decodes and verifies millions of channel_updates, so these
// benchmarks bound the codec's share: decode and verify are compared with
// floors (a plain copy of the bytes, and a bare ECDSA verification).

func benchChannelUpdate(b *testing.B) (*ChannelUpdate, *btcec.PrivateKey) {
	var k [32]byte
	k[31] = 7
	priv, _ := btcec.PrivKeyFromBytes(k[:])
	m := &ChannelUpdate{
		ChainHash: MainnetChainHash, ShortChannelID: ShortChannelID{800000, 1234, 1},
		Timestamp: 1700000000, MessageFlags: ChanUpdateMustBeOne, CLTVExpiryDelta: 80,
		HTLCMinimum: 1000, FeeBase: 1000, FeeProportionalMillionths: 100, HTLCMaximum: 5e9,
	}
	h, err := m.SignatureDigest()
	if err != nil {
		b.Fatal(err)
	}
	m.Signature = NewSignature(ecdsa.Sign(priv, h[:]))
	return m, priv
}

// BenchmarkFloorCopyChannelUpdate copies the encoded message: the least a
// decoder that keeps no reference to its input can do.
func BenchmarkFloorCopyChannelUpdate(b *testing.B) {
	m, _ := benchChannelUpdate(b)
	enc, _ := EncodeMessage(m)
	var dst [256]byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		copy(dst[:], enc)
	}
}

// BenchmarkWireChannelUpdateDecode decodes into a reused value.
func BenchmarkWireChannelUpdateDecode(b *testing.B) {
	m, _ := benchChannelUpdate(b)
	enc, _ := EncodeMessage(m)
	var got ChannelUpdate
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := got.DecodePayload(enc[2:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWireChannelUpdateEncode encodes into a reused buffer.
func BenchmarkWireChannelUpdateEncode(b *testing.B) {
	m, _ := benchChannelUpdate(b)
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if buf, err = AppendMessage(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorECDSAVerify is a bare signature verification.
func BenchmarkFloorECDSAVerify(b *testing.B) {
	m, priv := benchChannelUpdate(b)
	h, _ := m.SignatureDigest()
	sig, _ := m.Signature.ToECDSA()
	pub := priv.PubKey()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !sig.Verify(h[:], pub) {
			b.Fatal("verify")
		}
	}
}

// BenchmarkWireChannelUpdateVerify is VerifySignature: digest, key parsing
// and verification.
func BenchmarkWireChannelUpdateVerify(b *testing.B) {
	m, priv := benchChannelUpdate(b)
	node := NewPoint(priv.PubKey())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.VerifySignature(node); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWireNodeAnnouncementDecode decodes an announcement with four
// addresses into a reused value.
func BenchmarkWireNodeAnnouncementDecode(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	addrs, _ := decodeAddressList(append([]byte(nil), testutil.MustHex(clnAddresses)...))
	m := &NodeAnnouncement{Signature: randomSignature(rng), Features: NewFeatureVector(FeatureStaticRemoteKey), NodeID: randomPoint(rng), Addresses: addrs}
	enc, err := EncodeMessage(m)
	if err != nil {
		b.Fatal(err)
	}
	var got NodeAnnouncement
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := got.DecodePayload(enc[2:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSCIDListDecode decodes a full reply's worth of ids (8000), plain
// and zlib.
func BenchmarkSCIDListDecode(b *testing.B) {
	ids := make([]ShortChannelID, 8000)
	for i := range ids {
		ids[i] = ShortChannelID{BlockHeight: 700000 + uint32(i/4), TxIndex: uint32(i % 4 * 300), OutputIndex: uint16(i % 2)}
	}
	for _, enc := range []Encoding{EncodingUncompressed, EncodingZlib} {
		e, err := EncodeShortIDs(enc, ids)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%s_%dB", enc, len(e)), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := e.Decode(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
