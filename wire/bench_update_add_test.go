package wire

import (
	"math/rand"
	"testing"
)

func benchAddHTLC() *UpdateAddHTLC {
	rng := rand.New(rand.NewSource(7))
	m := &UpdateAddHTLC{ID: 42, Amount: 1_000_000, Expiry: 800_144}
	rng.Read(m.ChannelID[:])
	rng.Read(m.PaymentHash[:])
	rng.Read(m.OnionPacket[:])
	return m
}

// BenchmarkWireUpdateAddHTLCEncode encodes into a reused buffer.
func BenchmarkWireUpdateAddHTLCEncode(b *testing.B) {
	m := benchAddHTLC()
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		buf, err = AppendMessage(buf[:0], m)
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWireUpdateAddHTLCDecode decodes a whole message, allocating the
// message value as a peer's read loop would.
func BenchmarkWireUpdateAddHTLCDecode(b *testing.B) {
	enc, err := EncodeMessage(benchAddHTLC())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeMessage(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWireUpdateAddHTLCDecodeInto decodes into a reused value.
func BenchmarkWireUpdateAddHTLCDecodeInto(b *testing.B) {
	enc, err := EncodeMessage(benchAddHTLC())
	if err != nil {
		b.Fatal(err)
	}
	var m UpdateAddHTLC
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.DecodePayload(enc[2:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorCopyUpdateAddHTLC is the floor for the two above: copying
// the message's bytes into a fresh value of the same size.
func BenchmarkFloorCopyUpdateAddHTLC(b *testing.B) {
	enc, err := EncodeMessage(benchAddHTLC())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := new(UpdateAddHTLC)
		copy(m.OnionPacket[:], enc[2+32+8+8+32+4:])
		copy(m.ChannelID[:], enc[2:])
		sinkAdd = m
	}
}

var sinkAdd *UpdateAddHTLC
