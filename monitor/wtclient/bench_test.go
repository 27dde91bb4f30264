package wtclient_test

import (
	"bytes"
	"crypto/rand"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/lnkit/lnkit/monitor/wtclient"
	"golang.org/x/crypto/chacha20poly1305"
)

// A tower decrypts a kit for every hint that matches; a client encrypts
// one per revoked state. Their floor is one XChaCha20-Poly1305 seal of 274
// bytes (BenchmarkFloorXChaChaSeal), to which the benchmarks below add the
// key derivation (one SHA-256) and the plaintext encoding.
func BenchmarkFloorXChaChaSeal(b *testing.B) {
	aead, _ := chacha20poly1305.NewX(make([]byte, 32))
	nonce := make([]byte, wtclient.NonceSize)
	pt := make([]byte, wtclient.KitSize)
	out := make([]byte, 0, wtclient.KitSize+wtclient.TagSize)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		out = aead.Seal(out[:0], nonce, pt, nil)
	}
}

func BenchmarkEncryptJusticeKit(b *testing.B) {
	txid := chainhash.HashH([]byte("bench"))
	kit := &wtclient.JusticeKit{SweepScript: make([]byte, 22), CSVDelay: 144}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := kit.Encrypt(wtclient.NewBreachKey(&txid), rand.Reader); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecryptJusticeKit(b *testing.B) {
	txid := chainhash.HashH([]byte("bench"))
	kit := &wtclient.JusticeKit{SweepScript: make([]byte, 22), CSVDelay: 144}
	blob, _ := kit.Encrypt(wtclient.NewBreachKey(&txid), rand.Reader)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := wtclient.DecryptJusticeKit(wtclient.NewBreachKey(&txid), blob); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeStateUpdate(b *testing.B) {
	msg, _ := wtclient.EncodeMessage(&wtclient.StateUpdate{SeqNum: 7, EncryptedBlob: bytes.Repeat([]byte{1}, wtclient.EncryptedBlobSize)})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := wtclient.DecodeMessage(msg); err != nil {
			b.Fatal(err)
		}
	}
}
