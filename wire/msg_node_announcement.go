package wire

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func init() {
	register(MsgNodeAnnouncement, "node_announcement", func() Message { return new(NodeAnnouncement) })
}

// nodeAnnouncementSigLen is the size of the signature field.
const nodeAnnouncementSigLen = 64

// ErrMultipleDNSHostnames means a node_announcement lists more than one DNS
// hostname. BOLT 7 forbids creating one and tells a receiver to ignore the
// extra hostnames and not to forward the announcement.
var ErrMultipleDNSHostnames = errors.New("wire: more than one dns hostname announced")

// ErrInvalidAlias means a node alias is not UTF-8 followed by zero padding.
var ErrInvalidAlias = errors.New("wire: invalid node alias")

// RGBColor is the rgb_color of a node_announcement: red, green, blue.
type RGBColor [3]byte

// String returns the color as "#rrggbb".
func (c RGBColor) String() string { return "#" + hex.EncodeToString(c[:]) }

// NodeAlias is the 32-byte alias of a node_announcement: UTF-8 text padded
// with zero bytes.
type NodeAlias [32]byte

// NewNodeAlias returns s as an alias. It fails if s is longer than 32 bytes,
// is not valid UTF-8 or contains a zero byte.
func NewNodeAlias(s string) (NodeAlias, error) {
	var a NodeAlias
	if len(s) > len(a) || !utf8.ValidString(s) || bytes.IndexByte([]byte(s), 0) >= 0 {
		return a, fmt.Errorf("%w: %q", ErrInvalidAlias, s)
	}
	copy(a[:], s)
	return a, nil
}

// String returns the alias without its zero padding. It does not sanitize:
// BOLT 7 warns that aliases are attacker-chosen, so escape before display.
func (a NodeAlias) String() string {
	return string(bytes.TrimRight(a[:], "\x00"))
}

// Validate checks BOLT 7's rule for the alias: valid UTF-8 with any
// trailing bytes zero.
func (a NodeAlias) Validate() error {
	text := a[:]
	if i := bytes.IndexByte(text, 0); i >= 0 {
		if bytes.ContainsFunc(text[i:], func(r rune) bool { return r != 0 }) {
			return fmt.Errorf("%w: non-zero byte after the zero padding", ErrInvalidAlias)
		}
		text = text[:i]
	}
	if !utf8.Valid(text) {
		return fmt.Errorf("%w: not UTF-8", ErrInvalidAlias)
	}
	return nil
}

// NodeAnnouncement tells the network about a node: its features, how to
// reach it and how to name it (BOLT 7, "The node_announcement Message").
type NodeAnnouncement struct {
	Signature Signature
	// Features are the node's features (BOLT 9 context N).
	Features  FeatureVector
	Timestamp uint32
	NodeID    Point
	RGBColor  RGBColor
	Alias     NodeAlias
	// Addresses are the address descriptors, in the order received.
	// Parsing stops at the first descriptor of unknown type, which then
	// ends the list holding every remaining byte (see NetAddress), so a
	// received announcement re-encodes exactly and its signature still
	// verifies. Known descriptors are kept even when Validate would
	// reject them; UsableAddresses filters them for dialing.
	Addresses []NetAddress
	// Extra holds unknown odd TLV records of the extension. They are
	// covered by the signature.
	Extra ExtraTLVs
}

// MsgType implements Message.
func (*NodeAnnouncement) MsgType() MessageType { return MsgNodeAnnouncement }

// AppendPayload implements Message. It fails if a descriptor's address has
// the wrong size for its type, or a descriptor of unknown type is not last.
func (m *NodeAnnouncement) AppendPayload(b []byte) ([]byte, error) {
	b = append(b, m.Signature[:]...)
	b, err := AppendFeatureVector(b, m.Features)
	if err != nil {
		return b, fmt.Errorf("features: %w", err)
	}
	b = AppendU32(b, m.Timestamp)
	b = append(b, m.NodeID[:]...)
	b = append(b, m.RGBColor[:]...)
	b = append(b, m.Alias[:]...)
	if b, err = appendAddressList(b, m.Addresses); err != nil {
		return b, fmt.Errorf("addresses: %w", err)
	}
	return AppendTLVStream(b, m.Extra)
}

// DecodePayload implements Message. A known descriptor cut short by addrlen
// is an error (BOLT 7: addrlen insufficient for the known types).
func (m *NodeAnnouncement) DecodePayload(p []byte) error {
	r := NewReader(p)
	m.Signature = r.Signature("signature")
	m.Features = r.FeatureVector("features")
	m.Timestamp = r.U32("timestamp")
	m.NodeID = r.Point("node_id")
	r.Copy(m.RGBColor[:], "rgb_color")
	r.Copy(m.Alias[:], "alias")
	raw := r.VarBytes16("addresses")
	m.Addresses, m.Extra = nil, nil
	if r.Err() == nil {
		addrs, err := decodeAddressList(raw)
		if err != nil {
			r.Fail(fmt.Errorf("addresses: %w", err))
		}
		m.Addresses = addrs
	}
	return decodeExtension(&r, &m.Extra)
}

// SignatureDigest returns the hash the signature signs: the double-SHA256
// of the message after the signature, extension included.
func (m *NodeAnnouncement) SignatureDigest() (chainhash.Hash, error) {
	return gossipDigest(m, nodeAnnouncementSigLen)
}

// VerifySignature checks the signature against NodeID. The error wraps
// ErrGossipSignature.
func (m *NodeAnnouncement) VerifySignature() error {
	h, err := m.SignatureDigest()
	if err != nil {
		return err
	}
	return verifyGossipSig(m.Signature, m.NodeID, h, "signature")
}

// Validate checks the rules BOLT 7 sets for creating a node_announcement
// beyond its encoding: the alias is UTF-8 with zero padding; descriptors
// are in ascending type order; each known descriptor passes
// NetAddress.Validate (non-zero ports for IP and DNS, ASCII hostnames, Tor
// v3 checksums); and at most one DNS hostname is listed. Errors are joined,
// so errors.Is finds each broken rule; ErrMultipleDNSHostnames among them
// means the announcement must not be forwarded.
func (m *NodeAnnouncement) Validate() error {
	errs := []error{m.Alias.Validate()}
	dns := 0
	for i, a := range m.Addresses {
		if i > 0 && a.Type < m.Addresses[i-1].Type {
			errs = append(errs, fmt.Errorf("%w: address %d (%s) after %s: not in ascending order", ErrInvalidAddress, i, a.Type, m.Addresses[i-1].Type))
		}
		if !a.Type.Known() {
			continue
		}
		if err := a.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("address %d: %w", i, err))
		}
		if a.Type == AddressDNS {
			dns++
		}
	}
	if dns > 1 {
		errs = append(errs, fmt.Errorf("%w: %d", ErrMultipleDNSHostnames, dns))
	}
	return errors.Join(errs...)
}

// UsableAddresses returns the descriptors a node should consider for
// connecting, following BOLT 7's receiver rules: unknown types and Tor v2
// are ignored, IP and DNS descriptors with port 0 are ignored, only the
// first DNS hostname is kept, and descriptors that fail NetAddress.Validate
// are dropped.
func (m *NodeAnnouncement) UsableAddresses() []NetAddress {
	var out []NetAddress
	sawDNS := false
	for _, a := range m.Addresses {
		if !a.Type.Known() || a.Type == AddressTorV2 || a.Validate() != nil {
			continue
		}
		if a.Type == AddressDNS {
			if sawDNS {
				continue
			}
			sawDNS = true
		}
		out = append(out, a)
	}
	return out
}
