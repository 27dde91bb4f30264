package fastcrypto

import (
	"crypto/hmac"
	"crypto/sha256"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Goals (ratios within one run, -cpu 1):
//
//   - BenchmarkHMACSHA256Short <= 1.1 x BenchmarkFloorSHA256Pair: an HMAC
//     of a 32-byte message is two SHA-256 hashes of 96 bytes, and nothing
//     else should cost. BenchmarkFloorStdlibHMAC32 (crypto/hmac, which
//     allocates) is for comparison.
//   - BenchmarkHMACSHA256Long <= 1.1 x BenchmarkFloorSHA256Long: over 1300
//     bytes the inner hash is the cost.
//   - BenchmarkBatchToAffine4 <= 1.2 x BenchmarkFloorToAffine: four points
//     for the price of one inversion and twelve multiplications.
//   - BenchmarkParsePubKey <= 1.0 x BenchmarkFloorParsePubKey (btcec's,
//     which allocates), both dominated by the square root.

var sink [32]byte

func BenchmarkHMACSHA256Short(b *testing.B) {
	key, msg := make([]byte, 32), make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		HMACSHA256(&sink, key, msg, nil)
	}
}

func BenchmarkFloorSHA256Pair(b *testing.B) {
	var buf [96]byte
	b.ReportAllocs()
	for b.Loop() {
		sink = sha256.Sum256(buf[:])
		sink = sha256.Sum256(buf[:])
	}
}

func BenchmarkFloorStdlibHMAC32(b *testing.B) {
	key, msg := make([]byte, 32), make([]byte, 32)
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, key)
		m.Write(msg)
		m.Sum(sink[:0])
	}
}

func BenchmarkHMACSHA256Long(b *testing.B) {
	key, msg := make([]byte, 32), make([]byte, 1300)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		HMACSHA256(&sink, key, msg, nil)
	}
}

func BenchmarkFloorSHA256Long(b *testing.B) {
	msg := make([]byte, 64+1300)
	b.SetBytes(1300)
	b.ReportAllocs()
	for b.Loop() {
		sink = sha256.Sum256(msg)
	}
}

func BenchmarkBatchToAffine4(b *testing.B) {
	r := newRand(7)
	var src [4]btcec.JacobianPoint
	for i := range src {
		src[i] = randPoint(r)
	}
	var scratch [4]btcec.FieldVal
	b.ReportAllocs()
	for b.Loop() {
		pts := src
		BatchToAffine([]*btcec.JacobianPoint{&pts[0], &pts[1], &pts[2], &pts[3]}, scratch[:])
	}
}

func BenchmarkFloorToAffine(b *testing.B) {
	src := randPoint(newRand(7))
	b.ReportAllocs()
	for b.Loop() {
		p := src
		p.ToAffine()
	}
}

func BenchmarkParsePubKey(b *testing.B) {
	var c [33]byte
	CompressPubKey(&c, btcec.Generator())
	var k btcec.PublicKey
	b.ReportAllocs()
	for b.Loop() {
		if !ParsePubKey(&k, c[:]) {
			b.Fatal("refused")
		}
	}
}

func BenchmarkFloorParsePubKey(b *testing.B) {
	var c [33]byte
	CompressPubKey(&c, btcec.Generator())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := btcec.ParsePubKey(c[:]); err != nil {
			b.Fatal(err)
		}
	}
}
