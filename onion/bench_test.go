package onion

import (
	"context"
	"crypto/sha256"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/lnkit/lnkit/internal/fastcrypto"
	"github.com/lnkit/lnkit/wire"
	"golang.org/x/crypto/chacha20"
)

// Floors: the primitives the onion operations are made of, measured with
// btcec and the standard library in the same run.

var benchSink [33]byte

func benchKeys(b *testing.B) (*btcec.ModNScalar, *btcec.PublicKey) {
	priv, _ := btcec.PrivKeyFromBytes([]byte("0123456789abcdef0123456789abcdef"))
	_, pub := btcec.PrivKeyFromBytes([]byte("fedcba9876543210fedcba9876543210"))
	return &priv.Key, pub
}

// BenchmarkFloorECDH is btcec's variable-base multiplication, affine
// conversion and SHA256: one shared secret.
func BenchmarkFloorECDH(b *testing.B) {
	k, pub := benchKeys(b)
	b.ReportAllocs()
	for b.Loop() {
		s := sharedSecret(k, pub)
		benchSink[0] = s[0]
	}
}

// BenchmarkFloorScalarMult is btcec's variable-base multiplication (the
// ephemeral-key blinding) with compression.
func BenchmarkFloorScalarMult(b *testing.B) {
	k, pub := benchKeys(b)
	b.ReportAllocs()
	for b.Loop() {
		benchSink = mulPoint(k, pub)
	}
}

// BenchmarkFloorBaseMult is btcec's base-point multiplication.
func BenchmarkFloorBaseMult(b *testing.B) {
	k, _ := benchKeys(b)
	b.ReportAllocs()
	for b.Loop() {
		benchSink = baseMul(k)
	}
}

// BenchmarkFloorHMAC1300 is HMAC-SHA256 over 1300 bytes.
func BenchmarkFloorHMAC1300(b *testing.B) {
	buf := make([]byte, HopPayloadsSize)
	key := make([]byte, 32)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		m := stdHMAC(key, buf)
		benchSink[0] = m[0]
	}
}

// BenchmarkFloorChaCha2600 is ChaCha20 over 2600 bytes.
func BenchmarkFloorChaCha2600(b *testing.B) {
	buf := make([]byte, 2*HopPayloadsSize)
	var key [32]byte
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		c, _ := chacha20.NewUnauthenticatedCipher(key[:], zeroNonce[:])
		c.XORKeyStream(buf, buf)
	}
}

// BenchmarkFloorProcessHop is the floor of ProcessOnionPacket: an ECDH,
// an independent blinding multiplication, the HMAC over 1300 bytes and the
// ChaCha20 over 2600 bytes, done the plain way.
func BenchmarkFloorProcessHop(b *testing.B) {
	k, pub := benchKeys(b)
	buf := make([]byte, 2*HopPayloadsSize)
	var key [32]byte
	b.ReportAllocs()
	for b.Loop() {
		s := sharedSecret(k, pub)
		bf := fastcrypto.ScalarFromHash(&s)
		benchSink = mulPoint(&bf, pub)
		m := stdHMAC(key[:], buf[:HopPayloadsSize])
		c, _ := chacha20.NewUnauthenticatedCipher(key[:], zeroNonce[:])
		c.XORKeyStream(buf, buf)
		benchSink[1] = m[0]
	}
}

func benchRoute(b *testing.B, n int) ([]Hop, []*btcec.PrivateKey) {
	rng := rand.NewChaCha8([32]byte{9})
	var hops []Hop
	var privs []*btcec.PrivateKey
	for i := 0; i < n; i++ {
		var kb [32]byte
		rng.Read(kb[:])
		priv, pub := btcec.PrivKeyFromBytes(kb[:])
		privs = append(privs, priv)
		p := make([]byte, 20)
		hops = append(hops, Hop{PubKey: pub, Payload: p})
	}
	return hops, privs
}

func benchCreate(b *testing.B, n int) {
	hops, _ := benchRoute(b, n)
	assoc := make([]byte, 32)
	sk := []byte("0123456789abcdef0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := NewPacketWithSessionKey(sk, hops, assoc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOnionCreate5Hops builds a 5-hop onion.
func BenchmarkOnionCreate5Hops(b *testing.B) { benchCreate(b, 5) }

// BenchmarkOnionCreate20Hops builds a 20-hop onion.
func BenchmarkOnionCreate20Hops(b *testing.B) { benchCreate(b, 20) }

// BenchmarkOnionProcessHop peels one (non-final) layer with the in-process
// key, without replay detection (the same packet is peeled every time).
func BenchmarkOnionProcessHop(b *testing.B) {
	hops, privs := benchRoute(b, 5)
	assoc := make([]byte, 32)
	pkt, _, err := NewPacketWithSessionKey([]byte("0123456789abcdef0123456789abcdef"), hops, assoc)
	if err != nil {
		b.Fatal(err)
	}
	proc := NewProcessor(wire.NewPrivateNodeKey(privs[0]), NoReplayCheck{})
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := proc.Process(ctx, pkt, assoc, nil)
		if err != nil || res.Final {
			b.Fatal(err)
		}
	}
}

// BenchmarkOnionProcessHopHSM peels through the ECDH interface (as with an
// HSM): no shared table.
func BenchmarkOnionProcessHopHSM(b *testing.B) {
	hops, privs := benchRoute(b, 5)
	assoc := make([]byte, 32)
	pkt, _, _ := NewPacketWithSessionKey([]byte("0123456789abcdef0123456789abcdef"), hops, assoc)
	proc := NewProcessor(plainECDH{privs[0]}, NoReplayCheck{})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := proc.Process(context.Background(), pkt, assoc, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFailureEncrypt builds a failure at the erring node.
func BenchmarkFailureEncrypt(b *testing.B) {
	ss := sha256.Sum256([]byte("secret"))
	msg := &FailureMessage{Code: CodeTemporaryNodeFailure}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewFailure(ss, msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFailureDecrypt decrypts a failure from the last of 5 hops at the
// origin with the stored shared secrets.
func BenchmarkFailureDecrypt(b *testing.B) {
	hops, _ := benchRoute(b, 5)
	_, secrets, _ := NewPacketWithSessionKey([]byte("0123456789abcdef0123456789abcdef"), hops, nil)
	reason, _ := NewFailure(secrets[4], &FailureMessage{Code: CodeTemporaryNodeFailure})
	for i := 3; i >= 0; i-- {
		ObfuscateFailure(secrets[i], reason)
	}
	b.ReportAllocs()
	for b.Loop() {
		d, err := secrets.DecryptFailure(reason)
		if err != nil || d.SourceIndex != 4 {
			b.Fatal(err)
		}
	}
}
