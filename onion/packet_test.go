package onion

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"
)

// TestRoundTripRandomRoutes builds onions for random routes of 1 to 27 hops
// with random payload sizes that fill up to the 1300 bytes, and peels them.
func TestRoundTripRandomRoutes(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{1})
	r := rand.New(rng)
	assoc := make([]byte, 32)
	for n := 1; n <= MaxHops; n++ {
		nodes := newTestNodes(t, rng, n)
		budget := HopPayloadsSize
		hops := make([]Hop, n)
		for i := range hops {
			// Leave room for the remaining hops' minimal payloads.
			left := budget - (n-1-i)*(1+2+HMACSize) - 1 - HMACSize
			if left > 252 {
				left -= 2 // the BigSize prefix grows to 3 bytes
			}
			size := 2
			if left > 2 {
				size = 2 + r.IntN(left-1)
			}
			if i == n-1 {
				size = left // the last hop takes what remains
			}
			p := make([]byte, size)
			rng.Read(p)
			hops[i] = Hop{PubKey: nodes[i].priv.PubKey(), Payload: p}
			budget -= shiftSize(size)
		}
		rng.Read(assoc)
		pkt, secrets, err := NewPacket(rng, hops, assoc)
		if err != nil {
			t.Fatalf("%d hops: %v", n, err)
		}
		if len(secrets) != n || len(pkt.Encode()) != PacketSize {
			t.Fatalf("%d hops: bad output sizes", n)
		}
		got := peelAll(t, nodes, pkt, assoc)
		for i := range hops {
			if !bytes.Equal(got[i], hops[i].Payload) {
				t.Fatalf("%d hops: hop %d payload differs", n, i)
			}
		}
	}
}

func TestRouteTooLong(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{2})
	nodes := newTestNodes(t, rng, 2)
	hops := []Hop{
		{PubKey: nodes[0].priv.PubKey(), Payload: make([]byte, 600)},
		{PubKey: nodes[1].priv.PubKey(), Payload: make([]byte, 700)},
	}
	if _, _, err := NewPacket(rng, hops, nil); !errors.Is(err, ErrRouteTooLong) {
		t.Fatalf("want ErrRouteTooLong, got %v", err)
	}
	// Exactly 1300 bytes fits.
	hops[1].Payload = make([]byte, HopPayloadsSize-shiftSize(600)-3-HMACSize)
	if RouteSize(hops) != HopPayloadsSize {
		t.Fatalf("route size %d", RouteSize(hops))
	}
	pkt, _, err := NewPacket(rng, hops, nil)
	if err != nil {
		t.Fatal(err)
	}
	peelAll(t, nodes, pkt, nil)
	if _, _, err := NewPacket(rng, nil, nil); !errors.Is(err, ErrEmptyRoute) {
		t.Fatalf("want ErrEmptyRoute, got %v", err)
	}
}

// TestProcessRejections checks that each bad packet gets its BOLT 4 code
// and SHA256 of the onion.
func TestProcessRejections(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{3})
	nodes := newTestNodes(t, rng, 2)
	hops := []Hop{{PubKey: nodes[0].priv.PubKey(), Payload: []byte{2, 1, 1}}, {PubKey: nodes[1].priv.PubKey(), Payload: []byte{2, 1, 2}}}
	assoc := bytes.Repeat([]byte{0x42}, 32)
	pkt, _, err := NewPacket(rng, hops, assoc)
	if err != nil {
		t.Fatal(err)
	}
	raw := pkt.Encode()
	cases := []struct {
		name   string
		mutate func(b []byte)
		assoc  []byte
		code   FailureCode
		is     error
	}{
		{"version", func(b []byte) { b[0] = 1 }, assoc, CodeInvalidOnionVersion, ErrInvalidVersion},
		{"key prefix", func(b []byte) { b[1] = 0x04 }, assoc, CodeInvalidOnionKey, ErrInvalidKey},
		{"key off curve", func(b []byte) { copy(b[2:34], bytes.Repeat([]byte{0xff}, 32)) }, assoc, CodeInvalidOnionKey, ErrInvalidKey},
		{"payload bit", func(b []byte) { b[100] ^= 1 }, assoc, CodeInvalidOnionHMAC, ErrInvalidHMAC},
		{"hmac bit", func(b []byte) { b[PacketSize-1] ^= 1 }, assoc, CodeInvalidOnionHMAC, ErrInvalidHMAC},
		{"associated data", func(b []byte) {}, []byte("other"), CodeInvalidOnionHMAC, ErrInvalidHMAC},
	}
	for _, c := range cases {
		b := bytes.Clone(raw)
		c.mutate(b)
		p, err := DecodePacket(b)
		if err != nil {
			t.Fatal(err)
		}
		_, err = nodes[0].proc.Process(context.Background(), p, c.assoc, nil)
		var pe *ProcessError
		if !errors.As(err, &pe) || pe.Code != c.code || !errors.Is(err, c.is) {
			t.Fatalf("%s: got %v", c.name, err)
		}
		if !pe.Malformed() || pe.OnionHash != p.Hash() {
			t.Fatalf("%s: want malformed with the onion's hash", c.name)
		}
		fm := pe.FailureMessage()
		enc, _ := fm.Encode(nil)
		if dec, err := DecodeFailureMessage(enc); err != nil || dec.OnionHash != p.Hash() {
			t.Fatalf("%s: failure message does not round trip", c.name)
		}
	}
	if _, err := DecodePacket(raw[:100]); !errors.Is(err, ErrPacketSize) {
		t.Fatalf("short packet: %v", err)
	}

	// The genuine packet is accepted once, then refused as a replay.
	p, _ := DecodePacket(raw)
	if _, err := nodes[0].proc.Process(context.Background(), p, assoc, &ProcessOptions{CLTVExpiry: 100}); err != nil {
		t.Fatal(err)
	}
	_, err = nodes[0].proc.Process(context.Background(), p, assoc, &ProcessOptions{CLTVExpiry: 100})
	if !errors.Is(err, ErrReplayedPacket) {
		t.Fatalf("replay: %v", err)
	}
}

// TestProcessBadPayloadLength covers a hop payload whose length is
// reserved or runs past the packet: invalid_onion_payload.
func TestProcessBadPayloadLength(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{4})
	nodes := newTestNodes(t, rng, 1)
	for _, l := range []int{0, 1} {
		pkt, _, err := NewPacket(rng, []Hop{{PubKey: nodes[0].priv.PubKey(), Payload: make([]byte, l)}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = nodes[0].proc.Process(context.Background(), pkt, nil, nil)
		var pe *ProcessError
		if !errors.As(err, &pe) || pe.Code != CodeInvalidOnionPayload {
			t.Fatalf("length %d: %v", l, err)
		}
	}
}
