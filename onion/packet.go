package onion

import (
	"crypto/sha256"
	"fmt"

	"github.com/lnkit/lnkit/wire"
)

// Sizes of the payment onion (BOLT 4 "Packet Structure").
const (
	// Version is the only packet version defined (version 0).
	Version = 0
	// HopPayloadsSize is the size of hop_payloads in a payment onion.
	HopPayloadsSize = 1300
	// HMACSize is the size of every HMAC in a packet.
	HMACSize = 32
	// PacketSize is the size of a serialized payment onion: version,
	// 33-byte public key, hop_payloads and HMAC, 1366 bytes. It is
	// wire.OnionPacketSize, the size of update_add_htlc's
	// onion_routing_packet, under this package's name.
	PacketSize = wire.OnionPacketSize
	// packetOverhead is the size of a packet without its hop_payloads.
	packetOverhead = 1 + 33 + HMACSize
	// MaxHops is the longest route the package tests: 27 hops of minimal
	// TLV payloads fill the 1300 bytes. The spec itself bounds a route only
	// by the space its payloads take, and so does NewPacket.
	MaxHops = 27
)

// PacketSize must be the sum of its fields; the array sizes below are
// negative, and the package fails to compile, if it is not.
var (
	_ [PacketSize - (1 + 33 + HopPayloadsSize + HMACSize)]struct{}
	_ [(1 + 33 + HopPayloadsSize + HMACSize) - PacketSize]struct{}
)

// Packet is an onion packet (BOLT 4 onion_packet, and onion_message_packet
// of onion messages, whose hop_payloads may be longer). The zero value is
// not a valid packet.
type Packet struct {
	// Version is the packet version; 0 is the only one defined.
	Version byte
	// EphemeralKey is the public_key of the packet: the sender's blinded
	// ephemeral key for the hop receiving the packet.
	EphemeralKey wire.Point
	// HopPayloads is the obfuscated hop_payloads field: 1300 bytes in a
	// payment onion.
	HopPayloads []byte
	// HMAC authenticates HopPayloads and the associated data.
	HMAC [HMACSize]byte
}

// Encode returns the serialized packet.
func (p *Packet) Encode() []byte {
	return p.AppendTo(make([]byte, 0, packetOverhead+len(p.HopPayloads)))
}

// AppendTo appends the serialized packet to b.
func (p *Packet) AppendTo(b []byte) []byte {
	b = append(b, p.Version)
	b = append(b, p.EphemeralKey[:]...)
	b = append(b, p.HopPayloads...)
	return append(b, p.HMAC[:]...)
}

// Hash returns SHA256 of the serialized packet: the sha256_of_onion that
// update_fail_malformed_htlc and the BADONION failures carry.
func (p *Packet) Hash() [32]byte {
	h := sha256.New()
	h.Write([]byte{p.Version})
	h.Write(p.EphemeralKey[:])
	h.Write(p.HopPayloads)
	h.Write(p.HMAC[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// DecodePacket parses a payment onion of exactly PacketSize bytes. It checks
// the layout only: the version and the ephemeral key are checked by
// Processor.Process, which maps them to the BOLT 4 failure codes. The
// returned packet's HopPayloads is a copy.
func DecodePacket(b []byte) (*Packet, error) {
	if len(b) != PacketSize {
		return nil, fmt.Errorf("%w: %d bytes, want %d", ErrPacketSize, len(b), PacketSize)
	}
	return decodeAnyPacket(b)
}

// DecodeMessagePacket parses an onion_message_packet (BOLT 4 "Onion
// Messages"), whose onionmsg_payloads take whatever the packet does not
// (1300 or 32768 bytes are the recommended sizes). The payloads must be
// at least MinMessagePayloadsSize bytes, room for the shortest hop: an
// empty payload's one-byte length and the next HMAC; shorter ones are
// refused with ErrHopPayloadsTooShort (which wraps ErrPacketSize). The
// packet must also fit in an onion_message, whose len is a u16. The
// returned packet's HopPayloads is a copy.
func DecodeMessagePacket(b []byte) (*Packet, error) {
	if len(b) < packetOverhead {
		return nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrPacketSize, len(b), packetOverhead)
	}
	if n := len(b) - packetOverhead; n < MinMessagePayloadsSize {
		return nil, fmt.Errorf("%w: %w: %d bytes of onionmsg_payloads, need at least %d", ErrPacketSize, ErrHopPayloadsTooShort, n, MinMessagePayloadsSize)
	}
	if len(b) > MaxMessagePacketSize {
		return nil, fmt.Errorf("%w: %d bytes, an onion_message carries at most %d", ErrPacketSize, len(b), MaxMessagePacketSize)
	}
	return decodeAnyPacket(b)
}

func decodeAnyPacket(b []byte) (*Packet, error) {
	n := len(b) - packetOverhead
	p := &Packet{Version: b[0], HopPayloads: make([]byte, n)}
	copy(p.EphemeralKey[:], b[1:34])
	copy(p.HopPayloads, b[34:34+n])
	copy(p.HMAC[:], b[34+n:])
	return p, nil
}
