package peer

import (
	"testing"
)

// TestHandshakeAllocs guards the handshake's allocation count. A full
// handshake between two in-memory parties allocates the two handshake
// states and the three public keys btcec.ParsePubKey returns (the
// responder's copy of the initiator's ephemeral and static keys, the
// initiator's copy of the responder's ephemeral key), which the wire.NodeKey
// interface and Transport.RemotePubKey need as *btcec.PublicKey. Hashing,
// HKDF, ChaCha20-Poly1305 and the act buffers allocate nothing.
func TestHandshakeAllocs(t *testing.T) {
	ka, kb := testKey("a"), testKey("b")
	pa, pb := ka.PubKey(), kb.PubKey()
	rnd := fastRand()
	const want = 2 + 3
	got := testing.AllocsPerRun(5, func() {
		i := newHandshake(true, ka, pa, pb, rnd)
		r := newHandshake(false, kb, pb, nil, rnd)
		act1, err := i.genActOne()
		if err != nil {
			t.Fatal(err)
		}
		if err := r.recvActOne(&act1); err != nil {
			t.Fatal(err)
		}
		act2, err := r.genActTwo()
		if err != nil {
			t.Fatal(err)
		}
		if err := i.recvActTwo(&act2); err != nil {
			t.Fatal(err)
		}
		act3, sk, rk, err := i.genActThree()
		if err != nil {
			t.Fatal(err)
		}
		rsk, rrk, err := r.recvActThree(&act3)
		if err != nil || sk != rrk || rk != rsk {
			t.Fatal("handshake failed", err)
		}
	})
	if got > want {
		t.Errorf("a handshake allocates %v times, want at most %d", got, want)
	}
}
