package wire

import (
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// benchCommitSig returns a commitment_signed with 100 HTLC signatures and
// a funding_txid, as BOLT 2 now requires every commitment_signed to carry.
func benchCommitSig() *CommitmentSigned {
	rng := rand.New(rand.NewSource(11))
	m := &CommitmentSigned{Signature: randomSignature(rng)}
	rng.Read(m.ChannelID[:])
	m.HTLCSignatures = make([]Signature, 100)
	for i := range m.HTLCSignatures {
		m.HTLCSignatures[i] = randomSignature(rng)
	}
	var txid chainhash.Hash
	rng.Read(txid[:])
	m.FundingTxID = &txid
	return m
}

// BenchmarkWireCommitSigEncode encodes into a reused buffer.
func BenchmarkWireCommitSigEncode(b *testing.B) {
	m := benchCommitSig()
	buf := make([]byte, 0, 8192)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		buf, err = AppendMessage(buf[:0], m)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkWireCommitSigDecode decodes a whole message, allocating the
// message value as a peer's read loop would: the struct, and the signature
// slice (which also holds the funding_txid).
func BenchmarkWireCommitSigDecode(b *testing.B) {
	enc, err := EncodeMessage(benchCommitSig())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := DecodeMessage(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWireCommitSigDecodeInto decodes into a reused value: the
// signature slice (with the funding_txid) is the only allocation.
func BenchmarkWireCommitSigDecodeInto(b *testing.B) {
	enc, err := EncodeMessage(benchCommitSig())
	if err != nil {
		b.Fatal(err)
	}
	var m CommitmentSigned
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.DecodePayload(enc[2:]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFloorCopyCommitSig is the floor for the decoders: copying the
// same bytes into a fresh struct and signature slice, with no parsing or
// range checks.
func BenchmarkFloorCopyCommitSig(b *testing.B) {
	src := benchCommitSig()
	enc, err := EncodeMessage(src)
	if err != nil {
		b.Fatal(err)
	}
	n := len(src.HTLCSignatures)
	sigs := enc[2+32+64+2:]
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m := new(CommitmentSigned)
		copy(m.ChannelID[:], enc[2:])
		copy(m.Signature[:], enc[2+32:])
		m.HTLCSignatures = make([]Signature, n)
		for j := range m.HTLCSignatures {
			copy(m.HTLCSignatures[j][:], sigs[64*j:])
		}
		sinkCommitSig = m
	}
}

// BenchmarkFloorAppendCommitSig is the floor for the encoder: appending
// the same number of bytes into a reused buffer.
func BenchmarkFloorAppendCommitSig(b *testing.B) {
	enc, err := EncodeMessage(benchCommitSig())
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 8192)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = append(buf[:0], enc...)
	}
	sinkBytes = buf
}

var (
	sinkCommitSig *CommitmentSigned
	sinkBytes     []byte
)
