package onion

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestShortMessagePayloads is the regression test for a remote crash:
// an onion_message whose onionmsg_payloads were shorter than a length
// and an HMAC made the payload length check wrap around, and the slices
// after it ran past the buffer. The sender picks the ephemeral and path
// keys, so the HMAC is valid (the sealer computes it as any sender
// can). Each short packet must be refused with ErrHopPayloadsTooShort.
func TestShortMessagePayloads(t *testing.T) {
	node := scalarKey("short payloads node")
	proc := newTestProcessor(node)
	s := newSealer(node, "short payloads", testPathKey("short payloads"))
	for _, size := range []int{0, 1, 2, 9, 16, 17, 31, 32} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			// Plaintext all zero: a valid length of 0, then zeros.
			m := s.message(s.encrypt(make([]byte, size)))
			_, err := proc.ProcessMessage(context.Background(), m)
			if !errors.Is(err, ErrHopPayloadsTooShort) || !errors.Is(err, ErrPacketSize) {
				t.Fatalf("got %v, want ErrHopPayloadsTooShort", err)
			}
			if _, err := DecodeMessagePacket(m.Packet); !errors.Is(err, ErrHopPayloadsTooShort) {
				t.Fatalf("DecodeMessagePacket: %v", err)
			}
		})
	}
}

// TestMessagePayloadLengthNoWrap covers the packets the minimum size
// lets through but whose BigSize length prefix is longer than one byte:
// 33 bytes cannot hold a 5- or 9-byte length and an HMAC, and the check
// must say so instead of wrapping around.
func TestMessagePayloadLengthNoWrap(t *testing.T) {
	node := scalarKey("wrap node")
	proc := newTestProcessor(node)
	s := newSealer(node, "wrap", testPathKey("wrap"))
	prefixes := map[string][]byte{
		"fd": {0xfd, 0x00, 0xfd},                                     // 3-byte length 253
		"fe": {0xfe, 0x00, 0x01, 0x00, 0x00},                         // 5-byte length 2^16
		"ff": {0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}, // 9-byte length 2^32
	}
	for name, prefix := range prefixes {
		for size := MinMessagePayloadsSize; size < MinMessagePayloadsSize+len(prefix); size++ {
			t.Run(fmt.Sprintf("%s/%d", name, size), func(t *testing.T) {
				plain := make([]byte, size)
				copy(plain, prefix)
				_, err := proc.ProcessMessage(context.Background(), s.message(s.encrypt(plain)))
				var pe *ProcessError
				if !errors.Is(err, ErrInvalidPayload) || !errors.As(err, &pe) || pe.Code != CodeInvalidOnionBlinding {
					t.Fatalf("got %v, want an invalid payload length", err)
				}
			})
		}
	}
}

// TestShortestMessagePayloads checks that the shortest payloads allowed
// are parsed: an empty payload, which then lacks encrypted_recipient_data.
func TestShortestMessagePayloads(t *testing.T) {
	node := scalarKey("shortest node")
	s := newSealer(node, "shortest", testPathKey("shortest"))
	_, err := newTestProcessor(node).ProcessMessage(context.Background(), s.message(s.encrypt(make([]byte, MinMessagePayloadsSize))))
	if !errors.Is(err, ErrInvalidBlinding) || errors.Is(err, ErrPacketSize) {
		t.Fatalf("got %v, want a missing encrypted_recipient_data", err)
	}
}

// TestMessagePacketSizeLimits checks the sizes NewMessagePacket and
// DecodeMessagePacket accept: up to what an onion_message's u16 len
// carries.
func TestMessagePacketSizeLimits(t *testing.T) {
	hop := Hop{PubKey: scalarKey("limit").PubKey(), Payload: []byte{0x04, 0x00}}
	for _, size := range []int{-1, MinMessagePayloadsSize - 1, MaxMessagePayloadsSize + 1} {
		if _, err := NewMessagePacketWithSessionKey(make32(1), []Hop{hop}, size); !errors.Is(err, ErrPacketSize) {
			t.Errorf("size %d: %v", size, err)
		}
	}
	pkt, err := NewMessagePacketWithSessionKey(make32(1), []Hop{hop}, MaxMessagePayloadsSize)
	if err != nil {
		t.Fatal(err)
	}
	b := pkt.Encode()
	if len(b) != MaxMessagePacketSize {
		t.Fatalf("largest packet is %d bytes", len(b))
	}
	if _, err := DecodeMessagePacket(b); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeMessagePacket(append(b, 0)); !errors.Is(err, ErrPacketSize) {
		t.Fatalf("oversized packet: %v", err)
	}
}

// make32 returns a 32-byte session key whose last byte is v.
func make32(v byte) []byte {
	b := make([]byte, 32)
	b[31] = v
	return b
}
